// A plan's cohort: validated with clear errors, expanded into cohort steps before the random ones,
// and shown by `rollout plan check` with what each step is judged against.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { describePlan } from '../../cli/plan-check';
import { cohortMatcher, describeCohort, type CohortMatch, type CohortProbe } from '../../lib/cohort-match';
import { loadPlanFile } from '../../plan/load';
import { parsePlan, type RolloutPlanInput } from '../../plan/schema';
import { cohortJudging, stagesOf } from '../../workflows/rollout-stages';
import { HAPROXY_ROUTER, problemsOf } from '../support/plans';

const EXAMPLE = join(import.meta.dirname, '../../examples/support-bot-cohort.yaml');

function cohortPlan(cohort: unknown, steps: unknown[] = [{ weight: 25, window: '10m' }], extra: object = {}) {
  return {
    rollout: { id: 'cohort-plan' },
    backends: {
      baseline: { baseUrl: 'http://127.0.0.1:9001/v1', model: 'bot-v1' },
      candidate: { baseUrl: 'http://127.0.0.1:9002/v1', model: 'bot-v2' },
    },
    stages: { canary: { cohort, steps } },
    approvals: { approvers: ['alice'] },
    ...extra,
  } as RolloutPlanInput;
}

const acme = { match: { header: 'x-tenant', values: ['acme'] }, steps: [{ weight: 50, window: '10m' }] };

describe('plan cohort', () => {
  it('expands into cohort steps first, the cohort kept through the random steps and the cutover', () => {
    const plan = parsePlan(
      cohortPlan({ ...acme, steps: [...acme.steps, { weight: 100, window: '10m' }] }, [{ weight: 25, window: '10m' }]),
    );
    const stages = stagesOf(plan).filter((s) => s.kind === 'canary' || s.kind === 'cutover');
    expect(stages.map((s) => [s.id, s.candidateWeight, s.cohortWeight, s.approvalBefore, cohortJudging(s)])).toEqual([
      ['cohort-1', 0, 50, true, 'cohort_baseline'],
      ['cohort-2', 0, 100, false, 'route_baseline'],
      ['canary-1', 25, 100, false, 'all'],
      ['cutover', 100, 100, true, null],
    ]);
    // A plan without a cohort is expanded as before: no cohort weight anywhere.
    const plain = stagesOf(parsePlan({ ...cohortPlan(undefined), stages: {} }));
    expect(plain.every((s) => s.cohortWeight === undefined && cohortJudging(s) === null)).toBe(true);
  });

  it('may stand instead of a random share: no canary steps, then the cutover', () => {
    const stages = stagesOf(parsePlan(cohortPlan(acme, [])));
    expect(stages.map((s) => s.id)).toEqual(['shadow', 'cohort-1', 'cutover']);
    expect(problemsOf(cohortPlan(undefined, []))).toEqual([
      'stages.canary.steps: at least one canary step (or a stages.canary.cohort to expose instead)',
    ]);
  });

  it('refuses a bad cohort with a clear error for each field', () => {
    expect(problemsOf(cohortPlan({ ...acme, match: { header: 'X-Tenant', values: ['acme'] } }))).toEqual([
      'stages.canary.cohort.match.header: a lower-case HTTP header name',
    ]);
    expect(problemsOf(cohortPlan({ ...acme, match: { header: 'authorization', values: ['x'] } }))).toEqual([
      'stages.canary.cohort.match.header: the gateway uses this header itself; pick a header of your own',
    ]);
    expect(problemsOf(cohortPlan({ ...acme, match: { header: 'x-tenant', values: [] } }))).toEqual([
      'stages.canary.cohort.match.values: list at least one value',
    ]);
    expect(problemsOf(cohortPlan({ ...acme, match: { keyRange: { from: 0.2, to: 0.1 } } }))).toEqual([
      'stages.canary.cohort.match.keyRange.to: keyRange.to must be above keyRange.from',
    ]);
    expect(problemsOf(cohortPlan({ ...acme, steps: [] }))).toEqual([
      'stages.canary.cohort.steps: at least one cohort step',
    ]);
    expect(
      problemsOf(
        cohortPlan({
          ...acme,
          steps: [
            { weight: 50, window: '1m' },
            { weight: 50, window: '1m' },
          ],
        }),
      ),
    ).toEqual(['stages.canary.cohort.steps[1].weight: cohort weights must increase (step 1 has 50 after 50)']);
    expect(problemsOf(cohortPlan({ ...acme, steps: [{ weight: 101, window: '1m' }] }))).toEqual([
      'stages.canary.cohort.steps[0].weight: weight must be 1–100 (100: the whole cohort)',
    ]);
    // One of the four rules, exactly.
    expect(problemsOf(cohortPlan({ ...acme, match: { header: 'x-tenant', values: ['a'], keys: ['u'] } }))).toEqual([
      expect.stringMatching(/^stages\.canary\.cohort\.match: /),
    ]);
  });

  it('is refused where it cannot be served or judged: another router, or a judge not reading the records', () => {
    const haproxy = HAPROXY_ROUTER;
    expect(
      problemsOf(
        cohortPlan(acme, undefined, {
          router: haproxy,
          stages: { shadow: { enabled: false }, canary: { cohort: acme, steps: [] } },
        }),
      ),
    ).toEqual([
      'stages.canary.cohort: a cohort is matched request by request by the llm-rollout gateway; haproxy splits traffic by weight only: use router.kind gateway, or remove stages.canary.cohort',
    ]);
    expect(problemsOf(cohortPlan(acme, undefined, { guardrails: { judge: 'threshold' } }))).toEqual([
      "stages.canary.cohort: a cohort's traffic is judged from the gateway's per-request records: use guardrails.judge statistical with metrics.source records (the gateway's default)",
    ]);
  });

  it('is shown by plan check: who the cohort is, each step and what it is judged against', async () => {
    const text = describePlan(await loadPlanFile(EXAMPLE));
    expect(text).toContain('  cohort    requests with x-tenant: acme, globex');
    expect(text).toMatch(
      /cohort-1 +50% of the cohort for 30m, everyone else on the baseline; judged on the cohort's own traffic: its candidate requests against its baseline requests {2}\[approval first\]/,
    );
    expect(text).toMatch(
      /cohort-2 +100% of the cohort for 30m, everyone else on the baseline; the whole cohort is on the candidate: judged against the route's baseline/,
    );
    expect(text).toMatch(/canary-1 +10% of the rest for 20m, the cohort kept at 100%; judged on all traffic/);
  });
});

describe('cohort rules', () => {
  const probe = (over: Partial<CohortProbe>): CohortProbe => ({
    header: () => undefined,
    key: null,
    keyPosition: () => null,
    metadata: () => undefined,
    ...over,
  });
  const matches = (match: CohortMatch, over: Partial<CohortProbe>) => cohortMatcher(match)(probe(over));

  it('matches a header value (trimmed, exact), a listed key, a key position in range, a metadata tag', () => {
    const header = { header: 'x-tenant', values: ['acme'] };
    expect(matches(header, { header: (name) => (name === 'x-tenant' ? ' acme ' : undefined) })).toBe(true);
    expect(matches(header, { header: () => 'ACME' })).toBe(false);
    expect(matches(header, {})).toBe(false);
    expect(matches({ keys: ['u1', 'u2'] }, { key: 'u2' })).toBe(true);
    expect(matches({ keys: ['u1', 'u2'] }, { key: 'u3' })).toBe(false);
    expect(matches({ keys: ['u1'] }, { key: null })).toBe(false);
    const range = { keyRange: { from: 0.1, to: 0.2 } };
    expect(matches(range, { keyPosition: () => 0.1 })).toBe(true);
    expect(matches(range, { keyPosition: () => 0.2 })).toBe(false);
    expect(matches(range, { keyPosition: () => null })).toBe(false);
    expect(
      matches({ metadata: 'tier', values: ['beta'] }, { metadata: (n) => (n === 'tier' ? 'beta' : undefined) }),
    ).toBe(true);
    expect(matches({ metadata: 'tier', values: ['beta'] }, {})).toBe(false);
  });

  it('says who the cohort is in a few words', () => {
    expect(describeCohort({ header: 'x-tenant', values: ['a', 'b', 'c', 'd', 'e'] })).toBe(
      'requests with x-tenant: a, b, c and 2 more',
    );
    expect(describeCohort({ keys: ['u1'] })).toBe('1 listed user/session key');
    expect(describeCohort({ keyRange: { from: 0, to: 0.05 } })).toBe('user/session keys hashed into 0%–5%');
    expect(describeCohort({ metadata: 'tier', values: ['beta'] })).toBe('requests tagged metadata.tier: beta');
  });
});

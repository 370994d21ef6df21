// A plan's A/B experiment: validated with clear errors, expanded into its own stage after the
// canary's steps (its gate standing for the cutover's approval), and its sample-size plan shown by
// `rollout plan check`.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { describePlan } from '../../cli/plan-check';
import { loadPlanFile } from '../../plan/load';
import { parsePlan, type RolloutPlanInput } from '../../plan/schema';
import { stagesOf } from '../../workflows/rollout-stages';
import { HAPROXY_ROUTER, problemsOf } from '../support/plans';

const EXAMPLE = join(import.meta.dirname, '../../examples/support-bot-experiment.yaml');

const thumbs = {
  enabled: true,
  metric: { source: 'feedback', kind: 'thumbs' },
  baselineRate: 0.3,
  minimumDetectableEffect: 0.05,
};

function experimentPlan(experiment: object, extra: object = {}): RolloutPlanInput {
  return {
    rollout: { id: 'ab-plan' },
    backends: {
      baseline: { baseUrl: 'http://127.0.0.1:9001/v1', model: 'bot-v1' },
      candidate: { baseUrl: 'http://127.0.0.1:9002/v1', model: 'bot-v2' },
    },
    stages: { canary: { steps: [{ weight: 10, window: '10m' }] }, experiment },
    approvals: { approvers: ['alice'] },
    ...extra,
  } as RolloutPlanInput;
}

describe('plan experiment', () => {
  it('runs after the canary steps at its fixed share, its gate standing for the cutover approval', () => {
    const stages = stagesOf(parsePlan(experimentPlan({ ...thumbs, share: 30, maxDuration: '2d' })));
    expect(stages.map((s) => [s.id, s.kind, s.candidateWeight, s.windowMs, s.approvalBefore])).toEqual([
      ['shadow', 'shadow', 0, 600_000, false],
      ['canary-1', 'canary', 10, 600_000, true],
      ['experiment', 'experiment', 30, 2 * 86_400_000, false],
      ['cutover', 'cutover', 100, 1_800_000, false],
    ]);
    const gated = stagesOf(parsePlan(experimentPlan({ ...thumbs, requireApproval: true })));
    expect(gated.find((s) => s.id === 'experiment')!.approvalBefore).toBe(true);
    // Without one, the plan expands as before, with the cutover's approval.
    const plain = stagesOf(parsePlan(experimentPlan({})));
    expect(plain.map((s) => s.id)).toEqual(['shadow', 'canary-1', 'cutover']);
    expect(plain.at(-1)!.approvalBefore).toBe(true);
  });

  it('refuses an incomplete or contradictory experiment with a clear error for each field', () => {
    expect(problemsOf(experimentPlan({ enabled: true }))).toEqual([
      'stages.experiment.metric: metric is required when the experiment is enabled: what it decides on (source feedback or prometheus)',
      'stages.experiment.baselineRate: baselineRate is required when the experiment is enabled: the sample size is planned from it',
      'stages.experiment.minimumDetectableEffect: minimumDetectableEffect is required when the experiment is enabled: the sample size is planned from it',
    ]);
    expect(problemsOf(experimentPlan({ ...thumbs, metric: { source: 'feedback', kind: 'score' } }))).toEqual([
      'stages.experiment.metric.threshold: a score metric counts scores at or above a threshold: set metric.threshold',
    ]);
    expect(problemsOf(experimentPlan({ ...thumbs, baselineRate: 0.98 }))).toEqual([
      'stages.experiment.minimumDetectableEffect: baselineRate 0.98 + minimumDetectableEffect 0.05 must stay inside (0, 1)',
    ]);
    expect(problemsOf(experimentPlan({ ...thumbs, share: 100 }))).toEqual([
      'stages.experiment.share: share must be 1–99',
    ]);
    expect(
      problemsOf(
        experimentPlan({
          ...thumbs,
          metric: { source: 'prometheus', name: 'checkout', successes: 'sum(x)', trials: 'sum(y{arm="{{arm}}"})' },
        }),
      ),
    ).toEqual([
      'stages.experiment.metric.successes: the query must select one arm with {{arm}} (replaced by "baseline" or "candidate")',
    ]);
    expect(problemsOf(experimentPlan({ ...thumbs, metric: { source: 'feedback', kind: 'likes' } }))[0]).toMatch(
      /^stages\.experiment\.metric\.kind: /,
    );
  });

  it('needs the gateway for feedback, no cohort beside it, and an approver for its gate', () => {
    expect(
      problemsOf(
        experimentPlan(thumbs, {
          router: HAPROXY_ROUTER,
          stages: {
            shadow: { enabled: false },
            canary: { steps: [{ weight: 10, window: '10m' }] },
            experiment: thumbs,
          },
        }),
      ),
    ).toEqual([
      'stages.experiment.metric.source: user feedback is attributed to the backend that answered by the llm-rollout gateway; haproxy cannot: use router.kind gateway, or a metric with source prometheus',
    ]);
    const cohort = { match: { header: 'x-tenant', values: ['acme'] }, steps: [{ weight: 50, window: '10m' }] };
    expect(
      problemsOf(experimentPlan(thumbs, { stages: { canary: { steps: [], cohort }, experiment: thumbs } })),
    ).toEqual([
      'stages.experiment: an experiment splits the whole route at a fixed share, and a cohort keeps part of it pinned: use one or the other',
    ]);
    expect(
      problemsOf(
        experimentPlan(thumbs, {
          approvals: { approvers: [], requiredBefore: [] },
          guardrails: { onInconclusive: 'rollback' },
        }),
      ),
    ).toEqual(['approvals.approvers: at least one approver is required when the plan has approval gates']);
  });

  it('plan check shows the sample-size plan and whether the longest duration holds it', async () => {
    const text = describePlan(await loadPlanFile(EXAMPLE));
    expect(text).toContain('experiment   A/B experiment: 50% on the candidate (sticky per user)');
    expect(text).toContain('experiment thumbsUpRate (higher is better): baseline 62%, detect 65% (±3%) with 80% power');
    expect(text).toMatch(/needs 4,317 candidate and 4,317 baseline rated answers \(thumbs\) at a 50\/50 split/);
    expect(text).toContain('two-proportion z test (χ²) at α 0.04 at that size; always-valid early looks at α 0.01');
    expect(text).toContain('at 40 trials/min: about 216m; longest 168h  ok');
    const short = describePlan(parsePlan(experimentPlan({ ...thumbs, expectedTrialsPerMinute: 1, maxDuration: '1h' })));
    expect(short).toContain('TOO SHORT: the experiment would end short of its sample');
  });
});

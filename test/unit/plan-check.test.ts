// `rollout plan check` says which guardrails have nothing to measure before the rollout starts.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { describePlan } from '../../cli/plan-check';
import { loadPlanFile } from '../../plan/load';
import { parsePlan } from '../../plan/schema';

const minimal = JSON.parse(readFileSync(new URL('../../examples/minimal.json', import.meta.url), 'utf8'));

describe('plan check: guardrails with nothing to measure', () => {
  it('says a plan without prices leaves costPerRequest out, and which guardrails depend on the traffic', () => {
    const text = describePlan(parsePlan(minimal));
    expect(text).toContain('costPerRequest not judged: the plan gives no prices; it never blocks');
    expect(text).toMatch(
      /schemaAdherence \(JSON-mode requests\), timeToFirstToken \(streamed answers\): not applicable/,
    );
  });

  it('says nothing about cost once both backends are priced', () => {
    const pricing = { inputPer1k: 0.1, outputPer1k: 0.2 };
    const priced = {
      ...minimal,
      backends: {
        baseline: { ...minimal.backends.baseline, pricing },
        candidate: { ...minimal.backends.candidate, pricing },
      },
    };
    expect(describePlan(parsePlan(priced))).not.toContain('costPerRequest not judged');
  });

  it('shows the warm-up and counts it in the time, and rejects a malformed one', () => {
    expect(describePlan(parsePlan(minimal))).not.toContain('warm-up');
    // Five observed stages by default (shadow, three canary steps, the bake): 5 × 2m.
    const text = describePlan(parsePlan({ ...minimal, guardrails: { warmUp: '2m' } }));
    expect(text).toContain('warm-up   2m after each traffic change left out of judging, before each window starts');
    expect(text).toMatch(/time {6}at least \S+ of observation, 10m of warm-up, plus/);
    expect(() => parsePlan({ ...minimal, guardrails: { warmUp: 'soon' } })).toThrow(/guardrails\.warmUp/);
  });

  it('shows the whole-distribution guard (on by default), not when turned off, and rejects a quantile outside (0, 1)', () => {
    const text = describePlan(parsePlan(minimal));
    expect(text).toContain(
      'latencyDistribution* +0.1 at p50/p75/p90 of latency and time to first token: one always-valid test across them',
    );
    expect(
      describePlan(parsePlan({ ...minimal, guardrails: { latencyDistribution: { enabled: false } } })),
    ).not.toContain('latencyDistribution');
    expect(() =>
      parsePlan({ ...minimal, guardrails: { latencyDistribution: { enabled: true, quantiles: [0.5, 1] } } }),
    ).toThrow(/quantiles must be in \(0, 1\)/);
  });
});

describe('plan check: behavioral gates', () => {
  it('lists each gate’s metrics, the phrasing check among them, and its tolerance from the plan', () => {
    const plan = {
      ...minimal,
      stages: {
        ...minimal.stages,
        goldenEval: { enabled: true, dataset: 'golden.jsonl', policy: { metrics: { phrasing: { tolerance: 0.2 } } } },
      },
    };
    const text = describePlan(parsePlan(plan));
    expect(text).toMatch(/ {2}behavior {2}golden eval: errorRate\*, .*hedgeRate, phrasing\*, /);
    expect(text).toMatch(/shadow soak: .*hedgeRate, phrasing, schemaAdherence/);
    expect(text).toContain('beyond ±20 pts / ±10 pts; no judge needed');
  });
});

describe('plan check: canary behavioral checks', () => {
  it('says they run by default on the gateway, off when turned off, and what they judge with a judge', () => {
    expect(describePlan(parsePlan(minimal))).toMatch(
      /canary live answers, at every check of each canary step and the bake: phrasing\* \(±10 pts\) /,
    );
    const off = {
      ...minimal,
      stages: { ...minimal.stages, canary: { steps: [{ weight: 10, window: '5m' }], behavioral: { enabled: false } } },
    };
    expect(describePlan(parsePlan(off))).toContain('canary live answers: off (stages.canary.behavioral enables');
    const plan = {
      ...minimal,
      stages: {
        ...minimal.stages,
        canary: {
          steps: [{ weight: 10, window: '5m' }],
          behavioral: { judge: { baseUrl: 'http://127.0.0.1:9/v1', model: 'judge' } },
        },
      },
    };
    const text = describePlan(parsePlan(plan));
    expect(text).toMatch(
      /canary live answers, at every check of each canary step and the bake: phrasing\* \(±10 pts\), judge\.completeness\*/,
    );
    expect(text).toContain('at most 10 calls per check');
  });
});

describe('plan check: the fallback', () => {
  it('says where failed requests are retried, and that its answers are counted apart', async () => {
    const text = describePlan(await loadPlanFile(new URL('../../examples/support-bot.yaml', import.meta.url).pathname));
    expect(text).toContain(
      '  fallback  support-bot-spare at http://127.0.0.1:9003/v1: live requests failing before the first byte retried there (up to 1 attempt), its answers counted apart',
    );
    expect(describePlan(parsePlan(minimal))).not.toContain('fallback');
  });
});

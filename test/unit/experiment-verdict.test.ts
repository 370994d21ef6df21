// The A/B experiment's statistics: the planned size, and what each look decides. Simulated
// experiments check the promises the README makes: false positives held at α over every look and
// the final test together, the planned power at the minimum detectable effect, and a clear harm
// stopped early.
import { describe, expect, it } from 'vitest';
import { experimentSamplePlan, type ExperimentSamplePlan } from '../../judge/experiment-plan';
import {
  EMPTY_TALLY,
  lookAtExperiment,
  type ExperimentDecision,
  type ExperimentTally,
} from '../../judge/experiment-verdict';
import { mulberry32 } from '../../lib/seeded-random';
import { experimentStageSchema } from '../../plan/experiment-schema';

const stage = (fields: object = {}) =>
  experimentStageSchema.parse({
    enabled: true,
    metric: { source: 'feedback', kind: 'thumbs' },
    baselineRate: 0.3,
    minimumDetectableEffect: 0.05,
    ...fields,
  });

function look(
  plan: ExperimentSamplePlan,
  tally: ExperimentTally,
  alwaysValidP = 1,
  outOfTime = false,
  minTrials = 100,
) {
  return lookAtExperiment({
    stage: 'experiment',
    metric: 'thumbsUpRate',
    direction: 'higher_is_better',
    minTrials,
    plan,
    tally,
    alwaysValidP,
    outOfTime,
    at: '2026-12-04T00:00:00.000Z',
  });
}

/** One simulated experiment, looked at every `step` trials per arm until it decides. */
function simulate(plan: ExperimentSamplePlan, baselineRate: number, candidateRate: number, seed: number, step = 100) {
  const random = mulberry32(seed);
  const tally = { baseline: { successes: 0, trials: 0 }, candidate: { successes: 0, trials: 0 } };
  let p = 1;
  for (;;) {
    for (let i = 0; i < step; i++) {
      tally.baseline.trials += 1;
      if (random() < baselineRate) tally.baseline.successes += 1;
      tally.candidate.trials += 1;
      if (random() < candidateRate) tally.candidate.successes += 1;
    }
    const result = look(plan, tally, p);
    p = result.alwaysValidP;
    if (result.decision !== 'continue') return { ...result, trials: tally.candidate.trials };
  }
}

function rate(decisions: ExperimentDecision[], which: ExperimentDecision[]): number {
  return decisions.filter((d) => which.includes(d)).length / decisions.length;
}

describe('experiment sample-size plan', () => {
  it("matches R's power.prop.test at the final test's level", () => {
    // alpha 0.0625: the final test gets 0.05 of it. power.prop.test(p1 = .3, p2 = .33, power = .8) → n = 3762.4.
    const plan = experimentSamplePlan(stage({ alpha: 0.0625, minimumDetectableEffect: 0.03 }), 0.05)!;
    expect(plan.levels.final).toBeCloseTo(0.05, 12);
    expect(plan.levels.early + plan.levels.final).toBeCloseTo(0.0625, 12);
    expect(plan.candidate).toBe(3763);
    expect(plan.baseline).toBe(3763);
    expect(plan.targetRate).toBeCloseTo(0.33, 12);
  });

  it('sizes an uneven split, a lower-is-better metric and the expected duration', () => {
    const even = experimentSamplePlan(stage({ alpha: 0.05 }), 0.05)!;
    const uneven = experimentSamplePlan(stage({ alpha: 0.05, share: 20 }), 0.05)!;
    // 20/80: four baseline trials per candidate trial, and more trials in all than 50/50.
    expect(uneven.baseline).toBe(Math.ceil(uneven.candidate * 4));
    expect(uneven.candidate + uneven.baseline).toBeGreaterThan(even.candidate + even.baseline);
    const lower = experimentSamplePlan(stage({ direction: 'lower_is_better', expectedTrialsPerMinute: 10 }), 0.05)!;
    expect(lower.targetRate).toBeCloseTo(0.25, 12);
    expect(lower.expectedMinutes).toBeCloseTo((lower.candidate + lower.baseline) / 10, 9);
    expect(experimentSamplePlan(experimentStageSchema.parse({}), 0.05)).toBeNull();
  });
});

describe('experiment looks', () => {
  const plan = experimentSamplePlan(stage(), 0.05)!;

  it('waits with no trials on an arm, and says so; out of time ends it', () => {
    const none = look(plan, EMPTY_TALLY);
    expect(none.decision).toBe('continue');
    expect(none.verdict.metrics[0]!.classification).toBe('no_data');
    expect(look(plan, EMPTY_TALLY, 1, true).decision).toBe('out_of_time');
  });

  it('never stops early before each arm has minTrials, however large the difference', () => {
    const tally = { baseline: { successes: 5, trials: 50 }, candidate: { successes: 45, trials: 50 } };
    const early = look(plan, tally);
    expect(early.decision).toBe('continue');
    expect(early.alwaysValidP).toBe(1);
    expect(early.verdict.reason).toContain('early looks start at 100 trials per arm');
    expect(look(plan, tally, 1, false, 10).decision).toBe('better');
  });

  it('decides at the planned size with the z test (χ² = z²), whatever the early looks said', () => {
    const n = plan.candidate;
    const better = look(plan, {
      baseline: { successes: Math.round(n * 0.3), trials: n },
      candidate: { successes: Math.round(n * 0.36), trials: n },
    });
    expect(better.decision).toBe('better');
    expect(better.atPlannedSize).toBe(true);
    expect(better.verdict.outcome).toBe('pass');
    expect(better.verdict.metrics[0]!.test).toBe('two-proportion z test (fixed horizon)');
    const z = Number(/z = ([\d.-]+)/.exec(better.verdict.reason)![1]);
    const chi = Number(/χ² = ([\d.]+)/.exec(better.verdict.reason)![1]);
    expect(chi).toBeCloseTo(z * z, 1);
    const same = look(plan, {
      baseline: { successes: Math.round(n * 0.3), trials: n },
      candidate: { successes: Math.round(n * 0.305), trials: n },
    });
    expect(same.decision).toBe('no_difference');
    expect(same.verdict.outcome).toBe('inconclusive');
    const worse = look(plan, {
      baseline: { successes: Math.round(n * 0.3), trials: n },
      candidate: { successes: Math.round(n * 0.24), trials: n },
    });
    expect(worse.decision).toBe('worse');
    expect(worse.verdict.outcome).toBe('fail');
    expect(worse.verdict.metrics[0]!.classification).toBe('low');
  });

  it('holds false positives at α over every look and the final test (A/A, 1,000 runs)', () => {
    const decisions = Array.from({ length: 1_000 }, (_, seed) => simulate(plan, 0.3, 0.3, seed + 1).decision);
    // α = 0.05 by the union bound; the early looks spend little of theirs in practice.
    expect(rate(decisions, ['better', 'worse'])).toBeLessThanOrEqual(0.05 + 0.015);
    expect(rate(decisions, ['no_difference'])).toBeGreaterThan(0.9);
  });

  it('has the planned power at the minimum detectable effect, and stops a clear harm early', () => {
    const wins = Array.from({ length: 400 }, (_, seed) => simulate(plan, 0.3, 0.35, 10_000 + seed).decision);
    expect(rate(wins, ['better'])).toBeGreaterThan(0.8 - 0.06);
    expect(rate(wins, ['worse'])).toBe(0);
    const harms = Array.from({ length: 200 }, (_, seed) => simulate(plan, 0.3, 0.2, 20_000 + seed));
    expect(harms.every((run) => run.decision === 'worse')).toBe(true);
    // Most stop well before the planned size.
    const early = harms.filter((run) => !run.atPlannedSize).length / harms.length;
    expect(early).toBeGreaterThan(0.8);
    expect(harms[0]!.verdict.reason).toContain('stopped early');
  });
});

// The verdict model of the behavioral gates: how one metric is classified from paired samples,
// and how the golden eval and the shadow comparison turn a table of metrics into an outcome.
import { describe, expect, it } from 'vitest';
import { goldenDecision, shadowDecision } from '../../evals/behavioral-policy';
import {
  familyConfidence,
  judgeMetric,
  type BehavioralMetricEvidence,
  type MetricSamples,
  type MetricSpec,
} from '../../evals/metric-judgement';

const RATE: MetricSpec = {
  metric: 'refusalRate',
  label: 'answers that refuse',
  direction: 'higher_is_worse',
  statistic: 'difference',
  tolerance: 0.02,
  blocking: true,
  unit: 'rate',
};
const OPTIONS = { confidence: 0.99, minPairs: 8, maxNoScoreShare: 0.1, seedLabel: 'test' };

function samples(baseline: number[], candidate: number[], extra: Partial<MetricSamples> = {}): MetricSamples {
  return { baseline, candidate, expected: baseline.length, noScore: 0, ...extra };
}
const bits = (ones: number, n: number) => Array.from({ length: n }, (_, i) => (i < ones ? 1 : 0));

describe('judgeMetric', () => {
  it('calls a confident change beyond the tolerance on the harmful side a regression', () => {
    const m = judgeMetric(RATE, samples(bits(0, 200), bits(30, 200)), OPTIONS);
    expect(m).toMatchObject({
      change: 'regression',
      classification: 'high',
      status: 'ok',
      baseline: 0,
      candidate: 0.15,
      critical: true,
      blocking: true,
      deltaKind: 'absolute',
    });
    expect(m.delta).toBeCloseTo(0.15, 12);
    expect(m.interval![0]).toBeGreaterThan(0);
    expect(m.test).toBe('paired bootstrap (4000 resamples, percentile 99.0% CI)');
    expect(m.message).toMatch(
      /^refusalRate: 15\.0% vs baseline 0\.0%, Δ \+15\.0 pts \(99\.0% CI \+\d+\.\d pts … \+\d+\.\d pts\); regression beyond tolerance ±2\.0 pts \[n=200\]$/,
    );
  });

  it('calls the same change on the beneficial side an improvement', () => {
    const m = judgeMetric(RATE, samples(bits(30, 200), bits(0, 200)), OPTIONS);
    expect(m).toMatchObject({ change: 'improvement', classification: 'low' });
    expect(m.message).toContain('improvement beyond tolerance ±2.0 pts');
  });

  it('sees no change when the interval includes zero, or the change is within the tolerance', () => {
    // One discordant pair in 200: not distinguishable from zero.
    expect(judgeMetric(RATE, samples(bits(0, 200), bits(1, 200)), OPTIONS)).toMatchObject({
      change: 'none',
      classification: 'pass',
    });
    // A certain but immaterial shift: 0.01 on every pair, tolerance 0.02.
    const scores = Array.from({ length: 50 }, (_, i) => 3 + (i % 3));
    const judge: MetricSpec = {
      ...RATE,
      metric: 'judge.clarity',
      direction: 'lower_is_worse',
      tolerance: 0.25,
      unit: 'score',
    };
    expect(
      judgeMetric(
        judge,
        samples(
          scores,
          scores.map((s) => s - 0.1),
        ),
        OPTIONS,
      ),
    ).toMatchObject({ change: 'none', classification: 'pass' });
  });

  it('judges "either" direction metrics by size on both sides', () => {
    const length: MetricSpec = {
      ...RATE,
      metric: 'length',
      direction: 'either',
      statistic: 'ratio',
      tolerance: 0.3,
      unit: 'tokens',
    };
    const b = Array.from({ length: 100 }, (_, i) => 100 + (i % 20));
    expect(
      judgeMetric(
        length,
        samples(
          b,
          b.map((v) => v * 0.5),
        ),
        OPTIONS,
      ),
    ).toMatchObject({ change: 'regression', classification: 'low', deltaKind: 'relative' });
    expect(
      judgeMetric(
        length,
        samples(
          b,
          b.map((v) => v * 1.6),
        ),
        OPTIONS,
      ),
    ).toMatchObject({ change: 'regression', classification: 'high' });
  });

  it('never passes a metric it could not judge', () => {
    const na = judgeMetric(RATE, samples([], [], { expected: 0 }), OPTIONS);
    expect(na).toMatchObject({
      status: 'not_applicable',
      change: 'no_data',
      classification: 'no_data',
      baseline: null,
      delta: null,
    });
    expect(na.message).toBe('refusalRate: not applicable (no item to score)');
    const few = judgeMetric(RATE, samples(bits(0, 5), bits(0, 5)), OPTIONS);
    expect(few).toMatchObject({ status: 'insufficient', change: 'no_data', classification: 'no_data' });
    expect(few.message).toContain('too few pairs to judge (5)');
    // 20 of 100 items unscored (> 10 %): incomplete, even though the scored ones look equal.
    const incomplete = judgeMetric(
      RATE,
      samples(bits(0, 80), bits(0, 80), {
        expected: 100,
        noScore: 20,
        noScoreReasons: { 'judge answer did not parse': 20 },
      }),
      OPTIONS,
    );
    expect(incomplete).toMatchObject({ status: 'incomplete', change: 'no_data', noScore: 20, expected: 100 });
    expect(incomplete.message).toContain('20/100 no score (20× judge answer did not parse)');
  });

  it('still reports a regression seen on the part that was scored', () => {
    const m = judgeMetric(RATE, samples(bits(0, 80), bits(40, 80), { expected: 100, noScore: 20 }), OPTIONS);
    expect(m).toMatchObject({ status: 'incomplete', change: 'regression' });
  });

  it('holds the family-wise error with Bonferroni', () => {
    expect(familyConfidence(0.05, 10)).toBeCloseTo(0.995, 12);
    expect(familyConfidence(0.05, 0)).toBeCloseTo(0.95, 12);
  });
});

function metric(
  name: string,
  change: BehavioralMetricEvidence['change'],
  blocking: boolean,
  status: BehavioralMetricEvidence['status'] = 'ok',
): BehavioralMetricEvidence {
  const spec: MetricSpec = { ...RATE, metric: name, blocking };
  const fake = judgeMetric(spec, samples(bits(0, 10), bits(0, 10)), OPTIONS);
  return {
    ...fake,
    change,
    status,
    delta: change === 'none' ? 0 : change === 'improvement' ? -0.1 : 0.1,
    interval: [0.05, 0.15],
  };
}

describe('goldenDecision', () => {
  it('fails on a regression of a blocking metric, naming it', () => {
    const decision = goldenDecision([
      metric('refusalRate', 'regression', true),
      metric('judge.clarity', 'improvement', true),
    ]);
    expect(decision.outcome).toBe('fail');
    expect(decision.reason).toMatch(/^regression on blocking metric\(s\): refusalRate \+10\.0 pts/);
  });

  it('fails when the plan’s pass-rate floor is broken, even with no metric regression', () => {
    expect(
      goldenDecision([metric('length', 'none', false)], {
        failed: true,
        reason: 'golden pass rate 50.0% …: below the minimum 90.0%',
      }),
    ).toEqual({
      outcome: 'fail',
      reason: 'golden pass rate 50.0% …: below the minimum 90.0%',
    });
  });

  it('sends an improvement or a non-blocking change to a human as "differs from the baseline"', () => {
    const improved = goldenDecision([metric('judge.clarity', 'improvement', true), metric('length', 'none', false)]);
    expect(improved.outcome).toBe('inconclusive');
    expect(improved.reason).toMatch(/^differs from the baseline; needs review: improvement: judge\.clarity −10\.0 pts/);
    const drifted = goldenDecision([metric('similarity', 'regression', false)]);
    expect(drifted.outcome).toBe('inconclusive');
    expect(drifted.reason).toMatch(/^differs from the baseline; needs review: non-blocking change: similarity/);
  });

  it('asks a human when evidence is missing, never passes', () => {
    const decision = goldenDecision([
      metric('judge.completeness', 'no_data', true, 'incomplete'),
      metric('length', 'none', false),
    ]);
    expect(decision.outcome).toBe('inconclusive');
    expect(decision.reason).toMatch(/^not enough evidence; needs review: judge\.completeness no score/);
    // Too few pairs on a non-blocking metric is a note, not a reason to stop.
    expect(
      goldenDecision([metric('hedgeRate', 'no_data', false, 'insufficient'), metric('refusalRate', 'none', true)])
        .outcome,
    ).toBe('pass');
    expect(goldenDecision([metric('schemaAdherence', 'no_data', true, 'insufficient')]).outcome).toBe('inconclusive');
  });

  it('passes when every metric is unchanged', () => {
    expect(
      goldenDecision([
        metric('refusalRate', 'none', true),
        metric('length', 'none', false),
        metric('schemaAdherence', 'no_data', true, 'not_applicable'),
      ]),
    ).toEqual({
      outcome: 'pass',
      reason: 'no detectable change on 2 metrics',
    });
  });
});

describe('shadowDecision (the seeds’ rule)', () => {
  const options = { pairs: 300, minPairs: 30, failAtBreaches: 2 };
  it('rolls back on two breaches, asks a human on one, passes on none', () => {
    expect(
      shadowDecision([metric('length', 'regression', false), metric('similarity', 'regression', false)], options),
    ).toMatchObject({
      outcome: 'fail',
      reason: expect.stringMatching(/^2 breached thresholds on 300 shadow pairs: length .*; similarity/),
    });
    expect(
      shadowDecision([metric('schemaAdherence', 'regression', false), metric('length', 'none', false)], options),
    ).toMatchObject({
      outcome: 'inconclusive',
      reason: expect.stringMatching(
        /^1 breached threshold on 300 shadow pairs; differs from the baseline; needs review: schemaAdherence/,
      ),
    });
    expect(
      shadowDecision([metric('length', 'none', false), metric('judge.clarity', 'improvement', false)], options),
    ).toMatchObject({
      outcome: 'pass',
      reason: expect.stringMatching(
        /^no breached threshold on 300 shadow pairs \(2 metrics\); improvement: judge\.clarity/,
      ),
    });
  });

  it('rolls back on one breach of a metric the plan made blocking', () => {
    expect(shadowDecision([metric('schemaAdherence', 'regression', true)], options).outcome).toBe('fail');
  });

  it('is inconclusive with too few pairs or too many unscored samples', () => {
    expect(shadowDecision([metric('length', 'none', false)], { ...options, pairs: 12 })).toEqual({
      outcome: 'inconclusive',
      reason: 'only 12 shadow pairs (needs 30); not enough evidence; needs review',
    });
    expect(shadowDecision([metric('judge.directness', 'no_data', false, 'incomplete')], options).reason).toMatch(
      /^not enough evidence; needs review: judge\.directness no score/,
    );
  });
});

// The judge's interval, p-value and class come from one test at one level, for every metric
// kind the plan has: proportions (error rate, refusals, schema adherence), latency and time to
// first token (exceedance counts or raw samples), and means (length, cost; raw, log or absolute).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { judgeCanary } from '../../judge/canary-judge';
import type { JudgeConfig, JudgeMetricEvidence, JudgeState, MetricConfig, MetricData } from '../../judge/canary-judge';

const ALPHA = 0.05;
const REFERENCE = { quantile: 0.99, threshold: 2500, toleranceRate: 0.025 };

/** The metrics of a plan, one per kind; seven blocking, so each of these tests runs at α/7. */
const METRICS: MetricConfig[] = [
  { name: 'errorRate', kind: 'proportion', direction: 'higher_is_worse', tolerance: 0.01, critical: true },
  { name: 'schemaAdherence', kind: 'proportion', direction: 'lower_is_worse', tolerance: 0.02, critical: true },
  {
    name: 'p99Latency',
    kind: 'latency',
    direction: 'higher_is_worse',
    tolerance: 0.25,
    critical: true,
    reference: REFERENCE,
  },
  {
    name: 'timeToFirstToken',
    kind: 'latency',
    direction: 'higher_is_worse',
    tolerance: 0.25,
    critical: true,
    reference: { quantile: 0.99, threshold: 5900, toleranceRate: 0.03 },
  },
  {
    name: 'latencyDistribution',
    kind: 'latency',
    direction: 'higher_is_worse',
    tolerance: 0.1,
    critical: true,
    distribution: [
      { quantile: 0.5, threshold: 800, toleranceRate: 0.54 },
      { quantile: 0.75, threshold: 1100, toleranceRate: 0.29 },
      { quantile: 0.9, threshold: 1500, toleranceRate: 0.13 },
    ],
  },
  { name: 'length', kind: 'continuous', direction: 'either', tolerance: 0.3, blocking: false },
  { name: 'costPerRequest', kind: 'continuous', direction: 'higher_is_worse', tolerance: 0.5, scale: 'log' },
  { name: 'judgeScore', kind: 'continuous', direction: 'lower_is_worse', tolerance: 0.25, toleranceKind: 'absolute' },
];

const BLOCKING = METRICS.filter((m) => m.blocking ?? true).length;

function config(): JudgeConfig {
  return { alpha: ALPHA, minSamples: 100, burnIn: 20, scoreThresholds: { pass: 95, marginal: 75 }, metrics: METRICS };
}

const counts = (n: number) =>
  fc.record({ nb: fc.integer({ min: 1, max: 4000 }), nc: fc.integer({ min: 1, max: 4000 }) }).chain(({ nb, nc }) =>
    fc.record({
      b: fc.record({ events: fc.integer({ min: 0, max: Math.min(nb, n) }), total: fc.constant(nb) }),
      c: fc.record({ events: fc.integer({ min: 0, max: Math.min(nc, n) }), total: fc.constant(nc) }),
    }),
  );
const summary = (meanMin: number, meanMax: number) =>
  fc.record({
    n: fc.integer({ min: 2, max: 5000 }),
    mean: fc.double({ min: meanMin, max: meanMax, noNaN: true }),
    variance: fc.double({ min: 1e-6, max: 4, noNaN: true }),
  });
const samples = fc.array(fc.double({ min: 50, max: 6000, noNaN: true }), {
  minLength: 1,
  maxLength: 1500,
  size: 'max',
});

/** One look's data for every metric. */
const lookData = fc
  .record({
    errorRate: counts(4000),
    schemaAdherence: counts(4000),
    p99Latency: counts(400),
    // Up to 2× slower: at α/7 split over three quantiles, about 7 % of looks are then a regression
    // (at 1.6× it was 0.6 %, so 300 runs missed one about one time in six).
    body: fc.record({ b: samples, c: samples, slower: fc.double({ min: 0.7, max: 2, noNaN: true }) }),
    ttft: fc.record({ b: samples, c: samples, slower: fc.double({ min: 0.5, max: 5, noNaN: true }) }),
    length: fc.record({ b: summary(0.5, 3), c: summary(0.5, 3) }),
    cost: fc.record({ b: summary(-3, 1), c: summary(-3, 1) }),
    judgeScore: fc.record({ b: summary(0, 1), c: summary(0, 1) }),
  })
  .map((d): Record<string, MetricData> => ({
    errorRate: { type: 'counts', baseline: d.errorRate.b, candidate: d.errorRate.c },
    schemaAdherence: { type: 'counts', baseline: d.schemaAdherence.b, candidate: d.schemaAdherence.c },
    p99Latency: { type: 'exceedance', threshold: 2500, baseline: d.p99Latency.b, candidate: d.p99Latency.c },
    latencyDistribution: { type: 'samples', baseline: d.body.b, candidate: d.body.c.map((x) => x * d.body.slower) },
    timeToFirstToken: { type: 'samples', baseline: d.ttft.b, candidate: d.ttft.c.map((x) => x * d.ttft.slower) },
    length: { type: 'summary', scale: 'raw', baseline: d.length.b, candidate: d.length.c },
    costPerRequest: { type: 'summary', scale: 'log', baseline: d.cost.b, candidate: d.cost.c },
    judgeScore: { type: 'summary', scale: 'raw', baseline: d.judgeScore.b, candidate: d.judgeScore.c },
  }));

function assertAgreement(m: JudgeMetricEvidence): void {
  const s = m.sequential;
  if (!s) {
    expect(m.classification).toBe('no_data');
    return;
  }
  const [lower, upper] = s.interval;
  const [nullLower, nullUpper] = s.nullInterval;
  const above = nullUpper !== null && lower > nullUpper;
  const below = nullLower !== null && upper < nullLower;
  // One level: α/M for the blocking metrics, α for the others.
  expect(s.level).toBe(m.blocking ? ALPHA / BLOCKING : ALPHA);
  expect(m.pValue).toBe(s.pValue);
  if (s.active) {
    // The p-value rejects exactly when the interval lies wholly beyond the tolerance …
    expect(s.pValue <= s.level, `${m.metric}: p ${s.pValue}, level ${s.level}, [${lower}, ${upper}]`).toBe(
      above || below,
    );
    expect(s.rejected).toBe(s.pValue <= s.level);
  } else {
    expect(s.rejected).toBe(false);
  }
  // … and the class is High/Low exactly then, on that side.
  expect(m.classification === 'high').toBe(s.rejected && above);
  // (Both only when looks contradict each other so far that the running interval is empty: High.)
  expect(m.classification === 'low').toBe(s.rejected && below && !above);
  expect(m.withinTolerance).toBe(
    (nullUpper === null || upper < nullUpper) && (nullLower === null || lower > nullLower),
  );
  // The evidence names the test that decided, in the record and in the text.
  expect(m.decidedBy).toMatch(/^always-valid mSPRT .* at α/);
  expect(m.message).toContain(`decided by ${m.decidedBy}`);
  expect(m.message).toContain(`p = ${s.pValue.toPrecision(2)}`);
  const rows = m.latency?.distribution;
  if (rows) {
    // A distribution: each quantile is its own test at level / K, agreeing with itself; the one
    // that decides is the one shown, and the metric's p is K times its p.
    const K = rows.length;
    for (const row of rows) {
      expect(row.level).toBeCloseTo(s.level / K, 15);
      if (s.active) expect(row.pValue <= row.level).toBe(row.interval[0] > row.tolerance);
    }
    const decider = rows.find((row) => row.quantile === m.latency!.quantile)!;
    expect(decider.interval).toEqual(s.interval);
    expect(s.nullInterval[1]).toBe(decider.tolerance);
    expect(s.pValue).toBeCloseTo(Math.min(1, K * decider.pValue), 9);
    expect(Math.min(...rows.map((row) => row.pValue))).toBe(decider.pValue);
    expect(m.message).toContain(`share above the baseline's p${Math.round(decider.quantile * 100)}`);
    expect(m.decidedBy).toContain(`Bonferroni over ${K} quantiles`);
  }
}

describe('judge evidence agrees with itself', () => {
  it('at one look, for every metric kind: class High/Low ⇔ interval beyond the tolerance ⇔ p ≤ α/M', () => {
    const seen = new Map<string, Set<string>>();
    fc.assert(
      fc.property(lookData, (data) => {
        const { verdict } = judgeCanary({ stage: 'canary-1', at: 'look', config: config(), data });
        expect(verdict.metrics.map((m) => m.metric)).toEqual(METRICS.map((m) => m.name));
        for (const m of verdict.metrics) {
          assertAgreement(m);
          seen.set(m.metric, (seen.get(m.metric) ?? new Set()).add(m.classification));
        }
      }),
      { numRuns: 300 },
    );
    // The data reach both sides of the decision for every kind, so the agreement is tested where it matters.
    for (const m of METRICS) {
      expect(seen.get(m.name)!.has('pass') || seen.get(m.name)!.has('no_data'), m.name).toBe(true);
      expect(seen.get(m.name)!.has(m.direction === 'lower_is_worse' ? 'low' : 'high'), m.name).toBe(true);
    }
  });

  it('over a window of looks: the running p-value and running interval still agree', () => {
    fc.assert(
      fc.property(fc.array(lookData, { minLength: 2, maxLength: 6 }), (looks) => {
        let state: JudgeState | undefined;
        for (const data of looks) {
          const result = judgeCanary({ stage: 'canary-1', at: 'look', config: config(), data, state });
          for (const m of result.verdict.metrics) assertAgreement(m);
          state = JSON.parse(JSON.stringify(result.state)) as JudgeState; // as the workflow stores it
        }
      }),
      { numRuns: 100 },
    );
  });

  it('a critical breach reads as one: the reason quotes the interval beyond the tolerance and the deciding test', () => {
    const { verdict } = judgeCanary({
      stage: 'canary-1',
      at: 'look',
      config: config(),
      data: {
        errorRate: { type: 'counts', baseline: { events: 10, total: 1000 }, candidate: { events: 80, total: 1000 } },
      },
    });
    expect(verdict.outcome).toBe('fail');
    expect(verdict.reason).toMatch(
      /^critical regression: errorRate up \+7\.00 pts, beyond the tolerance \(always-valid 99\.29 % \+\d\.\d\d pts to \+\d+\.\d\d pts; tolerance \+1\.00 pts; p = .* against the tolerance; n = 1000\/1000; decided by always-valid mSPRT \(one side of the tolerance\) at α\/7 = 0\.00714\)$/,
    );
  });

  it('a candidate that breaks within the window: the reason says its looks disagree, and a share stays within ±100 pts', () => {
    const look = (candidateEvents: number, at: string, state?: JudgeState) =>
      judgeCanary({
        stage: 'canary-1',
        at,
        config: config(),
        state,
        data: {
          errorRate: {
            type: 'counts',
            baseline: { events: 0, total: 400 },
            candidate: { events: candidateEvents, total: 400 },
          },
        },
      });
    const healthy = look(0, 'first');
    const broken = look(400, 'second', JSON.parse(JSON.stringify(healthy.state)) as JudgeState);
    expect(broken.verdict.outcome).toBe('fail');
    expect(broken.verdict.reason).toContain(
      "intervals of this window's looks do not overlap: the metric moved within the window",
    );
    const fresh = look(400, 'alone');
    expect(fresh.verdict.outcome).toBe('fail');
    const [, upper] = /always-valid [\d.]+ % \+[\d.]+ pts to \+([\d.]+) pts/.exec(fresh.verdict.reason)!;
    expect(Number(upper)).toBeLessThanOrEqual(100);
  });
});

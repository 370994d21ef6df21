import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { SeededRandom } from '../../lib/seeded-random';
import { initialJudgeState, judgeCanary, latencyReferenceFromShadow } from '../../judge/canary-judge';
import type { JudgeConfig, JudgeInput, MetricData } from '../../judge/canary-judge';
import type { Verdict } from '../../judge/verdict';

const AT = '2025-01-01T00:00:00.000Z';

function config(overrides: Partial<JudgeConfig> = {}): JudgeConfig {
  return {
    alpha: 0.05,
    minSamples: 500,
    scoreThresholds: { pass: 95, marginal: 75 },
    metrics: [
      {
        name: 'errorRate',
        kind: 'proportion',
        direction: 'higher_is_worse',
        tolerance: 0.01,
        critical: true,
        group: 'reliability',
      },
      { name: 'refusalRate', kind: 'proportion', direction: 'higher_is_worse', tolerance: 0.02, group: 'quality' },
      {
        name: 'schemaAdherence',
        kind: 'proportion',
        direction: 'lower_is_worse',
        tolerance: 0.02,
        critical: true,
        group: 'quality',
      },
      { name: 'length', kind: 'continuous', direction: 'either', tolerance: 0.3, group: 'quality' },
    ],
    ...overrides,
  };
}

function counts(bEvents: number, bTotal: number, cEvents: number, cTotal: number): MetricData {
  return {
    type: 'counts',
    baseline: { events: bEvents, total: bTotal },
    candidate: { events: cEvents, total: cTotal },
  };
}

function summary(n: number, mean: number, sd: number, cMean = mean, cSd = sd, cN = n): MetricData {
  return {
    type: 'summary',
    scale: 'raw',
    baseline: { n, mean, variance: sd * sd },
    candidate: { n: cN, mean: cMean, variance: cSd * cSd },
  };
}

function healthy(n = 3000): JudgeInput['data'] {
  return {
    errorRate: counts(Math.round(n * 0.01), n, Math.round(n * 0.01), n),
    refusalRate: counts(Math.round(n * 0.02), n, Math.round(n * 0.02), n),
    schemaAdherence: counts(Math.round(n * 0.98), n, Math.round(n * 0.98), n),
    length: summary(n, 300, 180),
  };
}

function judge(data: JudgeInput['data'], cfg = config(), state?: JudgeInput['state']) {
  return judgeCanary({ stage: 'canary-5', at: AT, config: cfg, data, state });
}

describe('canary judge: outcomes', () => {
  it('no data is never a pass', () => {
    const { verdict } = judge({});
    expect(verdict.outcome).toBe('inconclusive');
    expect(verdict.metrics.every((m) => m.classification === 'no_data')).toBe(true);
    expect(verdict.score).toBeUndefined();
    expect(verdict.reason).toMatch(/not enough evidence/);
  });

  it('no pass before the minimum sample size', () => {
    const { verdict } = judge(healthy(200));
    expect(verdict.outcome).toBe('inconclusive');
    const err = verdict.metrics.find((m) => m.metric === 'errorRate')!;
    expect(err.classification).toBe('no_data');
    expect(err.status).toBe('insufficient');
    expect(verdict.reason).toMatch(/needs 500 each/);
  });

  it('passes a healthy canary with enough samples and carries the evidence', () => {
    const { verdict } = judge(healthy());
    expect(verdict.outcome).toBe('pass');
    expect(verdict.score).toBe(100);
    expect(verdict.at).toBe(AT);
    for (const m of verdict.metrics) {
      expect(m.classification).toBe('pass');
      expect(m.samples).toEqual({ baseline: 3000, candidate: 3000 });
      expect(m.test).toMatch(/mSPRT/);
      expect(m.pValue).toBeGreaterThan(0.05);
      expect(m.interval![0]).toBeLessThanOrEqual(m.delta!);
      expect(m.interval![1]).toBeGreaterThanOrEqual(m.delta!);
      expect(m.sequential?.familySize).toBe(4);
      expect(m.fixedHorizon!.length).toBeGreaterThan(0);
    }
    const err = verdict.metrics.find((m) => m.metric === 'errorRate')!;
    expect(err.fixedHorizon!.map((f) => f.test)).toEqual([
      'Newcombe hybrid score interval (p_c − p_b)',
      'two-proportion z test (pooled, greater)',
    ]);
    const length = verdict.metrics.find((m) => m.metric === 'length')!;
    expect(length.deltaKind).toBe('relative');
    expect(length.fixedHorizon![0]!.test).toMatch(/Welch/);
  });

  it('fails on a critical regression, with the estimate, interval and test in the evidence', () => {
    const data = healthy();
    data.errorRate = counts(30, 3000, 120, 3000); // 1 % → 4 %
    const { verdict } = judge(data);
    expect(verdict.outcome).toBe('fail');
    const err = verdict.metrics.find((m) => m.metric === 'errorRate')!;
    expect(err.classification).toBe('high');
    expect(err.delta).toBeCloseTo(0.03, 12);
    expect(err.interval![0]).toBeGreaterThan(0.01); // wholly beyond the tolerance
    expect(err.sequential!.rejected).toBe(true);
    expect(err.sequential!.level).toBeCloseTo(0.05 / 4, 15);
    expect(err.pValue!).toBeLessThanOrEqual(0.05 / 4);
    expect(err.sequential!.adjustedPValue).toBeLessThanOrEqual(0.05);
    expect(err.decidedBy).toBe('always-valid mSPRT (one side of the tolerance) at α/4 = 0.0125');
    expect(verdict.reason).toMatch(/critical regression: errorRate up \+3\.00 pts, beyond the tolerance/);
    expect(verdict.reason).toContain('decided by always-valid mSPRT');
  });

  it('fails early on overwhelming evidence, before the minimum sample size', () => {
    const data = healthy(300);
    data.schemaAdherence = counts(294, 300, 210, 300); // 98 % → 70 %
    const { verdict } = judge(data);
    expect(verdict.outcome).toBe('fail');
    expect(verdict.metrics.find((m) => m.metric === 'schemaAdherence')!.classification).toBe('low');
  });

  it('never counts an improvement against a directional metric', () => {
    const data = healthy();
    data.errorRate = counts(90, 3000, 3, 3000); // 3 % → 0.1 %
    const { verdict } = judge(data);
    expect(verdict.metrics.find((m) => m.metric === 'errorRate')!.classification).toBe('pass');
    expect(verdict.outcome).toBe('pass');
  });

  it('a non-critical regression lowers the score: marginal → inconclusive, below marginal → fail', () => {
    const data = healthy();
    data.refusalRate = counts(60, 3000, 300, 3000); // 2 % → 10 %
    const { verdict } = judge(data, config({ groupWeights: { reliability: 50, quality: 50 } }));
    const refusal = verdict.metrics.find((m) => m.metric === 'refusalRate')!;
    expect(refusal.classification).toBe('high');
    // reliability group 100 %, quality group 2 of 3 passing → 50·1 + 50·⅔ = 83.3
    expect(verdict.score).toBe(83.3);
    expect(verdict.outcome).toBe('inconclusive');
    expect(verdict.reason).toMatch(/marginal score 83.3/);
    const strict = judge(
      data,
      config({ groupWeights: { reliability: 50, quality: 50 }, scoreThresholds: { pass: 95, marginal: 90 } }),
    );
    expect(strict.verdict.outcome).toBe('fail');
    expect(strict.verdict.scoreBreakdown.groups.find((g) => g.group === 'quality')!.score).toBe(66.7);
  });

  it('a two-sided metric is Low when it drops beyond tolerance', () => {
    const data = healthy();
    data.length = summary(3000, 300, 180, 150, 90); // −50 %
    const { verdict } = judge(data);
    const length = verdict.metrics.find((m) => m.metric === 'length')!;
    expect(length.classification).toBe('low');
    expect(length.delta).toBeCloseTo(-0.5, 12);
  });

  it('a shift shown but within the tolerance is not a regression', () => {
    const data = healthy(200_000);
    data.errorRate = counts(2000, 200_000, 2600, 200_000); // +0.3 pt, tolerance 1 pt
    const { verdict } = judge(data);
    const err = verdict.metrics.find((m) => m.metric === 'errorRate')!;
    expect(err.interval![0]).toBeGreaterThan(0); // certainly worse than the baseline …
    expect(err.interval![1]).toBeLessThan(0.01); // … and certainly within the tolerance
    expect(err.sequential!.rejected).toBe(false);
    expect(err.pValue).toBe(1);
    expect(err.classification).toBe('pass');
    expect(err.withinTolerance).toBe(true);
    expect(err.message).toMatch(/within tolerance/);
    expect(verdict.outcome).toBe('pass');
  });

  it('an interval that still contains the tolerance is not a regression, whatever the estimate', () => {
    // The demo's case: +11 pts on 90 requests an arm, against a 1-point tolerance.
    const data = healthy(90);
    data.errorRate = counts(0, 90, 10, 90);
    const { verdict } = judge(data, config({ minSamples: 50 }));
    const err = verdict.metrics.find((m) => m.metric === 'errorRate')!;
    expect(err.interval![0]).toBeLessThan(0.01);
    expect(err.pValue!).toBeGreaterThan(err.sequential!.level);
    expect(err.classification).toBe('pass');
    expect(err.message).toMatch(/no regression beyond the tolerance shown/);
  });

  it('non-blocking metrics are shown but neither scored nor deciding', () => {
    const cfg = config();
    cfg.metrics.push({
      name: 'cost',
      kind: 'continuous',
      direction: 'higher_is_worse',
      tolerance: 0.1,
      blocking: false,
      critical: true,
    });
    const data = healthy();
    data.cost = summary(3000, 0.002, 0.001, 0.004, 0.002);
    const { verdict } = judge(data, cfg);
    const cost = verdict.metrics.find((m) => m.metric === 'cost')!;
    expect(cost.classification).toBe('high');
    expect(cost.sequential!.familySize).toBe(1);
    expect(verdict.metrics.find((m) => m.metric === 'errorRate')!.sequential!.familySize).toBe(4);
    expect(verdict.outcome).toBe('pass');
  });

  it('requireWithinTolerance holds a pass until the interval excludes the tolerance', () => {
    const cfg = config({ requireWithinTolerance: true });
    expect(judge(healthy(600), cfg).verdict.outcome).toBe('inconclusive');
    expect(judge(healthy(50_000), cfg).verdict.outcome).toBe('pass');
  });
});

describe('canary judge: sequential state', () => {
  it('carries the running minimum of each p-value and the running intersection of its interval', () => {
    const bad = healthy();
    bad.refusalRate = counts(60, 3000, 180, 3000); // +4 pts, tolerance 2 pts
    const first = judge(bad);
    const s1 = first.state.sequences.refusalRate!;
    expect(s1.p).toBeLessThan(1);
    expect(first.state.looks).toBe(1);
    const second = judge(healthy(6000), config(), first.state);
    const refusal = second.verdict.metrics.find((m) => m.metric === 'refusalRate')!;
    expect(second.state.sequences.refusalRate!.p).toBe(s1.p);
    expect(refusal.pValue).toBe(s1.p);
    expect(refusal.sequential!.interval[0]).toBe(s1.lower);
    expect(refusal.sequential!.interval[1]).toBeLessThan(s1.upper!);
    expect(second.state.looks).toBe(2);
    expect(initialJudgeState()).toEqual({ sequences: {}, looks: 0 });
  });

  it('ignores the p-values of states written before the test was against the tolerance', () => {
    const old = { pValues: { errorRate: 1e-9 }, looks: 3 } as unknown as JudgeInput['state'];
    const { verdict } = judge(healthy(), config(), old);
    expect(verdict.metrics.find((m) => m.metric === 'errorRate')!.classification).toBe('pass');
  });

  it('does not reject during burn-in', () => {
    const data = healthy(30);
    data.errorRate = counts(0, 30, 15, 30);
    const { verdict, state } = judge(data, config({ burnIn: 50 }));
    expect(verdict.metrics.find((m) => m.metric === 'errorRate')!.sequential!.active).toBe(false);
    expect(verdict.outcome).toBe('inconclusive');
    expect(state.sequences.errorRate).toBeUndefined();
  });

  it('is deterministic and JSON-safe (Temporal stores verdicts as JSON)', () => {
    const data = healthy();
    data.errorRate = counts(30, 3000, 120, 3000);
    const a = judge(data);
    const b = judge(data);
    expect(a).toEqual(b);
    expect(JSON.parse(JSON.stringify(a))).toEqual(a);
    const base: Verdict = a.verdict; // a JudgeVerdict is a Verdict
    expect(base.outcome).toBe('fail');
  });
});

describe('canary judge: latency and raw samples', () => {
  const prng = new SeededRandom(42);
  const logNormal = (n: number, median: number, sigma: number): number[] =>
    Array.from({ length: n }, () => median * Math.exp(sigma * prng.normal()));
  const shadow = logNormal(20_000, 800, 0.5);
  const reference = latencyReferenceFromShadow(shadow, 0.99, 0.15);
  const cfg: JudgeConfig = {
    alpha: 0.05,
    minSamples: 500,
    scoreThresholds: { pass: 95, marginal: 75 },
    metrics: [
      { name: 'latency', kind: 'latency', direction: 'higher_is_worse', tolerance: 0.15, critical: true, reference },
    ],
  };

  it('derives the threshold and tolerance rate from shadow samples', () => {
    // Log-normal: p99 = 800·e^(0.5·2.326) ≈ 2559; a +15 % shift → P(Z > 2.326 − ln 1.15/0.5) ≈ 2.0 %.
    expect(reference.threshold).toBeGreaterThan(2300);
    expect(reference.threshold).toBeLessThan(2800);
    expect(reference.toleranceRate).toBeGreaterThan(0.015);
    expect(reference.toleranceRate).toBeLessThan(0.026);
  });

  it('passes equal latency and fails +50 %, with ranks and quantiles in the evidence', () => {
    const base = logNormal(4000, 800, 0.5);
    const same = judge({ latency: { type: 'samples', baseline: base, candidate: logNormal(4000, 800, 0.5) } }, cfg);
    expect(same.verdict.outcome).toBe('pass');
    const slow = judge({ latency: { type: 'samples', baseline: base, candidate: logNormal(4000, 1200, 0.5) } }, cfg);
    expect(slow.verdict.outcome).toBe('fail');
    const ev = slow.verdict.metrics[0]!;
    expect(ev.classification).toBe('high');
    expect(ev.latency!.thresholdSource).toBe('shadow');
    expect(ev.latency!.relativeQuantileChange!).toBeGreaterThan(0.3);
    const tests = ev.fixedHorizon!.map((f) => f.test);
    expect(tests.some((t) => t.startsWith('Mann–Whitney U'))).toBe(true);
    const hl = ev.fixedHorizon!.find((f) => f.test.startsWith('Hodges–Lehmann'))!;
    expect(hl.estimate).toBeGreaterThan(0.4); // log-latency shift e^HL − 1 ≈ +50 %
    expect(hl.estimate).toBeLessThan(0.6);
  });

  it('falls back to the pooled window quantile without a shadow reference', () => {
    const noRef: JudgeConfig = {
      ...cfg,
      metrics: [{ name: 'latency', kind: 'latency', direction: 'higher_is_worse', tolerance: 0.15, critical: true }],
    };
    const { verdict } = judge(
      { latency: { type: 'samples', baseline: logNormal(3000, 800, 0.5), candidate: logNormal(3000, 800, 0.5) } },
      noRef,
    );
    expect(verdict.metrics[0]!.latency!.thresholdSource).toBe('pooled-window');
    expect(verdict.outcome).toBe('pass');
  });

  it('exceedance counts need the shadow reference', () => {
    const noRef: JudgeConfig = {
      ...cfg,
      metrics: [{ name: 'latency', kind: 'latency', direction: 'higher_is_worse', tolerance: 0.15 }],
    };
    const { verdict } = judge(
      {
        latency: {
          type: 'exceedance',
          threshold: 2500,
          baseline: { events: 30, total: 3000 },
          candidate: { events: 31, total: 3000 },
        },
      },
      noRef,
    );
    expect(verdict.metrics[0]!.classification).toBe('no_data');
    expect(verdict.outcome).toBe('inconclusive');
  });

  it('rejects mismatched data and unusable tolerances as no data', () => {
    const mixed = judge(
      {
        length: {
          type: 'summary',
          scale: 'log',
          baseline: { n: 900, mean: 5, variance: 1 },
          candidate: { n: 900, mean: 5, variance: 1 },
        },
      },
      config(),
    );
    expect(mixed.verdict.metrics.find((m) => m.metric === 'length')!.message).toMatch(/raw scale/);
    const zero = judge(
      healthy(),
      config({ metrics: [{ name: 'errorRate', kind: 'proportion', direction: 'higher_is_worse', tolerance: 0 }] }),
    );
    expect(zero.verdict.metrics[0]!.classification).toBe('no_data');
    expect(zero.verdict.outcome).toBe('inconclusive');
  });
});

describe('judge modules stay workflow-safe', () => {
  it('use no Node built-ins, clock, randomness or environment', () => {
    const root = fileURLToPath(new URL('../../judge', import.meta.url));
    const files = [
      'canary-judge.ts',
      'judge-evidence.ts',
      'window-plan.ts',
      ...readdirSync(join(root, 'statistics')).map((f) => `statistics/${f}`),
    ];
    for (const file of files) {
      const src = readFileSync(join(root, file), 'utf8');
      expect(src, file).not.toMatch(/from ['"](node:|fs|path|os|crypto|child_process)/);
      expect(src, file).not.toMatch(/\bprocess\.|Date\.now|new Date|Math\.random|setTimeout|performance\./);
      // simple-statistics 7.12 pieces that must not reach a verdict: table-based Φ saturating at
      // 0.999, tail-inaccurate probit / erf inverse, population-SD tTest, pooled tTestTwoSample,
      // rank-sum-only wilcoxonRankSum.
      const imported = [...src.matchAll(/import\s+(?:type\s+)?\{([^}]*)\}\s+from\s+'simple-statistics'/g)].flatMap(
        (m) => m[1]!.split(',').map((x) => x.trim()),
      );
      for (const banned of [
        'cumulativeStdNormalProbability',
        'probit',
        'inverseErrorFunction',
        'errorFunction',
        'tTest',
        'tTestTwoSample',
        'wilcoxonRankSum',
        'standardNormalTable',
      ]) {
        expect(imported, file).not.toContain(banned);
      }
    }
  });
});

import { describe, expect, it } from 'vitest';
import type { JudgeConfig } from '../../judge/canary-judge';
import {
  powerTwoProportions,
  sampleSizeMeanShift,
  sampleSizeTwoProportions,
  sequentialPowerAt,
  sequentialRejectionThreshold,
  sequentialSampleSize,
  windowMinutes,
} from '../../judge/statistics/power';
import { logMixtureLikelihoodRatio } from '../../judge/statistics/sequential';
import { planCanaryWindow } from '../../judge/window-plan';

describe('fixed-horizon sample sizes', () => {
  it('reproduces R power.prop.test documentation examples', () => {
    // ?power.prop.test: power.prop.test(n = 50, p1 = .50, p2 = .75)        ## => power = 0.740
    //                   power.prop.test(p1 = .50, p2 = .75, power = .90)   ## => n = 76.7
    //                   power.prop.test(p1 = .5, p2 = 0.501, sig.level = .001, power = 0.90) ## => n = 10451937
    expect(powerTwoProportions({ baselineRate: 0.5, candidateRate: 0.75, alpha: 0.05, sides: 2, n: 50 })).toBeCloseTo(
      0.74,
      3,
    );
    expect(
      sampleSizeTwoProportions({ baselineRate: 0.5, candidateRate: 0.75, alpha: 0.05, power: 0.9, sides: 2 }),
    ).toBeCloseTo(76.7, 1);
    expect(
      Math.ceil(
        sampleSizeTwoProportions({ baselineRate: 0.5, candidateRate: 0.501, alpha: 0.001, power: 0.9, sides: 2 }),
      ),
    ).toBe(10451937);
  });

  it('shift in means: n = 2(z₁₋α/₂ + z₁₋β)²σ²/δ² (normal approximation; d = 0.5, α = 0.05, 80 % power → 62.8)', () => {
    // e.g. Chow, Shao & Wang, Sample Size Calculations in Clinical Research, §3.2 (two-sample, equal n).
    expect(sampleSizeMeanShift({ delta: 0.5, sdCandidate: 1, alpha: 0.05, power: 0.8, sides: 2 })).toBeCloseTo(
      62.79,
      2,
    );
    // Unequal allocation r = n_b/n_c = 3: n_c = (z+z)²(σ² + σ²/3)/δ².
    const z = 1.959963984540054 + 0.8416212335729143;
    expect(
      sampleSizeMeanShift({ delta: 0.5, sdCandidate: 1, alpha: 0.05, power: 0.8, sides: 2, ratio: 3 }),
    ).toBeCloseTo((z * z * (4 / 3)) / 0.25, 8);
  });

  it('window minutes are set by the slower arm', () => {
    expect(windowMinutes(1000, 2000, 0.05)).toBeCloseTo(10, 12);
    expect(windowMinutes(1000, 2000, 0.05, 0.05)).toBeCloseTo(10, 12);
    expect(windowMinutes(1000, 2000, 0.6)).toBeCloseTo(1000 / 800, 12);
  });
});

describe('sequential (mSPRT) sample size', () => {
  const design = {
    delta: 0.01,
    unitVariance: 2 * 0.015 * 0.985,
    tau: 0.015,
    alpha: 0.0125,
    power: 0.8,
    alternative: 'greater' as const,
  };

  it('rejection threshold is where Λ reaches 1/α', () => {
    const V = design.unitVariance / 3000;
    const t = sequentialRejectionThreshold(V, design.tau, design.alpha, 'greater');
    expect(
      logMixtureLikelihoodRatio({ estimate: t, variance: V, tau: design.tau, alternative: 'greater' }),
    ).toBeCloseTo(Math.log(1 / design.alpha), 8);
  });

  it('returns the smallest n reaching the power, larger than the fixed horizon', () => {
    const n = sequentialSampleSize(design);
    expect(sequentialPowerAt(n, design)).toBeGreaterThanOrEqual(0.8);
    expect(sequentialPowerAt(n - 1, design)).toBeLessThan(0.8);
    const fixed = sampleSizeTwoProportions({
      baselineRate: 0.01,
      candidateRate: 0.02,
      alpha: 0.0125,
      power: 0.8,
      sides: 1,
    });
    expect(n).toBeGreaterThan(fixed);
  });
});

describe('canary window plan', () => {
  const config: JudgeConfig = {
    alpha: 0.05,
    minSamples: 500,
    scoreThresholds: { pass: 95, marginal: 75 },
    metrics: [
      { name: 'errorRate', kind: 'proportion', direction: 'higher_is_worse', tolerance: 0.01, critical: true },
      { name: 'length', kind: 'continuous', direction: 'either', tolerance: 0.1 },
      {
        name: 'p99',
        kind: 'latency',
        direction: 'higher_is_worse',
        tolerance: 0.15,
        reference: { quantile: 0.99, threshold: 2500, toleranceRate: 0.02 },
      },
      { name: 'info', kind: 'continuous', direction: 'either', tolerance: 0.1, blocking: false },
    ],
  };

  it('plans each blocking metric at α/m for a regression of twice the tolerance and takes the slowest', () => {
    const plan = planCanaryWindow(
      config,
      { errorRate: { baselineRate: 0.01 }, length: { cv: 0.6 } },
      { requestsPerMinute: 2000, candidateShare: 0.05 },
    );
    expect(plan.metrics.map((m) => m.metric)).toEqual(['errorRate', 'length', 'p99']);
    expect(plan.alphaPerMetric).toBeCloseTo(0.05 / 3, 15);
    const r = 0.95 / 0.05;
    const err = plan.metrics[0]!;
    expect(err.fixedHorizonSamples).toBe(
      Math.ceil(
        // 1 % baseline, 1-point tolerance: 3 % tested against the tolerated 2 %.
        sampleSizeTwoProportions({
          baselineRate: 0.02,
          candidateRate: 0.03,
          alpha: 0.05 / 3,
          power: 0.8,
          sides: 1,
          ratio: r,
        }),
      ),
    );
    expect(err.sequentialSamples).toBeGreaterThan(err.fixedHorizonSamples);
    expect(err.sequentialMinutes).toBeCloseTo(err.sequentialSamples / 100, 12);
    expect(plan.windowMinutes).toBe(Math.max(...plan.metrics.map((m) => m.sequentialMinutes)));
    expect(plan.suggestedMinSamples).toBe(Math.max(...plan.metrics.map((m) => m.fixedHorizonSamples)));
  });

  it('reports an infinite window when an expectation is missing', () => {
    const plan = planCanaryWindow(
      config,
      { errorRate: { baselineRate: 0.01 } },
      { requestsPerMinute: 2000, candidateShare: 0.05 },
    );
    expect(plan.windowMinutes).toBe(Number.POSITIVE_INFINITY);
    expect(plan.metrics.find((m) => m.metric === 'length')?.note).toMatch(/coefficient of variation/);
  });
});

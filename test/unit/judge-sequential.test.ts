import { describe, expect, it } from 'vitest';
import { SeededRandom } from '../../lib/seeded-random';
import { normalSf } from '../../judge/statistics/normal';
import {
  alwaysValidPValue,
  confidenceSequence,
  confidenceSequenceRadius,
  logMixtureLikelihoodRatio,
  logRatioOfMeans,
  proportionDifference,
} from '../../judge/statistics/sequential';

/** ∫ exp(θS − θ²I/2) w(θ) dθ by Simpson's rule: the mixture LR from its definition (independent of the closed forms). */
function integratedLr(estimate: number, variance: number, tau: number, halfNormal: boolean): number {
  const S = estimate / variance;
  const I = 1 / variance;
  const lo = halfNormal ? 0 : -12 * tau;
  const hi = 12 * tau;
  const steps = 20000;
  const h = (hi - lo) / steps;
  let sum = 0;
  for (let i = 0; i <= steps; i++) {
    const th = lo + i * h;
    const prior = ((halfNormal ? 2 : 1) * Math.exp((-0.5 * th * th) / (tau * tau))) / (tau * Math.sqrt(2 * Math.PI));
    const f = Math.exp(th * S - 0.5 * th * th * I) * prior;
    sum += f * (i === 0 || i === steps ? 1 : i % 2 === 1 ? 4 : 2);
  }
  return (sum * h) / 3;
}

describe('normal-mixture SPRT', () => {
  it('closed forms equal the mixture integral (two-sided normal and one-sided half-normal mixing)', () => {
    for (const [estimate, variance, tau] of [
      [0.004, 2e-5, 0.01],
      [-0.003, 1e-5, 0.015],
      [0.02, 4e-5, 0.01],
      [0.05, 0.01, 0.1],
    ] as [number, number, number][]) {
      const two = logMixtureLikelihoodRatio({ estimate, variance, tau, alternative: 'two-sided' });
      expect(two).toBeCloseTo(Math.log(integratedLr(estimate, variance, tau, false)), 6);
      const greater = logMixtureLikelihoodRatio({ estimate, variance, tau, alternative: 'greater' });
      expect(greater).toBeCloseTo(Math.log(integratedLr(estimate, variance, tau, true)), 6);
      const less = logMixtureLikelihoodRatio({ estimate: -estimate, variance, tau, alternative: 'less' });
      expect(less).toBeCloseTo(greater, 12);
    }
  });

  it('has no information without variance and respects the null value', () => {
    expect(
      logMixtureLikelihoodRatio({ estimate: 1, variance: Number.POSITIVE_INFINITY, tau: 0.1, alternative: 'greater' }),
    ).toBe(0);
    const shifted = logMixtureLikelihoodRatio({
      estimate: 0.03,
      variance: 1e-4,
      tau: 0.01,
      alternative: 'two-sided',
      nullValue: 0.01,
    });
    expect(shifted).toBeCloseTo(
      logMixtureLikelihoodRatio({ estimate: 0.02, variance: 1e-4, tau: 0.01, alternative: 'two-sided' }),
      14,
    );
  });

  it('confidence sequence bounds are where the two-sided Λ reaches 1/α', () => {
    const [estimate, variance, tau, alpha] = [0.01, 3e-5, 0.012, 0.05];
    const cs = confidenceSequence(estimate, variance, tau, alpha);
    for (const bound of [cs.lower, cs.upper]) {
      const lr = logMixtureLikelihoodRatio({ estimate, variance, tau, alternative: 'two-sided', nullValue: bound });
      expect(lr).toBeCloseTo(Math.log(1 / alpha), 10);
    }
    // Wider than the fixed-horizon 95 % interval: the price of looking at any time.
    expect(confidenceSequenceRadius(variance, tau, alpha)).toBeGreaterThan(1.959963984540054 * Math.sqrt(variance));
  });

  it('always-valid p-values are a running minimum in [0, 1]', () => {
    const input = { estimate: 0.001, variance: 1e-4, tau: 0.01, alternative: 'greater' as const };
    const p = alwaysValidPValue(input);
    expect(p).toBeGreaterThan(0);
    expect(p).toBeLessThanOrEqual(1);
    expect(alwaysValidPValue(input, 0.2)).toBe(Math.min(0.2, p));
  });

  it('keeps the false-alarm rate under α when looking at every step (Monte Carlo, Gaussian data)', () => {
    // 2,000 A/A paths of 100 looks, 20 observations per arm per look, unit variance; mSPRT with
    // τ = 0.1 vs a naive z test at every look. Ville's inequality bounds the first by α.
    const prng = new SeededRandom(7);
    const alpha = 0.05;
    let seqAlarms = 0;
    let naiveAlarms = 0;
    const paths = 2000;
    for (let path = 0; path < paths; path++) {
      let sumDiff = 0;
      let n = 0;
      let p = 1;
      let seqHit = false;
      let naiveHit = false;
      for (let look = 0; look < 100; look++) {
        for (let i = 0; i < 20; i++) sumDiff += prng.normal() - prng.normal();
        n += 20;
        const estimate = sumDiff / n;
        const variance = 2 / n;
        p = alwaysValidPValue({ estimate, variance, tau: 0.1, alternative: 'greater' }, p);
        if (p <= alpha) seqHit = true;
        if (normalSf(estimate / Math.sqrt(variance)) <= alpha) naiveHit = true;
      }
      if (seqHit) seqAlarms++;
      if (naiveHit) naiveAlarms++;
    }
    expect(seqAlarms / paths).toBeLessThanOrEqual(alpha);
    expect(naiveAlarms / paths).toBeGreaterThan(3 * alpha); // peeking inflates the naive test
  });
});

describe('effect statistics', () => {
  it('difference of proportions uses the smoothed pooled variance', () => {
    const s = proportionDifference(30, 1000, 10, 1000);
    expect(s.estimate).toBeCloseTo(0.02, 15);
    const pooled = 40.5 / 2001;
    expect(s.variance).toBeCloseTo(pooled * (1 - pooled) * (2 / 1000), 15);
    expect(proportionDifference(0, 100, 0, 100).variance).toBeGreaterThan(0);
    expect(proportionDifference(0, 0, 0, 100).variance).toBe(Number.POSITIVE_INFINITY);
  });

  it('log ratio of means uses the delta-method variance', () => {
    const s = logRatioOfMeans({ n: 400, mean: 255, variance: 90 ** 2 }, { n: 500, mean: 300, variance: 120 ** 2 });
    expect(s.estimate).toBeCloseTo(Math.log(0.85), 14);
    expect(s.variance).toBeCloseTo(90 ** 2 / (400 * 255 ** 2) + 120 ** 2 / (500 * 300 ** 2), 15);
  });
});

// The grid of mixing scales: still a weighted average of mixture likelihood ratios (so still a
// martingale under H0 and always valid), and much faster than one τ against a gross regression.
import { describe, expect, it } from 'vitest';
import {
  TAU_GRID,
  alwaysValidGridPValue,
  alwaysValidPValue,
  logGridMixtureLikelihoodRatio,
  logMixtureLikelihoodRatio,
  proportionDifference,
} from '../../judge/statistics/sequential';

describe('grid mixture mSPRT', () => {
  it('is the weighted sum of the single-τ likelihood ratios', () => {
    const input = { estimate: 0.03, variance: 0.0004, tau: 0.015, alternative: 'greater' as const };
    const expected = TAU_GRID.reduce(
      (sum, [k, w]) => sum + w * Math.exp(logMixtureLikelihoodRatio({ ...input, tau: input.tau * k })),
      0,
    );
    expect(Math.exp(logGridMixtureLikelihoodRatio(input))).toBeCloseTo(expected, 10);
    expect(TAU_GRID.reduce((sum, [, w]) => sum + w, 0)).toBeCloseTo(1, 12);
  });

  it('rejects a 30-point error-rate jump at 80 requests per arm, where the single τ near a 1-point tolerance cannot', () => {
    const stat = proportionDifference(24, 80, 0, 80);
    const input = { estimate: stat.estimate, variance: stat.variance, tau: 0.015, alternative: 'greater' as const };
    expect(alwaysValidPValue(input)).toBeGreaterThan(0.05);
    expect(alwaysValidGridPValue(input)).toBeLessThan(0.001);
  });

  it('costs little at effects near τ: at most log(1/0.6) nats of evidence', () => {
    const input = { estimate: 0.015, variance: 0.00002, tau: 0.015, alternative: 'greater' as const };
    expect(logMixtureLikelihoodRatio(input) - logGridMixtureLikelihoodRatio(input)).toBeLessThanOrEqual(
      Math.log(1 / 0.6) + 1e-12,
    );
  });

  it('gives no evidence without information, and keeps the running minimum', () => {
    expect(
      alwaysValidGridPValue({ estimate: 0.1, variance: Number.NaN, tau: 0.01, alternative: 'greater' }),
    ).toBeCloseTo(1, 12);
    expect(alwaysValidGridPValue({ estimate: 0, variance: 0.001, tau: 0.01, alternative: 'greater' }, 0.02)).toBe(0.02);
  });
});

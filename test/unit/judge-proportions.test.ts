import { describe, expect, it } from 'vitest';
import { newcombeInterval, twoProportionZTest, wilsonInterval } from '../../judge/statistics/proportions';

const round4 = (x: number): number => Math.round(x * 1e4) / 1e4;

describe('Wilson score interval', () => {
  it('reproduces Newcombe (1998a), Table I, method 3 (score interval without continuity correction)', () => {
    // R. G. Newcombe, "Two-sided confidence intervals for the single proportion: comparison of
    // seven methods", Statistics in Medicine 17 (1998) 857–872, Table I.
    const cases: [number, number, number, number][] = [
      [81, 263, 0.2553, 0.3662],
      [15, 148, 0.0624, 0.1605],
      [0, 20, 0, 0.1611],
      [1, 29, 0.0061, 0.1718],
    ];
    for (const [x, n, lo, hi] of cases) {
      const ci = wilsonInterval(x, n);
      expect([round4(ci.lower), round4(ci.upper)]).toEqual([lo, hi]);
    }
  });

  it('stays in [0, 1] and is exact at the edges', () => {
    const none = wilsonInterval(0, 10);
    expect(none.lower).toBe(0);
    expect(none.upper).toBeCloseTo(1.959963984540054 ** 2 / (10 + 1.959963984540054 ** 2), 14); // z²/(n+z²)
    const all = wilsonInterval(10, 10);
    expect(all.upper).toBe(1);
    expect(() => wilsonInterval(1, 0)).toThrow(RangeError);
  });
});

describe('Newcombe hybrid score interval for a difference of proportions', () => {
  it('reproduces Newcombe (1998b), Table II, method 10, examples (a)–(h)', () => {
    // R. G. Newcombe, "Interval estimation for the difference between independent proportions:
    // comparison of eleven methods", Statistics in Medicine 17 (1998) 873–890, Table II.
    const cases: [number, number, number, number, number, number][] = [
      [56, 70, 48, 80, 0.0524, 0.3339],
      [9, 10, 3, 10, 0.1705, 0.809],
      [6, 7, 2, 7, 0.0582, 0.8062],
      [5, 56, 0, 29, -0.0381, 0.1926],
      [0, 10, 0, 20, -0.1611, 0.2775],
      [0, 10, 0, 10, -0.2775, 0.2775],
      [10, 10, 0, 20, 0.6791, 1],
      [10, 10, 0, 10, 0.6075, 1],
    ];
    for (const [x1, n1, x2, n2, lo, hi] of cases) {
      const ci = newcombeInterval(x1, n1, x2, n2);
      expect([round4(ci.lower), round4(ci.upper)]).toEqual([lo, hi]);
      expect(ci.estimate).toBeCloseTo(x1 / n1 - x2 / n2, 15);
    }
  });
});

describe('two-proportion z test', () => {
  it('z² equals Pearson χ² of the 2×2 table without continuity correction (independent computation)', () => {
    // Same 2×2 table as Newcombe's example (a): 56/70 vs 48/80.
    const [a, n1, c, n2] = [56, 70, 48, 80];
    const table = [
      [a, n1 - a],
      [c, n2 - c],
    ];
    const N = n1 + n2;
    const colTotals = [a + c, N - a - c];
    const rowTotals = [n1, n2];
    let chi2 = 0;
    for (let i = 0; i < 2; i++)
      for (let j = 0; j < 2; j++) {
        const expected = (rowTotals[i]! * colTotals[j]!) / N;
        chi2 += (table[i]![j]! - expected) ** 2 / expected;
      }
    const test = twoProportionZTest(a, n1, c, n2);
    expect(test.z * test.z).toBeCloseTo(chi2, 10);
    // Two-sided p is P(χ²₁ > z²) = 2(1 − Φ(|z|)); one-sided halves it in the observed direction.
    expect(twoProportionZTest(a, n1, c, n2, 'greater').pValue).toBeCloseTo(test.pValue / 2, 14);
    expect(twoProportionZTest(a, n1, c, n2, 'less').pValue).toBeCloseTo(1 - test.pValue / 2, 14);
  });

  it('returns p = 1 when both arms are all-zero', () => {
    expect(twoProportionZTest(0, 100, 0, 100).pValue).toBe(1);
  });
});

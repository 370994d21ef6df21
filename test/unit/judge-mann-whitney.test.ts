import { describe, expect, it } from 'vitest';
import {
  hodgesLehmann,
  kthPairwiseDifference,
  mannWhitneyExactCounts,
  mannWhitneyU,
} from '../../judge/statistics/mann-whitney';
import { mulberry32 } from '../../lib/seeded-random';

// Hollander & Wolfe (1973), p. 69: permeability constants of the human chorioamnion, at term (x)
// and at 12–26 weeks (y) — the two-sample example in R's ?wilcox.test.
const x = [0.8, 0.83, 1.89, 1.04, 1.45, 1.38, 1.91, 1.64, 0.73, 1.46];
const y = [1.15, 0.88, 0.9, 0.74, 1.21];

// R datasets::airquality, Ozone in May (Month 5) and August (Month 8), NAs dropped (26 each).
const may = [41, 36, 12, 18, 28, 23, 19, 8, 7, 16, 11, 14, 18, 14, 34, 6, 30, 11, 1, 11, 4, 32, 23, 45, 115, 37];
const august = [
  39, 9, 16, 78, 35, 66, 122, 89, 110, 44, 28, 65, 22, 59, 23, 31, 44, 21, 9, 45, 168, 73, 76, 118, 84, 85,
];

/** All ways to split the pooled sample: the exact permutation distribution of U, by brute force. */
function bruteForceU(a: readonly number[], b: readonly number[]): number[] {
  const pooled = [...a, ...b];
  const n1 = a.length;
  const us: number[] = [];
  const choose = (start: number, picked: number[]): void => {
    if (picked.length === n1) {
      const inX = new Set(picked);
      const xs = pooled.filter((_, i) => inX.has(i));
      const ys = pooled.filter((_, i) => !inX.has(i));
      let u = 0;
      for (const xi of xs) for (const yj of ys) u += xi > yj ? 1 : xi === yj ? 0.5 : 0;
      us.push(u);
      return;
    }
    for (let i = start; i < pooled.length; i++) choose(i + 1, [...picked, i]);
  };
  choose(0, []);
  return us;
}

describe('Mann–Whitney U', () => {
  it('reproduces R wilcox.test(x, y, alternative = "greater"): W = 35, exact p-value = 0.1272', () => {
    const r = mannWhitneyU(x, y, { alternative: 'greater' });
    expect(r.u).toBe(35);
    expect(r.method).toBe('exact');
    expect(r.pValue).toBeCloseTo(0.1272, 4);
    // Independent: brute-force enumeration of all C(15, 5) = 3003 splits.
    const us = bruteForceU(x, y);
    expect(us.length).toBe(3003);
    expect(r.pValue).toBeCloseTo(us.filter((u) => u >= 35).length / us.length, 14);
  });

  it('reproduces R wilcox.test(x, y, "greater", exact = FALSE, correct = FALSE): p-value = 0.1103 (H&W large sample)', () => {
    const r = mannWhitneyU(x, y, { alternative: 'greater', method: 'asymptotic', continuity: false });
    expect(r.u).toBe(35);
    expect(r.pValue).toBeCloseTo(0.1103, 4);
  });

  it('reproduces R wilcox.test(Ozone ~ Month, data = airquality, subset = Month %in% c(5, 8)): W = 127.5, p-value = 0.0001208 (ties, continuity correction)', () => {
    const r = mannWhitneyU(may, august);
    expect(r.u).toBe(127.5);
    expect(r.method).toBe('asymptotic');
    expect(r.pValue).toBeCloseTo(0.0001208, 7);
  });

  it('reproduces SciPy mannwhitneyu docs: males vs females U1 = 17, exact p = 0.1111, asymptotic p = 0.11134688653314041', () => {
    const males = [19, 22, 16, 29, 24];
    const females = [20, 11, 17, 12];
    expect(mannWhitneyU(males, females).u).toBe(17);
    expect(mannWhitneyU(males, females, { method: 'exact' }).pValue).toBeCloseTo(0.1111111111111111, 14);
    expect(mannWhitneyU(males, females, { method: 'asymptotic' }).pValue).toBeCloseTo(0.11134688653314041, 14);
  });

  it('tie-corrected variance equals the permutation variance of the rank sum (independent formula)', () => {
    // Var(R₁) = n₁n₂ / (N(N−1)) · Σ (rᵢ − r̄)² over the pooled mid-ranks.
    const pooled = [...may, ...august].sort((a, b) => a - b);
    const N = pooled.length;
    const ranks = pooled.map((v) => {
      const first = pooled.indexOf(v);
      const last = pooled.lastIndexOf(v);
      return (first + last) / 2 + 1;
    });
    const mean = (N + 1) / 2;
    const ss = ranks.reduce((acc, r) => acc + (r - mean) ** 2, 0);
    const varRankSum = ((may.length * august.length) / (N * (N - 1))) * ss;
    const r = mannWhitneyU(may, august);
    expect(r.tieSum).toBeGreaterThan(0);
    expect(r.sdU ** 2).toBeCloseTo(varRankSum, 9);
  });

  it('exact null distribution matches brute force', () => {
    const counts = mannWhitneyExactCounts(5, 4);
    const brute = bruteForceU([1, 2, 3, 4, 5], [6, 7, 8, 9]); // untied: U takes every arrangement
    for (let u = 0; u <= 20; u++) expect(counts[u]).toBe(brute.filter((v) => v === u).length);
    expect(counts.reduce((a, b) => a + b, 0)).toBe(126);
  });
});

describe('Hodges–Lehmann shift and Moses interval', () => {
  it('estimate is the median of all pairwise differences, interval from the exact distribution (brute force)', () => {
    const diffs = x.flatMap((xi) => y.map((yj) => xi - yj)).sort((a, b) => a - b);
    const hl = hodgesLehmann(x, y, 0.95);
    expect(hl.method).toBe('exact');
    expect(hl.estimate).toBeCloseTo((diffs[24]! + diffs[25]!) / 2, 14);
    expect(hl.estimate).toBeCloseTo(0.305, 12);
    // k = smallest q with P(U ≤ q) ≥ 0.025 (R: qwilcox(0.025, 10, 5)), from the brute-force distribution.
    const us = bruteForceU(x, y);
    let k = 0;
    while (us.filter((u) => u <= k).length / us.length < 0.025) k++;
    expect(hl.k).toBe(k);
    expect(hl.lower).toBeCloseTo(diffs[k - 1]!, 14);
    expect(hl.upper).toBeCloseTo(diffs[50 - k]!, 14);
    expect(hl.confidence).toBeCloseTo(1 - (2 * us.filter((u) => u <= k - 1).length) / us.length, 14);
    expect(hl.confidence).toBeGreaterThanOrEqual(0.95);
  });

  it('asymptotic interval: order statistics from the normal approximation, and duality with the test', () => {
    const hl = hodgesLehmann(may, august, 0.95);
    expect(hl.method).toBe('asymptotic');
    const diffs = may.flatMap((a) => august.map((b) => a - b)).sort((p, q) => p - q);
    const nm = 26 * 26;
    const k = Math.floor(nm / 2 + 0.5 - 1.959963984540054 * Math.sqrt((nm * 53) / 12));
    expect(hl.k).toBe(k);
    expect(hl.lower).toBe(diffs[k - 1]);
    expect(hl.upper).toBe(diffs[nm - k]);
    expect(hl.estimate).toBe((diffs[nm / 2 - 1]! + diffs[nm / 2]!) / 2);
    // The interval excludes 0 exactly when the two-sided test rejects at 5 % (here: p = 0.00012).
    expect(hl.upper).toBeLessThan(0);
  });

  it('selects the k-th pairwise difference without forming all of them (vs brute force, with ties)', () => {
    // Seeded pseudo-data: integer-valued (many ties) and continuous. On this continuous data the
    // largest difference was once lost to a rounded bound (x_i − hi compared with y_j).
    const rand = mulberry32(12345);
    for (const tied of [true, false]) {
      const a = Array.from({ length: 120 }, () => (tied ? Math.floor(rand() * 20) : rand() * 100));
      const b = Array.from({ length: 90 }, () => (tied ? Math.floor(rand() * 25) : Math.exp(rand() * 4)));
      const as = [...a].sort((p, q) => p - q);
      const bs = [...b].sort((p, q) => p - q);
      const all = as.flatMap((p) => bs.map((q) => p - q)).sort((p, q) => p - q);
      const ks = [
        1,
        2,
        17,
        500,
        5400,
        5401,
        9000,
        all.length - 1,
        all.length,
        ...Array.from({ length: 100 }, (_, i) => 1 + i * 107),
      ];
      for (const k of ks) {
        expect(kthPairwiseDifference(as, bs, k)).toBe(all[k - 1]);
      }
    }
  });
});

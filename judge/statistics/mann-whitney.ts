// Mann–Whitney U (Wilcoxon rank-sum) test and the Hodges–Lehmann shift estimate with its
// distribution-free (Moses) confidence interval — the per-metric comparison Kayenta uses.
//
// U for the first sample x (R's `W`): U = R₁ − n₁(n₁+1)/2, R₁ = sum of the mid-ranks of x in
// the pooled sample. Under H₀ (same distribution):
//   E[U] = n₁n₂/2,
//   Var[U] = n₁n₂/12 · ((N+1) − Σ_ties (t³ − t) / (N(N−1))),  N = n₁ + n₂   (tie correction).
// Normal approximation with continuity correction, as R's wilcox.test(exact = FALSE,
// correct = TRUE) and SciPy's mannwhitneyu(method = 'asymptotic', use_continuity = True):
//   z = (U − E[U] − c) / √Var[U],  c = ±½ towards the mean (two-sided: sign(U − E[U])·½).
// Exact null distribution (no ties, small samples) by the counting recursion
//   f(u; m, n) = f(u − n; m − 1, n) + f(u; m, n − 1)   (Mann & Whitney 1947).
//
// Hodges–Lehmann: Δ̂ = median of the n₁n₂ differences x_i − y_j.
// Moses CI: [D_(k), D_(n₁n₂ − k + 1)], where D_(k) is the k-th smallest difference and k is the
// smallest integer with P₀(U ≤ k) ≥ α/2 (as R does: k = qwilcox(α/2, n₁, n₂)) — exact for
// small untied samples; otherwise from the normal approximation with continuity correction,
//   k = ⌊n₁n₂/2 + ½ − z_{1−α/2} · √(n₁n₂(N+1)/12)⌋  (clamped to ≥ 1).
// The k-th difference is found without forming all n₁n₂ differences: bisection on the value
// with an O(n₁ + n₂) two-pointer count, finished by enumerating the few remaining candidates.
//
// Pure and deterministic: no I/O, no Node built-ins.
import type { Alternative } from './proportions';
import { pValueFromZ } from './proportions';
import { normalQuantile } from './normal';

export interface MannWhitneyResult {
  /** U of the first sample (R's W): number of pairs with x > y, ties counting ½. */
  u: number;
  n1: number;
  n2: number;
  meanU: number;
  sdU: number;
  z: number;
  pValue: number;
  /** U / (n₁n₂): estimate of P(X > Y) + ½P(X = Y), the common-language effect size. */
  probabilityOfSuperiority: number;
  /** Σ (t³ − t) over tie groups; 0 without ties. */
  tieSum: number;
  method: 'asymptotic' | 'exact';
}

export interface MannWhitneyOptions {
  alternative?: Alternative;
  /** Continuity correction of the normal approximation (default true). */
  continuity?: boolean;
  /** 'auto' (default) uses the exact distribution when there are no ties and n₁, n₂ < 50. */
  method?: 'auto' | 'asymptotic' | 'exact';
}

interface Ranked {
  rankSumX: number;
  tieSum: number;
}

function rankSum(x: readonly number[], y: readonly number[]): Ranked {
  const pooled: { v: number; fromX: boolean }[] = [];
  for (const v of x) pooled.push({ v, fromX: true });
  for (const v of y) pooled.push({ v, fromX: false });
  pooled.sort((a, b) => a.v - b.v);
  let rankSumX = 0;
  let tieSum = 0;
  let i = 0;
  while (i < pooled.length) {
    let j = i;
    while (j + 1 < pooled.length && pooled[j + 1]!.v === pooled[i]!.v) j++;
    const t = j - i + 1;
    const midRank = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) if (pooled[k]!.fromX) rankSumX += midRank;
    if (t > 1) tieSum += t * t * t - t;
    i = j + 1;
  }
  return { rankSumX, tieSum };
}

function checkSamples(x: readonly number[], y: readonly number[]): void {
  if (x.length === 0 || y.length === 0) throw new RangeError('both samples need at least one value');
  for (const v of x) if (!Number.isFinite(v)) throw new RangeError('samples must be finite numbers');
  for (const v of y) if (!Number.isFinite(v)) throw new RangeError('samples must be finite numbers');
}

/**
 * Exact null distribution of U for sample sizes m, n (no ties): counts[u] = number of the
 * C(m+n, m) arrangements with U = u. Counts are doubles (exact below 2^53; beyond, relative
 * error ~1e-16 — the probabilities stay accurate).
 */
export function mannWhitneyExactCounts(m: number, n: number): number[] {
  // f[j][u] for the current i: arrangements of i x's and j y's with U = u.
  // Iterate i = 0..m keeping rows for j = 0..n.
  const max = m * n;
  let prev: number[][] = [];
  for (let j = 0; j <= n; j++) {
    const row = new Array<number>(max + 1).fill(0);
    row[0] = 1; // i = 0: U = 0
    prev.push(row);
  }
  for (let i = 1; i <= m; i++) {
    const cur: number[][] = [];
    for (let j = 0; j <= n; j++) {
      const row = new Array<number>(max + 1).fill(0);
      if (j === 0) {
        row[0] = 1;
      } else {
        // Largest element is an x (beats all j y's: U += j) or a y (adds nothing).
        const withX = prev[j]!;
        const withY = cur[j - 1]!;
        for (let u = 0; u <= i * j; u++) row[u] = (u >= j ? withX[u - j]! : 0) + withY[u]!;
      }
      cur.push(row);
    }
    prev = cur;
  }
  return prev[n]!;
}

function exactCdf(counts: number[]): number[] {
  const total = counts.reduce((a, b) => a + b, 0);
  const cdf: number[] = [];
  let acc = 0;
  for (const c of counts) {
    acc += c;
    cdf.push(acc / total);
  }
  return cdf;
}

/** Mann–Whitney U test of x against y. */
export function mannWhitneyU(
  x: readonly number[],
  y: readonly number[],
  options: MannWhitneyOptions = {},
): MannWhitneyResult {
  checkSamples(x, y);
  const alternative = options.alternative ?? 'two-sided';
  const continuity = options.continuity ?? true;
  const n1 = x.length;
  const n2 = y.length;
  const N = n1 + n2;
  const { rankSumX, tieSum } = rankSum(x, y);
  const u = rankSumX - (n1 * (n1 + 1)) / 2;
  const meanU = (n1 * n2) / 2;
  const varU = ((n1 * n2) / 12) * (N + 1 - tieSum / (N * (N - 1)));
  const sdU = Math.sqrt(Math.max(0, varU));
  const method = options.method ?? 'auto';
  const useExact = method === 'exact' || (method === 'auto' && tieSum === 0 && n1 < 50 && n2 < 50);
  if (useExact) {
    if (tieSum !== 0) throw new RangeError('the exact Mann–Whitney distribution needs untied samples');
    const cdf = exactCdf(mannWhitneyExactCounts(n1, n2));
    const at = (k: number): number => (k < 0 ? 0 : k >= cdf.length ? 1 : cdf[k]!);
    const lowerP = at(u); // P(U ≤ u)
    const upperP = 1 - at(u - 1); // P(U ≥ u)
    const pValue =
      alternative === 'greater' ? upperP : alternative === 'less' ? lowerP : Math.min(1, 2 * Math.min(lowerP, upperP));
    return {
      u,
      n1,
      n2,
      meanU,
      sdU,
      z: sdU > 0 ? (u - meanU) / sdU : 0,
      pValue,
      probabilityOfSuperiority: u / (n1 * n2),
      tieSum,
      method: 'exact',
    };
  }
  let correction = 0;
  if (continuity) {
    if (alternative === 'two-sided') correction = Math.sign(u - meanU) * 0.5;
    else correction = alternative === 'greater' ? 0.5 : -0.5;
  }
  const z = sdU > 0 ? (u - meanU - correction) / sdU : 0;
  const pValue = sdU > 0 ? pValueFromZ(z, alternative) : 1;
  return { u, n1, n2, meanU, sdU, z, pValue, probabilityOfSuperiority: u / (n1 * n2), tieSum, method: 'asymptotic' };
}

/** Number of differences x_i − y_j ≤ t (x, y sorted ascending). O(n₁ + n₂). */
function countAtMost(xs: readonly number[], ys: readonly number[], t: number): number {
  // Count the y_j with x_i − y_j ≤ t. The difference itself is compared, never y_j against a
  // rounded x_i − t: that bound can round past a y_j whose difference is exactly t. As x_i grows
  // the first such j only moves right, so one pointer serves every x_i.
  let j = 0;
  let count = 0;
  const m = ys.length;
  for (const xi of xs) {
    while (j < m && xi - ys[j]! > t) j++;
    count += m - j;
  }
  return count;
}

/**
 * k-th smallest (1-based) of the n₁n₂ differences x_i − y_j, with x and y sorted ascending.
 * Bisection on the value keeps count(≤ lo) < k ≤ count(≤ hi); once few differences remain
 * in (lo, hi] they are enumerated and selected exactly.
 */
export function kthPairwiseDifference(xs: readonly number[], ys: readonly number[], k: number): number {
  const n1 = xs.length;
  const n2 = ys.length;
  if (k < 1 || k > n1 * n2) throw new RangeError(`k must be in 1..${n1 * n2}`);
  let hi = xs[n1 - 1]! - ys[0]!; // the maximum difference: count = n₁n₂ ≥ k
  let lo = xs[0]! - ys[n2 - 1]!; // the minimum difference
  if (k === 1) return lo;
  // count(≤ lo) ≥ 1 possibly ≥ k (ties at the minimum)
  let countLo = countAtMost(xs, ys, lo);
  if (countLo >= k) return lo;
  let countHi = n1 * n2;
  const budget = 4 * (n1 + n2) + 64;
  for (let iter = 0; iter < 2000 && countHi - countLo > budget; iter++) {
    const mid = lo + (hi - lo) / 2;
    if (mid <= lo || mid >= hi) break; // adjacent doubles: every difference in (lo, hi] equals hi
    const c = countAtMost(xs, ys, mid);
    if (c >= k) {
      hi = mid;
      countHi = c;
    } else {
      lo = mid;
      countLo = c;
    }
  }
  if (countHi - countLo > budget) return hi;
  // Enumerate the differences in (lo, hi]: for each x_i, the y_j with lo < x_i − y_j ≤ hi
  // (differences compared as computed, as in countAtMost, so none at a boundary is lost).
  const inside: number[] = [];
  let jStart = 0;
  let jEnd = 0;
  for (const xi of xs) {
    while (jStart < n2 && xi - ys[jStart]! > hi) jStart++;
    while (jEnd < n2 && xi - ys[jEnd]! > lo) jEnd++;
    for (let j = jStart; j < jEnd; j++) {
      const d = xi - ys[j]!;
      if (d > lo && d <= hi) inside.push(d);
    }
  }
  inside.sort((a, b) => a - b);
  return inside[k - countLo - 1]!;
}

export interface HodgesLehmannResult {
  /** Median of the pairwise differences x_i − y_j (location shift of x relative to y). */
  estimate: number;
  lower: number;
  upper: number;
  /** Order-statistic index k of the lower bound (upper is n₁n₂ − k + 1). */
  k: number;
  /** Achieved confidence of the interval (exact method) or the nominal one. */
  confidence: number;
  method: 'exact' | 'asymptotic';
}

/** Hodges–Lehmann shift estimate of x − y and its distribution-free two-sided interval. */
export function hodgesLehmann(
  x: readonly number[],
  y: readonly number[],
  confidence = 0.95,
  method: 'auto' | 'exact' | 'asymptotic' = 'auto',
): HodgesLehmannResult {
  checkSamples(x, y);
  const xs = [...x].sort((a, b) => a - b);
  const ys = [...y].sort((a, b) => a - b);
  const n1 = xs.length;
  const n2 = ys.length;
  const total = n1 * n2;
  const estimate =
    total % 2 === 1
      ? kthPairwiseDifference(xs, ys, (total + 1) / 2)
      : (kthPairwiseDifference(xs, ys, total / 2) + kthPairwiseDifference(xs, ys, total / 2 + 1)) / 2;
  const alpha = 1 - confidence;
  const untied = new Set([...xs, ...ys]).size === n1 + n2;
  const useExact = method === 'exact' || (method === 'auto' && untied && n1 < 50 && n2 < 50);
  let k: number;
  let achieved = confidence;
  if (useExact) {
    const cdf = exactCdf(mannWhitneyExactCounts(n1, n2));
    k = cdf.findIndex((p) => p >= alpha / 2);
    if (k < 1) k = 1;
    achieved = 1 - 2 * (cdf[k - 1] ?? 0);
  } else {
    const z = normalQuantile(1 - alpha / 2);
    k = Math.floor(total / 2 + 0.5 - z * Math.sqrt((total * (n1 + n2 + 1)) / 12));
    if (k < 1) k = 1;
  }
  k = Math.min(k, Math.ceil(total / 2));
  return {
    estimate,
    lower: kthPairwiseDifference(xs, ys, k),
    upper: kthPairwiseDifference(xs, ys, total - k + 1),
    k,
    confidence: achieved,
    method: useExact ? 'exact' : 'asymptotic',
  };
}

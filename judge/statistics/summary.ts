// Sufficient statistics for means and variances, mergeable across intervals, so the judge can
// work from running sums (Prometheus-style counters) instead of raw samples.
//
// Welford's update and Chan et al.'s parallel merge keep the variance numerically stable:
//   merge: n = n_a + n_b, δ = x̄_b − x̄_a, x̄ = x̄_a + δ·n_b/n, M₂ = M₂a + M₂b + δ²·n_a·n_b/n.
//
// Pure and deterministic: no I/O, no Node built-ins.
import { mean as ssMean, sampleVariance } from 'simple-statistics';

export interface SummaryStats {
  n: number;
  mean: number;
  /** Unbiased sample variance (n − 1 denominator); 0 when n < 2. */
  variance: number;
}

/** Summary of a sample (uses simple-statistics' mean and unbiased sampleVariance). */
export function summarize(values: readonly number[]): SummaryStats {
  const n = values.length;
  if (n === 0) return { n: 0, mean: Number.NaN, variance: Number.NaN };
  const xs = values as number[];
  return { n, mean: ssMean(xs), variance: n > 1 ? sampleVariance(xs) : 0 };
}

/** Summary of log(values); every value must be > 0. */
export function summarizeLog(values: readonly number[]): SummaryStats {
  const logs: number[] = [];
  for (const v of values) {
    if (!(v > 0)) throw new RangeError(`log scale needs positive values, got ${v}`);
    logs.push(Math.log(v));
  }
  return summarize(logs);
}

/** Merge two summaries of disjoint samples. */
export function mergeSummaries(a: SummaryStats, b: SummaryStats): SummaryStats {
  if (a.n === 0) return b;
  if (b.n === 0) return a;
  const n = a.n + b.n;
  const delta = b.mean - a.mean;
  const m2 = a.variance * (a.n - 1) + b.variance * (b.n - 1) + (delta * delta * a.n * b.n) / n;
  return { n, mean: a.mean + (delta * b.n) / n, variance: n > 1 ? m2 / (n - 1) : 0 };
}

/** Summary from running sums Σx and Σx² (what a Prometheus summary/counter pair gives). */
export function summaryFromSums(n: number, sum: number, sumOfSquares: number): SummaryStats {
  if (n === 0) return { n: 0, mean: Number.NaN, variance: Number.NaN };
  const mean = sum / n;
  const variance = n > 1 ? Math.max(0, (sumOfSquares - n * mean * mean) / (n - 1)) : 0;
  return { n, mean, variance };
}

// Histogram bucket math for judging a latency tail from Prometheus histograms.
//
// A Prometheus histogram keeps, per bucket boundary `le`, the number of observations ≤ le. From
// the window's bucket increments the judge needs, per arm, how many requests were above a fixed
// threshold: exact when the threshold is a bucket boundary (count − bucket(le)), which is why the
// reference threshold is snapped to the boundary at or just above the baseline's quantile.
//
// The reference's tolerance rate (the exceedance a +tolerance shift of the baseline would give,
// P_baseline(X > t / (1 + tol)), see canary-judge.ts) needs the baseline's distribution between
// boundaries: it is interpolated linearly inside the bucket, as histogram_quantile does. It only
// sets the test's scale (τ and the effect-size gate), never its false-alarm rate.
import type { LatencyReference } from './canary-input';
import { labelsOfKey, type Readings } from './series-counters';

/** Cumulative counts per boundary in milliseconds (Infinity for +Inf), summed over series. */
export type Buckets = Record<string, number>;

/** Boundary key: milliseconds as a string, 'Infinity' for +Inf. */
export function boundaryKey(le: string, msPerUnit: number): string | null {
  if (le === '+Inf' || le === 'Inf') return 'Infinity';
  const value = Number(le);
  if (!Number.isFinite(value)) return null;
  // Rounded so 0.3 s and 300 ms give the same key whatever the float noise.
  return String(Math.round(value * msPerUnit * 1e6) / 1e6);
}

/** Sums bucket readings (or increments) of many series into one histogram, by boundary. */
export function bucketsOf(values: Readings, msPerUnit: number): Buckets {
  const buckets: Buckets = {};
  for (const [key, value] of Object.entries(values)) {
    const le = labelsOfKey(key).le;
    const boundary = le === undefined ? null : boundaryKey(le, msPerUnit);
    if (boundary !== null) buckets[boundary] = (buckets[boundary] ?? 0) + value;
  }
  return buckets;
}

export function addBuckets(a: Buckets, b: Buckets): Buckets {
  const sum: Buckets = { ...a };
  for (const [le, value] of Object.entries(b)) sum[le] = (sum[le] ?? 0) + value;
  return sum;
}

interface Point {
  le: number;
  count: number;
}

/** Sorted points, made monotone (per-series resets can leave a bucket a little above the next). */
function points(buckets: Buckets): Point[] {
  const sorted = Object.entries(buckets)
    .map(([le, count]) => ({ le: Number(le), count }))
    .sort((a, b) => a.le - b.le);
  let running = 0;
  for (let i = sorted.length - 1; i >= 0; i--) {
    running = i === sorted.length - 1 ? sorted[i]!.count : Math.min(sorted[i]!.count, running);
    sorted[i]!.count = running;
  }
  return sorted;
}

/** Observations in the histogram (its +Inf bucket); 0 without one. */
export function totalOf(buckets: Buckets): number {
  return buckets.Infinity ?? 0;
}

/** Observations above a boundary; null when the histogram has no such boundary. */
export function countAbove(buckets: Buckets, boundaryMs: number): number | null {
  const key = String(boundaryMs);
  if (!(key in buckets) || !('Infinity' in buckets)) return null;
  return Math.max(0, buckets.Infinity! - buckets[key]!);
}

/** The smallest finite boundary ≥ `ms` (a threshold not on a boundary snaps up to one); null if none. */
export function boundaryAtOrAbove(buckets: Buckets, ms: number): number | null {
  for (const point of points(buckets)) if (Number.isFinite(point.le) && point.le >= ms) return point.le;
  return null;
}

/** Linear interpolation of the cumulative count at x (0 at 0 ms, as latencies are ≥ 0). */
function cumulativeAt(sorted: Point[], x: number): number {
  let lo: Point = { le: 0, count: 0 };
  for (const point of sorted) {
    if (!Number.isFinite(point.le)) break;
    if (x <= point.le) {
      if (point.le === lo.le) return point.count;
      return lo.count + ((point.count - lo.count) * (x - lo.le)) / (point.le - lo.le);
    }
    lo = point;
  }
  return lo.count;
}

export type ReferenceOutcome = { reference: LatencyReference } | { reference: null; reason: string };

/**
 * The baseline's tail reference from its histogram: threshold = the boundary at or just above
 * its `quantile`; toleranceRate chosen so that the judge's tolerance (toleranceRate − (1 − quantile))
 * is the exceedance increase a +tolerance shift would give at that boundary:
 *   P_b(X > threshold / (1 + tolerance)) − P_b(X > threshold).
 */
export function referenceFromBuckets(
  buckets: Buckets,
  quantile: number,
  tolerance: number,
  minRequests: number,
): ReferenceOutcome {
  const total = totalOf(buckets);
  if (total < minRequests)
    return { reference: null, reason: `${Math.round(total)} baseline observations, ${minRequests} needed` };
  const sorted = points(buckets);
  const at = sorted.find((point) => Number.isFinite(point.le) && point.count >= quantile * total);
  if (!at)
    return {
      reference: null,
      reason: `the baseline's p${Math.round(quantile * 100)} is above the highest finite bucket`,
    };
  const exceedAt = (total - at.count) / total;
  const exceedShifted = 1 - cumulativeAt(sorted, at.le / (1 + tolerance)) / total;
  return { reference: { quantile, threshold: at.le, toleranceRate: 1 - quantile + (exceedShifted - exceedAt) } };
}

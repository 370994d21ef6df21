// Latency metrics, judged on the tail: θ = exceedance rate over the baseline's q-quantile (p99
// measured in shadow), candidate minus baseline. Why not a mean: latency is heavy-tailed, so a
// mean-based sequential test on raw milliseconds is driven by a few huge values (its variance
// estimate is unstable and its CLT slow), and the tail is what the plan's "p99" guardrail
// protects. The exceedance count is a Bernoulli proportion: bounded, robust to outliers, its
// variance is known from its rate, and a +tol shift of p99 maps to a target exceedance rate
// measured on the shadow baseline (P_baseline(X > t/(1 + tol)), the scale-family assumption).
// The body of the distribution is shown by Mann–Whitney and Hodges–Lehmann on log-latency; add a
// `continuous` metric with scale 'log' to also gate on it.
import { quantileSorted } from 'simple-statistics';
import type { Counts, LatencyReference, MetricData } from './canary-input';
import type { FixedHorizonEvidence, LatencyEvidence } from './judge-evidence';
import {
  allFinite,
  noData,
  prepared,
  proportionFields,
  rankEvidence,
  validCounts,
  type Prepared,
  type Resolved,
} from './prepared-metric';
import { newcombeInterval } from './statistics/proportions';

/** Reference for a latency metric from baseline samples measured during shadow. */
export function latencyReferenceFromShadow(
  samples: readonly number[],
  quantile: number,
  tolerance: number,
  /** The body quantiles of the whole-distribution metric, at their own relative tolerance. */
  body?: { quantiles: readonly number[]; tolerance: number },
): LatencyReference {
  if (samples.length === 0) throw new RangeError('shadow samples are empty');
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number, tol: number): LatencyReference => {
    const threshold = quantileSorted(sorted, q);
    return { quantile: q, threshold, toleranceRate: exceedanceShare(sorted, threshold / (1 + tol)) };
  };
  const reference = at(quantile, tolerance);
  if (body && body.quantiles.length > 0) reference.body = body.quantiles.map((q) => at(q, body.tolerance));
  return reference;
}

function exceedanceShare(sorted: readonly number[], threshold: number): number {
  return countAbove(sorted, threshold) / sorted.length;
}

/** Number of values strictly above the threshold in a sorted array (binary search). */
export function countAbove(sorted: readonly number[], threshold: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! <= threshold) lo = mid + 1;
    else hi = mid;
  }
  return sorted.length - lo;
}

export function prepareLatency(
  base: Resolved,
  data: MetricData | undefined,
  alpha: number,
  tauMultiplier: number,
): Prepared {
  const { cfg } = base;
  const quantile = cfg.quantile ?? cfg.reference?.quantile ?? 0.99;
  if (!data) return noData(base, 'absolute', 'absolute', 'no data');
  let counts: { b: Counts; c: Counts };
  let threshold: number;
  let toleranceRate: number;
  let thresholdSource: 'shadow' | 'pooled-window';
  const fixed: FixedHorizonEvidence[] = [];
  const extra: Partial<LatencyEvidence> = {};
  if (data.type === 'exceedance') {
    if (!cfg.reference)
      return noData(
        base,
        'absolute',
        'absolute',
        'exceedance data needs the shadow reference (threshold and tolerance rate)',
      );
    if (!validCounts(data.baseline) || !validCounts(data.candidate))
      return noData(base, 'absolute', 'absolute', 'invalid counts');
    if (data.baseline.total === 0 || data.candidate.total === 0)
      return noData(base, 'absolute', 'absolute', 'no requests in an arm', {
        b: data.baseline.total,
        c: data.candidate.total,
      });
    counts = { b: data.baseline, c: data.candidate };
    threshold = data.threshold;
    toleranceRate = cfg.reference.toleranceRate;
    thresholdSource = 'shadow';
  } else if (data.type === 'samples') {
    const b = data.baseline;
    const c = data.candidate;
    if (b.length === 0 || c.length === 0)
      return noData(base, 'absolute', 'absolute', 'no samples in an arm', { b: b.length, c: c.length });
    if (!allFinite(b) || !allFinite(c)) return noData(base, 'absolute', 'absolute', 'non-finite samples');
    const sb = [...b].sort((x, y) => x - y);
    const sc = [...c].sort((x, y) => x - y);
    if (cfg.reference) {
      threshold = cfg.reference.threshold;
      toleranceRate = cfg.reference.toleranceRate;
      thresholdSource = 'shadow';
    } else {
      // No shadow reference: the pooled window quantile (exchangeable between arms under H₀,
      // a generalised Mood's median test) and the tolerance rate from the baseline arm.
      const pooled = [...sb, ...sc].sort((x, y) => x - y);
      threshold = quantileSorted(pooled, quantile);
      toleranceRate = exceedanceShare(sb, threshold / (1 + cfg.tolerance));
      thresholdSource = 'pooled-window';
    }
    counts = {
      b: { events: countAbove(sb, threshold), total: sb.length },
      c: { events: countAbove(sc, threshold), total: sc.length },
    };
    extra.baselineQuantile = quantileSorted(sb, quantile);
    extra.candidateQuantile = quantileSorted(sc, quantile);
    extra.relativeQuantileChange =
      extra.baselineQuantile > 0 ? extra.candidateQuantile / extra.baselineQuantile - 1 : undefined;
    fixed.push(...rankEvidence(c, b, true, cfg.direction, alpha));
  } else {
    return noData(base, 'absolute', 'absolute', `expects samples or exceedance counts, got ${data.type}`);
  }
  const baseRate = 1 - quantile;
  const tolAbs = toleranceRate - baseRate;
  if (!(tolAbs > 0))
    return noData(
      base,
      'absolute',
      'absolute',
      `latency reference gives no room above the ${quantile} quantile (tolerance rate ${toleranceRate})`,
    );
  const ci = newcombeInterval(counts.c.events, counts.c.total, counts.b.events, counts.b.total, 1 - alpha);
  fixed.push({
    test: `Newcombe interval of exceedance rates over ${threshold.toPrecision(4)}`,
    estimate: ci.estimate,
    interval: [ci.lower, ci.upper],
    confidence: 1 - alpha,
  });
  return prepared(base, {
    ...proportionFields(counts.b, counts.c, cfg.direction, tolAbs, cfg.tau, tauMultiplier),
    fixed,
    latency: { quantile, threshold, thresholdSource, toleranceRate, relativeTolerance: cfg.tolerance, ...extra },
  });
}

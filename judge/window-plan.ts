// Before the rollout: how long must each canary window be, at the expected traffic, for the
// judge to catch a regression? The judge fails a metric only once it is shown beyond the
// tolerance (sequential-looks.ts), so a regression of exactly the tolerance is the boundary of
// its null; the planned regression is twice the tolerance on the test's scale (a distance of one
// tolerance beyond the null). For every blocking metric this gives
//   - the fixed-horizon sample size for that regression at α/m (the family-wise α split over the
//     m blocking metrics, as the judge does) and 80 % power,
//   - the judge's own requirement: the mSPRT's sample size for that power (a conservative bound:
//     it credits only the last look; the sequential test often stops earlier),
// and converts them into minutes at the expected traffic and canary share. The window should be
// at least the largest sequential requirement; `minSamples` at least the largest fixed-horizon n
// is a sensible floor before a pass.
//
// Pure and deterministic: no I/O, no Node built-ins.
import { bonferroniAlpha } from '../lib/multiplicity';
import { DEFAULT_TAU_MULTIPLIER, type JudgeConfig, type MetricConfig } from './canary-input';
import { sampleSizeMeanShift, sampleSizeTwoProportions, sequentialSampleSize, windowMinutes } from './statistics/power';
import type { Sidedness } from './statistics/sequential';

/** What the release owner expects of the baseline, per metric (from shadow or history). */
export type MetricExpectation =
  /** Proportions: the baseline rate. */
  | { baselineRate: number }
  /** Continuous with a relative tolerance: coefficient of variation (raw scale) or SD of log values (log scale). */
  | { cv: number }
  /** Continuous with an absolute tolerance: per-request SD. */
  | { sd: number };

export interface TrafficExpectation {
  /** Requests per minute reaching the route. */
  requestsPerMinute: number;
  /** Share of them the candidate gets in this step (e.g. 0.05). */
  candidateShare: number;
  /** Share the baseline arm the judge compares against gets (default 1 − candidateShare). */
  baselineShare?: number;
}

export interface MetricWindowPlan {
  metric: string;
  /** Fixed-horizon candidate requests for a regression of twice the tolerance (α/m, 80 % power). */
  fixedHorizonSamples: number;
  /** The judge's (conservative) requirement for the same power. */
  sequentialSamples: number;
  fixedHorizonMinutes: number;
  sequentialMinutes: number;
  note?: string;
}

export interface WindowPlan {
  metrics: MetricWindowPlan[];
  /** Largest sequential requirement over the blocking metrics: the window to plan for. */
  windowMinutes: number;
  /** Candidate requests that window gives. */
  candidateRequests: number;
  /** Suggested per-arm minimum before a pass: the largest fixed-horizon n. */
  suggestedMinSamples: number;
  alphaPerMetric: number;
  power: number;
}

export function planCanaryWindow(
  config: JudgeConfig,
  expectations: Record<string, MetricExpectation | undefined>,
  traffic: TrafficExpectation,
  power = 0.8,
): WindowPlan {
  const blocking = config.metrics.filter((m) => m.blocking ?? true);
  const alpha = bonferroniAlpha(config.alpha, blocking.length);
  const baselineShare = traffic.baselineShare ?? 1 - traffic.candidateShare;
  const ratio = baselineShare / traffic.candidateShare;
  const tauMultiplier = config.tauMultiplier ?? DEFAULT_TAU_MULTIPLIER;
  const minutes = (n: number): number =>
    windowMinutes(n, traffic.requestsPerMinute, traffic.candidateShare, baselineShare);
  const rows = blocking.map((metric) =>
    planMetric(metric, expectations[metric.name], { alpha, power, ratio, tauMultiplier }, minutes),
  );
  const finite = rows.filter((r) => Number.isFinite(r.sequentialMinutes));
  const window =
    finite.length === rows.length && rows.length > 0
      ? Math.max(...rows.map((r) => r.sequentialMinutes))
      : Number.POSITIVE_INFINITY;
  return {
    metrics: rows,
    windowMinutes: window,
    candidateRequests: Number.isFinite(window)
      ? Math.ceil(window * traffic.requestsPerMinute * traffic.candidateShare)
      : Number.POSITIVE_INFINITY,
    suggestedMinSamples: rows.length > 0 ? Math.max(...rows.map((r) => r.fixedHorizonSamples)) : 0,
    alphaPerMetric: alpha,
    power,
  };
}

interface Design {
  alpha: number;
  power: number;
  ratio: number;
  tauMultiplier: number;
}

// The judge's mixture is two-sided (its interval serves both bounds); a directional metric's
// fixed-horizon comparator is one-sided.
function sidesOf(metric: MetricConfig): { sides: 1 | 2; alternative: Sidedness } {
  return { sides: metric.direction === 'either' ? 2 : 1, alternative: 'two-sided' };
}

function planMetric(
  metric: MetricConfig,
  expectation: MetricExpectation | undefined,
  d: Design,
  minutes: (n: number) => number,
): MetricWindowPlan {
  const { sides, alternative } = sidesOf(metric);
  const missing = (note: string): MetricWindowPlan => ({
    metric: metric.name,
    fixedHorizonSamples: Number.POSITIVE_INFINITY,
    sequentialSamples: Number.POSITIVE_INFINITY,
    fixedHorizonMinutes: Number.POSITIVE_INFINITY,
    sequentialMinutes: Number.POSITIVE_INFINITY,
    note,
  });
  if (metric.distribution && metric.distribution.length > 0) {
    // A distribution: twice the tolerance at every quantile is caught by any one of them, each
    // tested at α/K; plan on the quantile that needs the fewest requests.
    const K = metric.distribution.length;
    const perQuantile = metric.distribution.map((reference) =>
      planMetric({ ...metric, distribution: undefined, reference }, expectation, { ...d, alpha: d.alpha / K }, minutes),
    );
    const best = perQuantile.reduce((a, b) => (b.sequentialSamples < a.sequentialSamples ? b : a));
    return { ...best, metric: metric.name };
  }
  let fixed: number;
  let delta: number;
  let unitVariance: number;
  if (metric.kind === 'proportion' || metric.kind === 'latency') {
    let base: number;
    let tolerated: number;
    if (metric.kind === 'latency') {
      if (!metric.reference) return missing('latency metric needs its shadow reference');
      base = 1 - metric.reference.quantile;
      tolerated = metric.reference.toleranceRate;
    } else {
      if (!expectation || !('baselineRate' in expectation)) return missing('expected baseline rate missing');
      base = expectation.baselineRate;
      tolerated = metric.direction === 'lower_is_worse' ? base - metric.tolerance : base + metric.tolerance;
    }
    const target = 2 * tolerated - base;
    if (!(target > 0 && target < 1) || target === base) return missing('tolerance leaves no detectable rate');
    // The fixed-horizon test of the same question: the candidate against the tolerated rate.
    fixed = sampleSizeTwoProportions({
      baselineRate: tolerated,
      candidateRate: target,
      alpha: d.alpha,
      power: d.power,
      sides,
      ratio: d.ratio,
    });
    delta = Math.abs(target - tolerated);
    const pbar = (target + d.ratio * base) / (1 + d.ratio);
    unitVariance = pbar * (1 - pbar) * (1 + 1 / d.ratio);
  } else {
    const absolute = metric.toleranceKind === 'absolute';
    let sd: number;
    if (absolute) {
      if (!expectation || !('sd' in expectation)) return missing('expected per-request SD missing');
      sd = expectation.sd;
      delta = metric.tolerance;
    } else {
      if (!expectation || !('cv' in expectation)) return missing('expected coefficient of variation missing');
      sd = expectation.cv;
      delta =
        metric.direction === 'lower_is_worse'
          ? -Math.log1p(-Math.min(metric.tolerance, 0.99))
          : Math.log1p(metric.tolerance);
    }
    fixed = sampleSizeMeanShift({ delta, sdCandidate: sd, alpha: d.alpha, power: d.power, sides, ratio: d.ratio });
    unitVariance = sd * sd * (1 + 1 / d.ratio);
  }
  const tau = metric.tau ?? d.tauMultiplier * delta;
  const sequential = sequentialSampleSize({ delta, unitVariance, tau, alpha: d.alpha, power: d.power, alternative });
  const fixedN = Math.ceil(fixed);
  return {
    metric: metric.name,
    fixedHorizonSamples: fixedN,
    sequentialSamples: sequential,
    fixedHorizonMinutes: minutes(fixedN),
    sequentialMinutes: minutes(sequential),
  };
}

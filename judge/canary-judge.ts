// The statistical canary judge: one pure function from a window's cumulative canary-vs-baseline
// data (at one look) to a Verdict with its evidence. Called every check interval; looking that
// often does not inflate false alarms, because every decision rests on always-valid tests.
//
// Per metric
//   proportion  (error rate, refusal rate, schema adherence): θ = p_c − p_b (absolute points).
//   continuous  (tokens, cost, length, judge scores): relative tolerance → θ = log(x̄_c / x̄_b)
//               (scale 'raw', delta method) or θ = mean(log x_c) − mean(log x_b) (scale 'log',
//               geometric means); absolute tolerance → θ = x̄_c − x̄_b.
//   latency     (latency, time to first token): θ = exceedance rate over the baseline's
//               q-quantile (p99 measured in shadow), candidate minus baseline. Why not a mean:
//               latency is heavy-tailed, so a mean-based sequential test on raw milliseconds is
//               driven by a few huge values (its variance estimate is unstable and its CLT slow),
//               and the tail is what the plan's "p99" guardrail protects. The exceedance count is
//               a Bernoulli proportion: bounded, robust to outliers, its variance is known from its
//               rate, and a +tol shift of p99 maps to a target exceedance rate measured on the
//               shadow baseline (P_baseline(X > t/(1 + tol)) — the scale-family assumption).
//               The body of the distribution is shown by Mann–Whitney and Hodges–Lehmann on
//               log-latency; add a `continuous` metric with scale 'log' to also gate on it.
//
// Decision per metric: the normal-mixture mSPRT (statistics/sequential.ts), one-sided in the bad
// direction (two-sided for direction 'either'), τ = 1.5 × tolerance on the test's scale, averaged
// with mixtures at 4τ and 16τ (TAU_GRID) so gross regressions stop a canary early; always-valid
// p-values carried as a running minimum in `JudgeState`; Holm across the blocking metrics
// (statistics/multiple-testing.ts). A metric is High/Low when its Holm-adjusted always-valid
// p ≤ α, it is past burn-in, and its estimate is at least `minEffectFraction` × tolerance in
// that direction (Kayenta-style effect-size gate: statistically certain but negligible shifts
// do not fail a canary). Otherwise: 'no_data' without data or below minSamples (never a pass),
// else 'pass'. Improvements never count against a directional metric.
// Fixed-horizon tests (Newcombe, z test, Welch, Mann–Whitney + Hodges–Lehmann) are computed at
// confidence 1 − α for the evidence only; they are not valid under repeated looks and never
// decide.
//
// Score (0–100), Kayenta's weighted groups with per-metric weights inside a group:
//   score = 100 · Σ_g W_g · s_g / Σ_g W_g  over groups with a classified metric, where
//   s_g = Σ_{m∈g, classified} w_m · [class_m = pass] / Σ_{m∈g, classified} w_m,
//   "classified" = pass/high/low of a blocking metric; W_g = groupWeights[g] (default 1),
//   w_m = metric weight (default 1). bestCase = the same with every no_data blocking metric
//   counted as pass.
// Outcome:
//   fail          a critical blocking metric is High/Low, or bestCase < marginal;
//   inconclusive  a blocking metric has no data / too few samples, or score < pass, or
//                 (requireWithinTolerance) a critical metric's interval still allows a
//                 regression of its tolerance;
//   pass          enough samples everywhere and score ≥ pass.
//
// Pure and deterministic: no I/O, no clock, no randomness, no Node built-ins — safe to call in
// Temporal workflow code. `at` comes from the caller.
import { quantileSorted } from 'simple-statistics';
import type { FixedHorizonEvidence, JudgeMetricEvidence, JudgeState, JudgeVerdict, LatencyEvidence, MetricKind, ScoreBreakdown, SequentialEvidence } from './judge-evidence';
import { hodgesLehmann, mannWhitneyU } from './statistics/mann-whitney';
import { holmAdjust } from './statistics/multiple-testing';
import { newcombeInterval, twoProportionZTest } from './statistics/proportions';
import { alwaysValidGridPValue, confidenceSequence, logGridMixtureLikelihoodRatio, logRatioOfMeans, meanDifference, proportionDifference } from './statistics/sequential';
import type { EffectStatistic, Sidedness } from './statistics/sequential';
import { summarize, summarizeLog } from './statistics/summary';
import type { SummaryStats } from './statistics/summary';
import { welchTTest } from './statistics/welch';
import type { Direction, MetricClass, VerdictOutcome } from './verdict';

export type { JudgeMetricEvidence, JudgeState, JudgeVerdict } from './judge-evidence';
export type { SummaryStats } from './statistics/summary';

export interface Counts {
  /** Requests with the event (errors, refusals, valid JSON, latency above the threshold). */
  events: number;
  /** Requests it is counted over. */
  total: number;
}

/** One metric's cumulative data for the current window, per arm. */
export type MetricData =
  | { type: 'counts'; baseline: Counts; candidate: Counts }
  | { type: 'samples'; baseline: readonly number[]; candidate: readonly number[] }
  /** Summaries of the raw values (scale 'raw') or of their logarithms (scale 'log'). */
  | { type: 'summary'; scale: 'raw' | 'log'; baseline: SummaryStats; candidate: SummaryStats }
  /** Latency as counts above a fixed threshold (e.g. from histogram buckets at the shadow p99). */
  | { type: 'exceedance'; threshold: number; baseline: Counts; candidate: Counts };

/** A latency metric's reference, measured on the baseline during shadow. */
export interface LatencyReference {
  quantile: number;
  /** The baseline's quantile (e.g. p99 in ms). */
  threshold: number;
  /** Share of baseline requests above threshold / (1 + tolerance): the exceedance rate a +tolerance shift gives. */
  toleranceRate: number;
}

export interface MetricConfig {
  name: string;
  kind: MetricKind;
  direction: Direction;
  /**
   * The regression that matters: absolute points for proportions (0.01 = 1 pt), relative for
   * latency (0.15 = +15 % on the quantile) and, unless `toleranceKind` is 'absolute', for
   * continuous metrics (0.1 = ±10 % on the mean).
   */
  tolerance: number;
  /** Continuous metrics only (default 'relative'). */
  toleranceKind?: 'absolute' | 'relative';
  /** Continuous, relative: 'raw' compares means (default), 'log' compares geometric means. */
  scale?: 'raw' | 'log';
  /** A High/Low fails the canary on its own (default false). */
  critical?: boolean;
  /** In the Holm family and in the score (default true). Non-blocking metrics are shown only. */
  blocking?: boolean;
  /** Score group (default 'default') and weight inside it (default 1). */
  group?: string;
  weight?: number;
  /** Per-arm minimum before this metric can pass (default: the judge's minSamples). */
  minSamples?: number;
  /** Latency: the quantile watched (default 0.99). */
  quantile?: number;
  /** Latency: threshold and tolerance rate from shadow (`latencyReferenceFromShadow`). */
  reference?: LatencyReference;
  /** Override of the mixing SD τ on the test's scale (default: from the tolerance). */
  tau?: number;
}

export interface JudgeConfig {
  /** Family-wise false-alarm rate over the whole window, however many looks (e.g. 0.05). */
  alpha: number;
  /** Per-arm requests each metric needs before it can pass. */
  minSamples: number;
  /** Per-arm requests before a metric's sequential test may reject (default min(50, minSamples)). */
  burnIn?: number;
  /** High/Low also needs |estimate| ≥ this fraction of the tolerance (default 0.5). */
  minEffectFraction?: number;
  scoreThresholds: { pass: number; marginal: number };
  groupWeights?: Record<string, number>;
  /** τ = tauMultiplier × tolerance on the test's scale, unless a metric sets `tau` (default 1.5; see sequential.ts). */
  tauMultiplier?: number;
  /** Pass also needs each critical metric's always-valid interval inside its tolerance (default false). */
  requireWithinTolerance?: boolean;
  metrics: MetricConfig[];
}

export interface JudgeInput {
  stage: string;
  /** Timestamp for the verdict (the workflow's deterministic clock). */
  at: string;
  config: JudgeConfig;
  /** Cumulative data of the current window, keyed by metric name; missing means no data. */
  data: Record<string, MetricData | undefined>;
  /** State returned by the previous look of the same window; omit at the window's first look. */
  state?: JudgeState;
}

export interface JudgeResult {
  verdict: JudgeVerdict;
  state: JudgeState;
}

export function initialJudgeState(): JudgeState {
  return { pValues: {}, looks: 0 };
}

/** Reference for a latency metric from baseline samples measured during shadow. */
export function latencyReferenceFromShadow(samples: readonly number[], quantile: number, tolerance: number): LatencyReference {
  if (samples.length === 0) throw new RangeError('shadow samples are empty');
  const sorted = [...samples].sort((a, b) => a - b);
  const threshold = quantileSorted(sorted, quantile);
  return { quantile, threshold, toleranceRate: exceedanceShare(sorted, threshold / (1 + tolerance)) };
}

function exceedanceShare(sorted: readonly number[], threshold: number): number {
  return countAbove(sorted, threshold) / sorted.length;
}

/** Number of values strictly above the threshold in a sorted array (binary search). */
function countAbove(sorted: readonly number[], threshold: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! <= threshold) lo = mid + 1;
    else hi = mid;
  }
  return sorted.length - lo;
}

// ---------------------------------------------------------------------------------------------

interface Resolved {
  cfg: MetricConfig;
  critical: boolean;
  blocking: boolean;
  group: string;
  weight: number;
  minSamples: number;
}

interface Prepared extends Resolved {
  status: 'ok' | 'no_data' | 'insufficient';
  reason?: string;
  nBaseline: number;
  nCandidate: number;
  stat?: EffectStatistic;
  scale: 'absolute' | 'log';
  tau: number;
  alternative: Sidedness;
  /** Bad-side tolerance bounds on the test's scale (upper > 0, lower < 0; ±∞ when not watched). */
  upperTolerance: number;
  lowerTolerance: number;
  deltaKind: 'absolute' | 'relative';
  toleranceShown: number;
  baselineValue: number | null;
  candidateValue: number | null;
  fixed: FixedHorizonEvidence[];
  latency?: LatencyEvidence;
}

type PreparedFields = Omit<Prepared, keyof Resolved>;

/** Builds the record field by field (object spreads here cost more than the statistics). */
function prepared(base: Resolved, f: PreparedFields): Prepared {
  return {
    cfg: base.cfg,
    critical: base.critical,
    blocking: base.blocking,
    group: base.group,
    weight: base.weight,
    minSamples: base.minSamples,
    status: f.status,
    reason: f.reason,
    nBaseline: f.nBaseline,
    nCandidate: f.nCandidate,
    stat: f.stat,
    scale: f.scale,
    tau: f.tau,
    alternative: f.alternative,
    upperTolerance: f.upperTolerance,
    lowerTolerance: f.lowerTolerance,
    deltaKind: f.deltaKind,
    toleranceShown: f.toleranceShown,
    baselineValue: f.baselineValue,
    candidateValue: f.candidateValue,
    fixed: f.fixed,
    latency: f.latency,
  };
}

function alternativeOf(direction: Direction): Sidedness {
  return direction === 'higher_is_worse' ? 'greater' : direction === 'lower_is_worse' ? 'less' : 'two-sided';
}

function toDisplay(theta: number, scale: 'absolute' | 'log'): number {
  return scale === 'log' ? Math.expm1(theta) : theta;
}

function noData(base: Resolved, scale: 'absolute' | 'log', deltaKind: 'absolute' | 'relative', reason: string, n: { b: number; c: number } = { b: 0, c: 0 }): Prepared {
  return prepared(base, {
    status: 'no_data',
    reason,
    nBaseline: n.b,
    nCandidate: n.c,
    scale,
    tau: 0,
    alternative: alternativeOf(base.cfg.direction),
    upperTolerance: Number.POSITIVE_INFINITY,
    lowerTolerance: Number.NEGATIVE_INFINITY,
    deltaKind,
    toleranceShown: base.cfg.tolerance,
    baselineValue: null,
    candidateValue: null,
    fixed: [],
  });
}

/** Tolerance bounds and τ on the test's scale. */
function toleranceGeometry(direction: Direction, tolerance: number, scale: 'absolute' | 'log'): { upper: number; lower: number; tau: number } {
  const up = scale === 'log' ? Math.log1p(tolerance) : tolerance;
  const down = scale === 'log' ? (tolerance < 1 ? Math.log1p(-tolerance) : Number.NEGATIVE_INFINITY) : -tolerance;
  const upper = direction === 'lower_is_worse' ? Number.POSITIVE_INFINITY : up;
  const lower = direction === 'higher_is_worse' ? Number.NEGATIVE_INFINITY : down;
  const tau = direction === 'lower_is_worse' ? (Number.isFinite(down) ? -down : up) : up;
  return { upper, lower, tau };
}

/**
 * The sequential test's fields for a difference of two proportions (candidate − baseline) against
 * an absolute tolerance: rates (errors, refusals, schema) and latency exceedance share it.
 */
function proportionFields(b: Counts, c: Counts, direction: Direction, tolerance: number, tau: number | undefined, tauMultiplier: number) {
  const geometry = toleranceGeometry(direction, tolerance, 'absolute');
  return {
    status: 'ok' as const,
    nBaseline: b.total,
    nCandidate: c.total,
    stat: proportionDifference(c.events, c.total, b.events, b.total),
    scale: 'absolute' as const,
    tau: tau ?? tauMultiplier * geometry.tau,
    alternative: alternativeOf(direction),
    upperTolerance: geometry.upper,
    lowerTolerance: geometry.lower,
    deltaKind: 'absolute' as const,
    toleranceShown: tolerance,
    baselineValue: b.events / b.total,
    candidateValue: c.events / c.total,
  };
}

function prepareProportion(base: Resolved, data: MetricData | undefined, alpha: number, tauMultiplier: number): Prepared {
  const { cfg } = base;
  if (!data) return noData(base, 'absolute', 'absolute', 'no data');
  if (data.type !== 'counts') return noData(base, 'absolute', 'absolute', `expects counts, got ${data.type}`);
  const b = data.baseline;
  const c = data.candidate;
  if (!validCounts(b) || !validCounts(c)) return noData(base, 'absolute', 'absolute', 'invalid counts');
  if (b.total === 0 || c.total === 0) return noData(base, 'absolute', 'absolute', 'no requests in an arm', { b: b.total, c: c.total });
  const fixed: FixedHorizonEvidence[] = [];
  const ci = newcombeInterval(c.events, c.total, b.events, b.total, 1 - alpha);
  const z = twoProportionZTest(c.events, c.total, b.events, b.total, alternativeOf(cfg.direction));
  fixed.push({ test: 'Newcombe hybrid score interval (p_c − p_b)', estimate: ci.estimate, interval: [ci.lower, ci.upper], confidence: 1 - alpha });
  fixed.push({ test: `two-proportion z test (pooled, ${alternativeOf(cfg.direction)})`, estimate: z.estimate, pValue: z.pValue });
  return prepared(base, { ...proportionFields(b, c, cfg.direction, cfg.tolerance, cfg.tau, tauMultiplier), fixed });
}

function validCounts(x: Counts): boolean {
  return Number.isFinite(x.events) && Number.isFinite(x.total) && x.total >= 0 && x.events >= 0 && x.events <= x.total;
}

function prepareContinuous(base: Resolved, data: MetricData | undefined, alpha: number, tauMultiplier: number): Prepared {
  const { cfg } = base;
  const absolute = cfg.toleranceKind === 'absolute';
  const scaleWanted: 'raw' | 'log' = absolute ? 'raw' : (cfg.scale ?? 'raw');
  const scale: 'absolute' | 'log' = absolute ? 'absolute' : 'log';
  const deltaKind = absolute ? 'absolute' : 'relative';
  if (!data) return noData(base, scale, deltaKind, 'no data');
  let sb: SummaryStats;
  let sc: SummaryStats;
  const fixed: FixedHorizonEvidence[] = [];
  if (data.type === 'samples') {
    if (data.baseline.length === 0 || data.candidate.length === 0) return noData(base, scale, deltaKind, 'no samples in an arm', { b: data.baseline.length, c: data.candidate.length });
    if (!allFinite(data.baseline) || !allFinite(data.candidate)) return noData(base, scale, deltaKind, 'non-finite samples');
    if (scaleWanted === 'log' && !(allPositive(data.baseline) && allPositive(data.candidate))) return noData(base, scale, deltaKind, 'log scale needs positive samples');
    sb = scaleWanted === 'log' ? summarizeLog(data.baseline) : summarize(data.baseline);
    sc = scaleWanted === 'log' ? summarizeLog(data.candidate) : summarize(data.candidate);
    fixed.push(...rankEvidence(data.candidate, data.baseline, !absolute, cfg.direction, alpha));
  } else if (data.type === 'summary') {
    if (data.scale !== scaleWanted) return noData(base, scale, deltaKind, `summary on the ${data.scale} scale but the metric tests the ${scaleWanted} scale`);
    sb = data.baseline;
    sc = data.candidate;
    if (!(sb.n > 0) || !(sc.n > 0)) return noData(base, scale, deltaKind, 'no samples in an arm', { b: sb.n || 0, c: sc.n || 0 });
  } else {
    return noData(base, scale, deltaKind, `expects samples or summary, got ${data.type}`);
  }
  const n = { b: sb.n, c: sc.n };
  if (sb.n < 2 || sc.n < 2) {
    const few = noData(base, scale, deltaKind, 'fewer than 2 samples in an arm', n);
    few.status = 'insufficient';
    return few;
  }
  let stat: EffectStatistic;
  let baselineValue: number;
  let candidateValue: number;
  if (absolute) {
    stat = meanDifference(sc, sb);
    baselineValue = sb.mean;
    candidateValue = sc.mean;
  } else if (scaleWanted === 'log') {
    stat = meanDifference(sc, sb);
    baselineValue = Math.exp(sb.mean);
    candidateValue = Math.exp(sc.mean);
  } else {
    if (!(sb.mean > 0) || !(sc.mean > 0)) return noData(base, scale, deltaKind, 'relative tolerance needs positive means', n);
    stat = logRatioOfMeans(sc, sb);
    baselineValue = sb.mean;
    candidateValue = sc.mean;
  }
  // Two-sided interval (finite, JSON-safe), p-value in the metric's direction (t is symmetric).
  const welch = welchTTest(sc, sb, { confidence: 1 - alpha });
  const alt = alternativeOf(cfg.direction);
  const welchP = alt === 'two-sided' ? welch.pValue : (alt === 'greater') === (welch.t > 0) ? welch.pValue / 2 : 1 - welch.pValue / 2;
  const welchScale = scaleWanted === 'log' ? 'log values' : 'raw values';
  fixed.push({ test: `Welch t test (${welchScale}, ${alt}, df ${welch.df.toFixed(1)})`, estimate: welch.estimate, interval: [welch.lower, welch.upper], pValue: welchP, confidence: 1 - alpha });
  const geometry = toleranceGeometry(cfg.direction, cfg.tolerance, scale);
  return prepared(base, {
    status: 'ok',
    nBaseline: sb.n,
    nCandidate: sc.n,
    stat,
    scale,
    tau: cfg.tau ?? tauMultiplier * geometry.tau,
    alternative: alternativeOf(cfg.direction),
    upperTolerance: geometry.upper,
    lowerTolerance: geometry.lower,
    deltaKind,
    toleranceShown: cfg.tolerance,
    baselineValue,
    candidateValue,
    fixed,
  });
}

function allFinite(xs: readonly number[]): boolean {
  for (const x of xs) if (!Number.isFinite(x)) return false;
  return true;
}

function allPositive(xs: readonly number[]): boolean {
  for (const x of xs) if (!(x > 0)) return false;
  return true;
}

/** Mann–Whitney and Hodges–Lehmann (on logs when relative and positive) for the evidence. */
function rankEvidence(candidate: readonly number[], baseline: readonly number[], relative: boolean, direction: Direction, alpha: number): FixedHorizonEvidence[] {
  const out: FixedHorizonEvidence[] = [];
  const mw = mannWhitneyU(candidate, baseline, { alternative: alternativeOf(direction) });
  out.push({ test: `Mann–Whitney U (${mw.method}, tie-corrected, ${alternativeOf(direction)})`, estimate: mw.probabilityOfSuperiority, pValue: mw.pValue, note: `U = ${mw.u}; estimate is P(candidate > baseline)` });
  const useLog = relative && allPositive(candidate) && allPositive(baseline);
  const c = useLog ? candidate.map(Math.log) : candidate;
  const b = useLog ? baseline.map(Math.log) : baseline;
  const hl = hodgesLehmann(c, b, 1 - alpha);
  if (useLog) {
    out.push({ test: 'Hodges–Lehmann shift of log values (relative)', estimate: Math.expm1(hl.estimate), interval: [Math.expm1(hl.lower), Math.expm1(hl.upper)], confidence: hl.confidence });
  } else {
    out.push({ test: 'Hodges–Lehmann shift', estimate: hl.estimate, interval: [hl.lower, hl.upper], confidence: hl.confidence });
  }
  return out;
}

function prepareLatency(base: Resolved, data: MetricData | undefined, alpha: number, tauMultiplier: number): Prepared {
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
    if (!cfg.reference) return noData(base, 'absolute', 'absolute', 'exceedance data needs the shadow reference (threshold and tolerance rate)');
    if (!validCounts(data.baseline) || !validCounts(data.candidate)) return noData(base, 'absolute', 'absolute', 'invalid counts');
    if (data.baseline.total === 0 || data.candidate.total === 0) return noData(base, 'absolute', 'absolute', 'no requests in an arm', { b: data.baseline.total, c: data.candidate.total });
    counts = { b: data.baseline, c: data.candidate };
    threshold = data.threshold;
    toleranceRate = cfg.reference.toleranceRate;
    thresholdSource = 'shadow';
  } else if (data.type === 'samples') {
    const b = data.baseline;
    const c = data.candidate;
    if (b.length === 0 || c.length === 0) return noData(base, 'absolute', 'absolute', 'no samples in an arm', { b: b.length, c: c.length });
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
    counts = { b: { events: countAbove(sb, threshold), total: sb.length }, c: { events: countAbove(sc, threshold), total: sc.length } };
    extra.baselineQuantile = quantileSorted(sb, quantile);
    extra.candidateQuantile = quantileSorted(sc, quantile);
    extra.relativeQuantileChange = extra.baselineQuantile > 0 ? extra.candidateQuantile / extra.baselineQuantile - 1 : undefined;
    fixed.push(...rankEvidence(c, b, true, cfg.direction, alpha));
  } else {
    return noData(base, 'absolute', 'absolute', `expects samples or exceedance counts, got ${data.type}`);
  }
  const baseRate = 1 - quantile;
  const tolAbs = toleranceRate - baseRate;
  if (!(tolAbs > 0)) return noData(base, 'absolute', 'absolute', `latency reference gives no room above the ${quantile} quantile (tolerance rate ${toleranceRate})`);
  const ci = newcombeInterval(counts.c.events, counts.c.total, counts.b.events, counts.b.total, 1 - alpha);
  fixed.push({ test: `Newcombe interval of exceedance rates over ${threshold.toPrecision(4)}`, estimate: ci.estimate, interval: [ci.lower, ci.upper], confidence: 1 - alpha });
  return prepared(base, {
    ...proportionFields(counts.b, counts.c, cfg.direction, tolAbs, cfg.tau, tauMultiplier),
    fixed,
    latency: { quantile, threshold, thresholdSource, toleranceRate, relativeTolerance: cfg.tolerance, ...extra },
  });
}

// ---------------------------------------------------------------------------------------------

/** Default τ / tolerance (see the mixing-variance note in statistics/sequential.ts). */
export const DEFAULT_TAU_MULTIPLIER = 1.5;

/** Judge one look of a canary window. Pure: same input, same output. */
export function judgeCanary(input: JudgeInput): JudgeResult {
  const { config } = input;
  const alpha = config.alpha;
  if (!(alpha > 0 && alpha < 1)) throw new RangeError(`alpha must be in (0, 1), got ${alpha}`);
  const burnIn = config.burnIn ?? Math.min(50, config.minSamples);
  const minEffectFraction = config.minEffectFraction ?? 0.5;
  const tauMultiplier = config.tauMultiplier ?? DEFAULT_TAU_MULTIPLIER;
  const names = new Set<string>();
  for (const m of config.metrics) {
    if (names.has(m.name)) throw new RangeError(`duplicate metric ${m.name}`);
    names.add(m.name);
  }

  const prepared: Prepared[] = config.metrics.map((cfg) => {
    const base: Resolved = {
      cfg,
      critical: cfg.critical ?? false,
      blocking: cfg.blocking ?? true,
      group: cfg.group ?? 'default',
      weight: cfg.weight ?? 1,
      minSamples: cfg.minSamples ?? config.minSamples,
    };
    if (!(cfg.tolerance > 0) && !(cfg.tau !== undefined && cfg.tau > 0)) {
      return noData(base, 'absolute', cfg.kind === 'proportion' || cfg.toleranceKind === 'absolute' ? 'absolute' : 'relative', 'tolerance must be > 0 (or set tau) for the sequential test to detect anything');
    }
    const data = input.data[cfg.name];
    if (cfg.kind === 'proportion') return prepareProportion(base, data, alpha, tauMultiplier);
    if (cfg.kind === 'continuous') return prepareContinuous(base, data, alpha, tauMultiplier);
    return prepareLatency(base, data, alpha, tauMultiplier);
  });

  // Sequential tests and the always-valid p-values (running minimum within the window).
  const previous = input.state?.pValues ?? {};
  const nextP: Record<string, number> = {};
  const seq = prepared.map((m) => {
    if (m.status === 'no_data' || !m.stat) return null;
    const active = Math.min(m.nBaseline, m.nCandidate) >= burnIn;
    const mixture = { estimate: m.stat.estimate, variance: m.stat.variance, tau: m.tau, alternative: m.alternative };
    const logLr = logGridMixtureLikelihoodRatio(mixture);
    const prior = previous[m.cfg.name] ?? 1;
    const p = active ? alwaysValidGridPValue(mixture, prior) : prior;
    nextP[m.cfg.name] = p;
    const cs = confidenceSequence(m.stat.estimate, m.stat.variance, m.tau, alpha);
    return { logLr, p, active, cs };
  });
  // Metrics without data this look keep their earlier running minimum.
  for (const [name, p] of Object.entries(previous)) if (!(name in nextP) && names.has(name)) nextP[name] = p;

  const blockingIdx = prepared.map((m, i) => (m.blocking ? i : -1)).filter((i) => i >= 0);
  const familySize = blockingIdx.length;
  const adjustedBlocking = holmAdjust(
    blockingIdx.map((i) => seq[i]?.p ?? nextP[prepared[i]!.cfg.name] ?? 1),
    familySize,
  );
  const adjusted = new Map<number, number>();
  blockingIdx.forEach((i, k) => adjusted.set(i, adjustedBlocking[k]!));

  const metrics: JudgeMetricEvidence[] = prepared.map((m, i) => buildEvidence(m, seq[i] ?? null, adjusted.get(i) ?? seq[i]?.p ?? 1, m.blocking ? familySize : 1, alpha, minEffectFraction));

  const scoreBreakdown = scoreOf(metrics, config);
  const { outcome, reason } = decide(metrics, scoreBreakdown, config);
  const verdict: JudgeVerdict = {
    stage: input.stage,
    outcome,
    reason,
    metrics,
    at: input.at,
    scoreBreakdown,
  };
  if (scoreBreakdown.score !== null) verdict.score = scoreBreakdown.score;
  return { verdict, state: { pValues: nextP, looks: (input.state?.looks ?? 0) + 1 } };
}

function buildEvidence(
  m: Prepared,
  s: { logLr: number; p: number; active: boolean; cs: { lower: number; upper: number } } | null,
  adjustedP: number,
  familySize: number,
  alpha: number,
  minEffectFraction: number,
): JudgeMetricEvidence {
  if (m.status === 'no_data' || !m.stat || !s) {
    return evidence(m, {
      baseline: m.baselineValue,
      candidate: m.candidateValue,
      delta: null,
      classification: 'no_data',
      status: m.status === 'insufficient' ? 'insufficient' : 'no_data',
      withinTolerance: null,
      message: `${m.cfg.name}: no data (${m.reason ?? 'missing'})`,
    });
  }
  const theta = m.stat.estimate;
  const rejected = s.active && adjustedP <= alpha;
  const floorUp = minEffectFraction * (Number.isFinite(m.upperTolerance) ? m.upperTolerance : m.tau);
  const floorDown = minEffectFraction * (Number.isFinite(m.lowerTolerance) ? m.lowerTolerance : -m.tau);
  let classification: MetricClass = 'pass';
  let effectNote = '';
  if (rejected) {
    const up = theta > 0;
    const watched = m.alternative === 'two-sided' || (m.alternative === 'greater' ? up : !up);
    const bigEnough = up ? theta >= floorUp : theta <= floorDown;
    if (watched && bigEnough) classification = up ? 'high' : 'low';
    else if (watched) effectNote = ' (significant, but below the effect-size floor)';
  }
  const enough = m.nBaseline >= m.minSamples && m.nCandidate >= m.minSamples;
  let status: JudgeMetricEvidence['status'] = 'ok';
  if (classification === 'pass' && !enough) {
    classification = 'no_data';
    status = 'insufficient';
  }
  const withinTolerance = s.cs.upper < m.upperTolerance && s.cs.lower > m.lowerTolerance;
  const interval: [number, number] = [toDisplay(s.cs.lower, m.scale), toDisplay(s.cs.upper, m.scale)];
  const delta = toDisplay(theta, m.scale);
  const sequential: SequentialEvidence = {
    method: `mSPRT, normal mixtures τ×{1,4,16} around τ = ${fmtTheta(m.tau, m.scale)}${m.alternative === 'two-sided' ? '' : ' (half-normal, one-sided)'}`,
    alternative: m.alternative,
    scale: m.scale,
    estimate: theta,
    variance: m.stat.variance,
    tau: m.tau,
    logLikelihoodRatio: s.logLr,
    pValue: s.p,
    adjustedPValue: adjustedP,
    familySize,
    alpha,
    active: s.active,
    rejected,
    interval: [s.cs.lower, s.cs.upper],
  };
  const message = describe(m, classification, status, delta, interval, s.p, adjustedP, familySize, withinTolerance, s.active) + effectNote;
  return evidence(m, {
    baseline: m.baselineValue,
    candidate: m.candidateValue,
    delta,
    interval,
    test: `always-valid mSPRT (normal mixture${m.alternative === 'two-sided' ? ', two-sided' : ', one-sided'})${familySize > 1 ? `, Holm over ${familySize} blocking metrics` : ''}`,
    pValue: s.p,
    classification,
    status,
    withinTolerance,
    sequential,
    fixedHorizon: m.fixed,
    message,
  });
}

type EvidenceFields = Pick<JudgeMetricEvidence, 'baseline' | 'candidate' | 'delta' | 'classification' | 'status' | 'withinTolerance' | 'message'> &
  Partial<Pick<JudgeMetricEvidence, 'interval' | 'test' | 'pValue' | 'sequential' | 'fixedHorizon'>>;

/** Builds the evidence record field by field (no spreads: this runs at every look for every metric). */
function evidence(m: Prepared, f: EvidenceFields): JudgeMetricEvidence {
  const out: JudgeMetricEvidence = {
    metric: m.cfg.name,
    direction: m.cfg.direction,
    critical: m.critical,
    kind: m.cfg.kind,
    group: m.group,
    weight: m.weight,
    blocking: m.blocking,
    minSamples: m.minSamples,
    deltaKind: m.deltaKind,
    tolerance: m.toleranceShown,
    samples: { baseline: m.nBaseline, candidate: m.nCandidate },
    baseline: f.baseline,
    candidate: f.candidate,
    delta: f.delta,
    classification: f.classification,
    status: f.status,
    withinTolerance: f.withinTolerance,
    message: f.message,
  };
  if (f.interval) out.interval = f.interval;
  if (f.test !== undefined) out.test = f.test;
  if (f.pValue !== undefined) out.pValue = f.pValue;
  if (f.sequential) out.sequential = f.sequential;
  if (f.fixedHorizon) out.fixedHorizon = f.fixedHorizon;
  if (m.latency) out.latency = m.latency;
  return out;
}

function fmtTheta(theta: number, scale: 'absolute' | 'log'): string {
  return scale === 'log' ? `log ${Math.exp(theta).toFixed(4)}` : theta.toPrecision(3);
}

function fmtDelta(x: number, kind: 'absolute' | 'relative', proportionLike: boolean): string {
  const sign = x >= 0 ? '+' : '';
  if (kind === 'relative') return `${sign}${(x * 100).toFixed(1)}%`;
  if (proportionLike) return `${sign}${(x * 100).toFixed(2)} pts`;
  return `${sign}${x.toPrecision(3)}`;
}

function describe(
  m: Prepared,
  classification: MetricClass,
  status: JudgeMetricEvidence['status'],
  delta: number,
  interval: [number, number],
  p: number,
  adjustedP: number,
  familySize: number,
  withinTolerance: boolean,
  active: boolean,
): string {
  const pl = m.cfg.kind !== 'continuous';
  const what = m.cfg.kind === 'latency' ? `${m.cfg.name} (share above p${Math.round((m.latency?.quantile ?? 0.99) * 100)})` : m.cfg.name;
  const ci = `always-valid ${fmtDelta(interval[0], m.deltaKind, pl)} to ${fmtDelta(interval[1], m.deltaKind, pl)}`;
  const sign = m.cfg.direction === 'either' ? '±' : m.cfg.direction === 'higher_is_worse' ? '+' : '−';
  const tol = `tolerance ${sign}${fmtDelta(m.toleranceShown, m.deltaKind, pl).replace('+', '')}`;
  const pv = `p = ${p.toPrecision(2)}${familySize > 1 ? `, Holm ${adjustedP.toPrecision(2)}` : ''}`;
  const n = `n = ${m.nCandidate}/${m.nBaseline}`;
  const quant =
    m.latency?.relativeQuantileChange !== undefined ? `; p${Math.round(m.latency.quantile * 100)} ${fmtDelta(m.latency.relativeQuantileChange, 'relative', false)}` : '';
  if (classification === 'high' || classification === 'low') {
    return `${what} ${classification === 'high' ? 'up' : 'down'} ${fmtDelta(delta, m.deltaKind, pl)} (${ci}; ${tol}; ${pv}; ${n})${quant}`;
  }
  if (status === 'insufficient') {
    return `${what}: ${fmtDelta(delta, m.deltaKind, pl)} so far, too few requests (${n}, each arm needs ${m.minSamples})${quant}`;
  }
  const verdictWord = withinTolerance ? 'within tolerance' : 'no significant regression';
  return `${what}: ${fmtDelta(delta, m.deltaKind, pl)}, ${verdictWord} (${ci}; ${tol}; ${pv}; ${n}${active ? '' : '; burn-in'})${quant}`;
}

function scoreOf(metrics: JudgeMetricEvidence[], config: JudgeConfig): ScoreBreakdown {
  const groups = new Map<string, JudgeMetricEvidence[]>();
  for (const m of metrics) {
    if (!m.blocking) continue;
    const list = groups.get(m.group) ?? [];
    list.push(m);
    groups.set(m.group, list);
  }
  const groupRows: ScoreBreakdown['groups'] = [];
  let num = 0;
  let den = 0;
  let bestNum = 0;
  let bestDen = 0;
  for (const [group, list] of groups) {
    const W = config.groupWeights?.[group] ?? 1;
    let passW = 0;
    let classifiedW = 0;
    let unclassifiedW = 0;
    for (const m of list) {
      if (m.classification === 'no_data') unclassifiedW += m.weight;
      else {
        classifiedW += m.weight;
        if (m.classification === 'pass') passW += m.weight;
      }
    }
    const groupScore = classifiedW > 0 ? passW / classifiedW : null;
    groupRows.push({ group, weight: W, score: groupScore === null ? null : round1(100 * groupScore), metrics: list.map((m) => m.metric) });
    if (groupScore !== null) {
      num += W * groupScore;
      den += W;
    }
    const totalW = classifiedW + unclassifiedW;
    if (totalW > 0) {
      bestNum += (W * (passW + unclassifiedW)) / totalW;
      bestDen += W;
    }
  }
  return {
    score: den > 0 ? round1((100 * num) / den) : null,
    bestCase: bestDen > 0 ? round1((100 * bestNum) / bestDen) : null,
    groups: groupRows,
    thresholds: { ...config.scoreThresholds },
  };
}

function round1(x: number): number {
  return Math.round(x * 10) / 10;
}

function decide(metrics: JudgeMetricEvidence[], score: ScoreBreakdown, config: JudgeConfig): { outcome: VerdictOutcome; reason: string } {
  const blocking = metrics.filter((m) => m.blocking);
  const breached = blocking.filter((m) => m.classification === 'high' || m.classification === 'low');
  const criticalBreaches = breached.filter((m) => m.critical);
  const { pass, marginal } = config.scoreThresholds;
  if (criticalBreaches.length > 0) {
    return { outcome: 'fail', reason: `critical regression: ${criticalBreaches.map((m) => m.message).join('; ')}` };
  }
  if (score.bestCase !== null && score.bestCase < marginal && breached.length > 0) {
    return { outcome: 'fail', reason: `score ${score.score ?? '—'} (at best ${score.bestCase}) below the marginal threshold ${marginal}: ${breached.map((m) => m.message).join('; ')}` };
  }
  if (blocking.length === 0) return { outcome: 'inconclusive', reason: 'no blocking metrics configured' };
  const missing = blocking.filter((m) => m.classification === 'no_data');
  if (missing.length > 0) {
    const parts = missing.map((m) => (m.status === 'insufficient' ? `${m.metric} (${m.samples.candidate}/${m.samples.baseline} requests, needs ${m.minSamples} each)` : `${m.metric} (no data)`));
    return { outcome: 'inconclusive', reason: `not enough evidence yet: ${parts.join(', ')}` };
  }
  const s = score.score ?? 0;
  if (s < marginal) return { outcome: 'fail', reason: `score ${s} below the marginal threshold ${marginal}: ${breached.map((m) => m.message).join('; ')}` };
  if (s < pass) return { outcome: 'inconclusive', reason: `marginal score ${s} (pass needs ${pass}): ${breached.map((m) => m.message).join('; ')}` };
  if (config.requireWithinTolerance) {
    const open = blocking.filter((m) => m.critical && m.withinTolerance !== true);
    if (open.length > 0) return { outcome: 'inconclusive', reason: `no regression found, but not yet shown within tolerance: ${open.map((m) => m.metric).join(', ')}` };
  }
  const n = Math.min(...blocking.map((m) => m.samples.candidate));
  return { outcome: 'pass', reason: `score ${s}: ${blocking.length} metrics without a regression (at least ${n} candidate requests each)` };
}

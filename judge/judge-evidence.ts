// What the statistical canary judge adds to the shared verdict model (judge/verdict.ts, which
// it does not change): every field here is optional or extra, so a `JudgeVerdict` is a
// `Verdict` and a `JudgeMetricEvidence` is a `MetricEvidence` — the workflow, CLI and Slack
// code keep working on the base types and may show the details when present.
import type { MetricEvidence, Verdict } from './verdict';

export type MetricKind = 'proportion' | 'continuous' | 'latency';

/** The always-valid sequential test that decides the metric's classification (sequential-looks.ts). */
export interface SequentialEvidence {
  method: string;
  alternative: 'two-sided' | 'greater' | 'less';
  /** Scale of θ: 'absolute' (difference), or 'log' (log ratio; delta = e^θ − 1). */
  scale: 'absolute' | 'log';
  /** θ̂ and Var(θ̂) at this look, on the test's scale. */
  estimate: number;
  variance: number;
  /** Mixing SD τ of the normal mixture (1.5 × the tolerance on the test's scale). */
  tau: number;
  /** The null hypothesis, no regression beyond the tolerance: lower ≤ θ ≤ upper (null when unbounded). */
  nullInterval: [number | null, number | null];
  /** log Λ at the tolerance bound θ̂ lies beyond, at this look (0 when θ̂ lies within). */
  logLikelihoodRatio: number;
  /** Always-valid p-value of the null (running minimum over this window's active looks). */
  pValue: number;
  /** Bonferroni-adjusted across the blocking metrics, min(1, M·p) (pValue for non-blocking metrics). */
  adjustedPValue: number;
  /** M, the number of blocking metrics (1 for a non-blocking metric). */
  familySize: number;
  alpha: number;
  /** The test's level, α/M: it rejects when pValue ≤ level, and `interval` is at 1 − level. */
  level: number;
  /** True when the test is past its burn-in and may reject. */
  active: boolean;
  rejected: boolean;
  /** Always-valid interval for θ at 1 − level that inverts the same test (running intersection). */
  interval: [number, number];
}

/** A classical (fixed-horizon) test or interval shown for context; it never decides alone. */
export interface FixedHorizonEvidence {
  test: string;
  estimate: number;
  interval?: [number, number];
  pValue?: number;
  confidence?: number;
  note?: string;
}

export interface LatencyEvidence {
  /** Quantile watched (e.g. 0.99) and the baseline threshold at it (from shadow, or pooled). */
  quantile: number;
  threshold: number;
  thresholdSource: 'shadow' | 'pooled-window';
  /** Exceedance rate a +tolerance shift of the baseline distribution would produce. */
  toleranceRate: number;
  /** Relative tolerance of the quantile (the plan's number). */
  relativeTolerance: number;
  baselineQuantile?: number;
  candidateQuantile?: number;
  /** candidateQuantile / baselineQuantile − 1. */
  relativeQuantileChange?: number;
  /**
   * A distribution metric: every quantile watched, each its own always-valid test at level / K;
   * the fields above are those of the quantile that decides (the smallest p-value).
   */
  distribution?: QuantileEvidence[];
}

/** One quantile of a distribution metric, on the exceedance scale (share above the baseline's quantile). */
export interface QuantileEvidence {
  quantile: number;
  /** The baseline's quantile measured in shadow. */
  threshold: number;
  baselineShare: number;
  candidateShare: number;
  /** candidateShare − baselineShare, and the tolerance on that scale. */
  delta: number;
  tolerance: number;
  /** Always-valid interval for the delta at 1 − level (running intersection). */
  interval: [number, number];
  /** This quantile's always-valid p-value and its level (the metric's level / K). */
  pValue: number;
  level: number;
  baselineQuantile?: number;
  candidateQuantile?: number;
  relativeQuantileChange?: number;
}

export interface JudgeMetricEvidence extends MetricEvidence {
  kind: MetricKind;
  group: string;
  weight: number;
  /** In the multiplicity family and in the score; non-blocking metrics are shown only. */
  blocking: boolean;
  /**
   * 'insufficient': data, but fewer than minSamples in an arm (classified no_data, never pass).
   * 'not_applicable': neither arm's traffic had what the metric measures; classified no_data, left
   * out of the score (`blocking` false) for this look, so it neither blocks nor passes.
   */
  status: 'ok' | 'no_data' | 'insufficient' | 'not_applicable';
  minSamples: number;
  /** True when the always-valid interval already excludes a regression of the tolerance. */
  withinTolerance: boolean | null;
  /**
   * The test that decided the classification, with its level: the always-valid one whose
   * interval and p-value are shown (fixed-horizon tests are context and never decide).
   */
  decidedBy?: string;
  sequential?: SequentialEvidence;
  fixedHorizon?: FixedHorizonEvidence[];
  latency?: LatencyEvidence;
}

export interface ScoreBreakdown {
  /** Score over classified metrics (no_data excluded), 0–100; null when nothing is classified. */
  score: number | null;
  /** Score if every unclassified blocking metric passed: the best the window can still reach. */
  bestCase: number | null;
  groups: { group: string; weight: number; score: number | null; metrics: string[] }[];
  thresholds: { pass: number; marginal: number };
}

/** The sample ratio check of one look (statistics/sample-ratio.ts). */
export interface SampleRatioEvidence {
  expectedCandidateShare: number;
  observedCandidateShare: number;
  requests: number;
  /** Always-valid p-value (running minimum over the window) and the level it is checked at (α). */
  pValue: number;
  level: number;
  mismatch: boolean;
}

export interface JudgeVerdict extends Verdict {
  metrics: JudgeMetricEvidence[];
  sampleRatio?: SampleRatioEvidence;
  scoreBreakdown: ScoreBreakdown;
}

/** One metric's running values within a window: always-valid, so kept across looks. */
export interface SequenceState {
  /** Running minimum of the always-valid p-value of "no regression beyond the tolerance". */
  p: number;
  /** Running intersection of the always-valid interval on the test's scale (absent while unbounded). */
  lower?: number;
  upper?: number;
}

/** Carried from one look to the next within a window (reset it when a new window starts). */
export interface JudgeState {
  sequences: Record<string, SequenceState>;
  looks: number;
  /**
   * Written by judges before the test was taken against the tolerance: p-values of another
   * hypothesis, so they are ignored (such a window's running values start again at its next look).
   */
  pValues?: Record<string, number>;
  /** Running minimum of the always-valid p-value of "the split matches the plan" (sample ratio). */
  srmP?: number;
}

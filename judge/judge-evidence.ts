// What the statistical canary judge adds to the shared verdict model (judge/verdict.ts, which
// it does not change): every field here is optional or extra, so a `JudgeVerdict` is a
// `Verdict` and a `JudgeMetricEvidence` is a `MetricEvidence` — the workflow, CLI and Slack
// code keep working on the base types and may show the details when present.
import type { MetricEvidence, Verdict } from './verdict';

export type MetricKind = 'proportion' | 'continuous' | 'latency';

/** The always-valid sequential test that decides the metric's classification. */
export interface SequentialEvidence {
  method: string;
  alternative: 'two-sided' | 'greater' | 'less';
  /** Scale of θ: 'absolute' (difference), or 'log' (log ratio; delta = e^θ − 1). */
  scale: 'absolute' | 'log';
  /** θ̂ and Var(θ̂) at this look, on the test's scale. */
  estimate: number;
  variance: number;
  /** Mixing SD τ of the normal mixture (the tolerance on the test's scale). */
  tau: number;
  logLikelihoodRatio: number;
  /** Always-valid p-value (running minimum over this window's looks). */
  pValue: number;
  /** Holm-adjusted across the blocking metrics (equal to pValue for non-blocking metrics). */
  adjustedPValue: number;
  /** Number of hypotheses in the Holm family. */
  familySize: number;
  alpha: number;
  /** True when the test is past its burn-in and may reject. */
  active: boolean;
  rejected: boolean;
  /** Two-sided always-valid confidence sequence for θ at level 1 − α. */
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
}

export interface JudgeMetricEvidence extends MetricEvidence {
  kind: MetricKind;
  group: string;
  weight: number;
  /** In the Holm family and in the score; non-blocking metrics are shown only. */
  blocking: boolean;
  /**
   * 'insufficient': data, but fewer than minSamples in an arm (classified no_data, never pass).
   * 'not_applicable': neither arm's traffic had what the metric measures; classified no_data, left
   * out of the Holm family and the score (`blocking` false) for this look, so it neither blocks nor passes.
   */
  status: 'ok' | 'no_data' | 'insufficient' | 'not_applicable';
  minSamples: number;
  /** True when the always-valid interval already excludes a regression of the tolerance. */
  withinTolerance: boolean | null;
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

export interface JudgeVerdict extends Verdict {
  metrics: JudgeMetricEvidence[];
  scoreBreakdown: ScoreBreakdown;
}

/** Carried from one look to the next within a window (reset it when a new window starts). */
export interface JudgeState {
  /** Running minimum of each metric's always-valid p-value. */
  pValues: Record<string, number>;
  looks: number;
}

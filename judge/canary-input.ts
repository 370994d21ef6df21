// What the statistical canary judge takes: the plan's metrics with their tolerances, and one
// window's cumulative data per metric and arm. Types only (and the τ default), so the window
// builders (traffic records, Prometheus series) and the plan code need nothing else of the judge.
import type { JudgeState, JudgeVerdict, MetricKind } from './judge-evidence';
import type { SummaryStats } from './statistics/summary';
import type { Direction } from './verdict';

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
  | { type: 'exceedance'; threshold: number; baseline: Counts; candidate: Counts }
  /**
   * A latency distribution as counts above each of the metric's `distribution` thresholds (same
   * order): `above[k]` requests of `total` were slower than threshold k.
   */
  | { type: 'quantile_exceedances'; baseline: QuantileCounts; candidate: QuantileCounts }
  /**
   * Neither arm's traffic had what the metric measures (no JSON-mode request, no streamed answer)
   * although both answered: nothing to judge in this window, as opposed to data that went missing.
   */
  | { type: 'not_applicable'; reason: string };

export interface QuantileCounts {
  above: readonly number[];
  total: number;
}

/** A latency metric's reference, measured on the baseline during shadow. */
export interface LatencyReference {
  quantile: number;
  /** The baseline's quantile (e.g. p99 in ms). */
  threshold: number;
  /** Share of baseline requests above threshold / (1 + tolerance): the exceedance rate a +tolerance shift gives. */
  toleranceRate: number;
  /**
   * The same at the body quantiles (p50, p75, p90 by default) for the whole-distribution metric,
   * at its own relative tolerance; absent from references measured before it existed.
   */
  body?: LatencyReference[];
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
  /** In the multiplicity family (α/M each) and in the score (default true). Non-blocking metrics are shown only. */
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
  /**
   * Latency distribution: one reference per quantile watched (e.g. p50, p75, p90 from shadow). The
   * metric is then one always-valid test across them (Bonferroni inside the metric), and its
   * evidence is the quantile closest to a verdict (prepare-distribution.ts).
   */
  distribution?: readonly LatencyReference[];
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
  scoreThresholds: { pass: number; marginal: number };
  groupWeights?: Record<string, number>;
  /** τ = tauMultiplier × tolerance on the test's scale, unless a metric sets `tau` (default 1.5; see sequential.ts). */
  tauMultiplier?: number;
  /** Pass also needs each critical metric's always-valid interval inside its tolerance (default false). */
  requireWithinTolerance?: boolean;
  metrics: MetricConfig[];
  /** Enabled guardrails left out because the plan gives nothing to measure them with, and why (shown in the notes). */
  unjudged?: Record<string, string>;
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
  /**
   * The window's request split and the candidate share the rollout set (canary weight; ½ in a
   * shadow soak, where both arms answer every mirrored request). Checked for a sample ratio
   * mismatch before any verdict; omitted, it is not checked.
   */
  split?: RequestSplit;
}

export interface RequestSplit {
  /** Planned candidate share of the window's requests, in (0, 1). */
  expectedCandidateShare: number;
  baseline: number;
  candidate: number;
}

export interface JudgeResult {
  verdict: JudgeVerdict;
  state: JudgeState;
}

/** Default τ / tolerance (see the mixing-variance note in statistics/sequential.ts). */
export const DEFAULT_TAU_MULTIPLIER = 1.5;

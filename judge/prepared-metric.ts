// One metric made ready for the sequential test: its plan defaults resolved, its data checked,
// its effect estimate θ̂ and variance on the test's scale, the tolerance bounds and τ on that
// scale, and the fixed-horizon tests shown beside it. The per-kind preparations
// (prepare-metric.ts, prepare-latency.ts) build it from these pieces.
import type { Counts, MetricConfig } from './canary-input';
import type { FixedHorizonEvidence, LatencyEvidence } from './judge-evidence';
import { hodgesLehmann, mannWhitneyU } from './statistics/mann-whitney';
import { proportionDifference } from './statistics/sequential';
import type { EffectStatistic, Sidedness } from './statistics/sequential';
import type { Direction } from './verdict';

export interface Resolved {
  cfg: MetricConfig;
  critical: boolean;
  blocking: boolean;
  group: string;
  weight: number;
  minSamples: number;
}

export interface Prepared extends Resolved {
  status: 'ok' | 'no_data' | 'insufficient' | 'not_applicable';
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
  /** A distribution metric's quantiles, each its own test at level / K (prepare-distribution.ts). */
  parts?: PreparedPart[];
}

/** One quantile of a distribution metric, on the exceedance scale (share above its threshold). */
export interface PreparedPart {
  quantile: number;
  threshold: number;
  stat: EffectStatistic;
  tau: number;
  upperTolerance: number;
  lowerTolerance: number;
  toleranceShown: number;
  baselineValue: number;
  candidateValue: number;
  toleranceRate: number;
  baselineQuantile?: number;
  candidateQuantile?: number;
}

type PreparedFields = Omit<Prepared, keyof Resolved>;

/** Builds the record field by field (object spreads here cost more than the statistics). */
export function prepared(base: Resolved, f: PreparedFields): Prepared {
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
    parts: f.parts,
  };
}

export function alternativeOf(direction: Direction): Sidedness {
  return direction === 'higher_is_worse' ? 'greater' : direction === 'lower_is_worse' ? 'less' : 'two-sided';
}

export function toDisplay(theta: number, scale: 'absolute' | 'log'): number {
  return scale === 'log' ? Math.expm1(theta) : theta;
}

export function noData(
  base: Resolved,
  scale: 'absolute' | 'log',
  deltaKind: 'absolute' | 'relative',
  reason: string,
  n: { b: number; c: number } = { b: 0, c: 0 },
): Prepared {
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
export function toleranceGeometry(
  direction: Direction,
  tolerance: number,
  scale: 'absolute' | 'log',
): { upper: number; lower: number; tau: number } {
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
export function proportionFields(
  b: Counts,
  c: Counts,
  direction: Direction,
  tolerance: number,
  tau: number | undefined,
  tauMultiplier: number,
) {
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

export function validCounts(x: Counts): boolean {
  return Number.isFinite(x.events) && Number.isFinite(x.total) && x.total >= 0 && x.events >= 0 && x.events <= x.total;
}

export function allFinite(xs: readonly number[]): boolean {
  for (const x of xs) if (!Number.isFinite(x)) return false;
  return true;
}

export function allPositive(xs: readonly number[]): boolean {
  for (const x of xs) if (!(x > 0)) return false;
  return true;
}

/** Mann–Whitney and Hodges–Lehmann (on logs when relative and positive) for the evidence. */
export function rankEvidence(
  candidate: readonly number[],
  baseline: readonly number[],
  relative: boolean,
  direction: Direction,
  alpha: number,
): FixedHorizonEvidence[] {
  const out: FixedHorizonEvidence[] = [];
  const mw = mannWhitneyU(candidate, baseline, { alternative: alternativeOf(direction) });
  out.push({
    test: `Mann–Whitney U (${mw.method}, tie-corrected, ${alternativeOf(direction)})`,
    estimate: mw.probabilityOfSuperiority,
    pValue: mw.pValue,
    note: `U = ${mw.u}; estimate is P(candidate > baseline)`,
  });
  const useLog = relative && allPositive(candidate) && allPositive(baseline);
  const c = useLog ? candidate.map(Math.log) : candidate;
  const b = useLog ? baseline.map(Math.log) : baseline;
  const hl = hodgesLehmann(c, b, 1 - alpha);
  if (useLog) {
    out.push({
      test: 'Hodges–Lehmann shift of log values (relative)',
      estimate: Math.expm1(hl.estimate),
      interval: [Math.expm1(hl.lower), Math.expm1(hl.upper)],
      confidence: hl.confidence,
    });
  } else {
    out.push({
      test: 'Hodges–Lehmann shift',
      estimate: hl.estimate,
      interval: [hl.lower, hl.upper],
      confidence: hl.confidence,
    });
  }
  return out;
}

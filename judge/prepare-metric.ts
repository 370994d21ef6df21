// Data preparation per metric kind: proportions (error rate, refusal rate, schema adherence) as
// θ = p_c − p_b in absolute points; continuous metrics (tokens, cost, length, judge scores) with a
// relative tolerance as θ = log(x̄_c / x̄_b) (scale 'raw', delta method) or θ = mean(log x_c) −
// mean(log x_b) (scale 'log', geometric means), with an absolute tolerance as θ = x̄_c − x̄_b;
// latency in prepare-latency.ts, a latency distribution in prepare-distribution.ts. Missing,
// malformed or too little data gives a 'no_data' record; traffic with nothing to measure in
// either arm a 'not_applicable' one.
import type { JudgeConfig, MetricConfig, MetricData } from './canary-input';
import type { FixedHorizonEvidence } from './judge-evidence';
import { prepareDistribution } from './prepare-distribution';
import { prepareLatency } from './prepare-latency';
import {
  allFinite,
  allPositive,
  alternativeOf,
  noData,
  prepared,
  proportionFields,
  rankEvidence,
  toleranceGeometry,
  validCounts,
  type Prepared,
  type Resolved,
} from './prepared-metric';
import { newcombeInterval, twoProportionZTest } from './statistics/proportions';
import { logRatioOfMeans, meanDifference } from './statistics/sequential';
import type { EffectStatistic } from './statistics/sequential';
import { summarize, summarizeLog } from './statistics/summary';
import type { SummaryStats } from './statistics/summary';
import { welchTTest } from './statistics/welch';

/** One metric's plan defaults resolved and its window data prepared for the sequential test. */
export function prepareMetric(
  cfg: MetricConfig,
  config: JudgeConfig,
  data: MetricData | undefined,
  alpha: number,
  tauMultiplier: number,
): Prepared {
  const base: Resolved = {
    cfg,
    critical: cfg.critical ?? false,
    blocking: cfg.blocking ?? true,
    group: cfg.group ?? 'default',
    weight: cfg.weight ?? 1,
    minSamples: cfg.minSamples ?? config.minSamples,
  };
  if (!(cfg.tolerance > 0) && !(cfg.tau !== undefined && cfg.tau > 0)) {
    return noData(
      base,
      'absolute',
      cfg.kind === 'proportion' || cfg.toleranceKind === 'absolute' ? 'absolute' : 'relative',
      'tolerance must be > 0 (or set tau) for the sequential test to detect anything',
    );
  }
  if (data?.type === 'not_applicable') {
    // Nothing to judge in this window: out of the score, so it cannot block or pass.
    const skipped = noData(
      { ...base, blocking: false },
      cfg.kind === 'continuous' && cfg.toleranceKind !== 'absolute' ? 'log' : 'absolute',
      cfg.kind === 'continuous' && cfg.toleranceKind !== 'absolute' ? 'relative' : 'absolute',
      data.reason,
    );
    skipped.status = 'not_applicable';
    return skipped;
  }
  if (cfg.kind === 'proportion') return prepareProportion(base, data, alpha, tauMultiplier);
  if (cfg.kind === 'continuous') return prepareContinuous(base, data, alpha, tauMultiplier);
  if (cfg.distribution) return prepareDistribution(base, data, alpha, tauMultiplier);
  return prepareLatency(base, data, alpha, tauMultiplier);
}

function prepareProportion(
  base: Resolved,
  data: MetricData | undefined,
  alpha: number,
  tauMultiplier: number,
): Prepared {
  const { cfg } = base;
  if (!data) return noData(base, 'absolute', 'absolute', 'no data');
  if (data.type !== 'counts') return noData(base, 'absolute', 'absolute', `expects counts, got ${data.type}`);
  const b = data.baseline;
  const c = data.candidate;
  if (!validCounts(b) || !validCounts(c)) return noData(base, 'absolute', 'absolute', 'invalid counts');
  if (b.total === 0 || c.total === 0)
    return noData(base, 'absolute', 'absolute', 'no requests in an arm', { b: b.total, c: c.total });
  const fixed: FixedHorizonEvidence[] = [];
  const ci = newcombeInterval(c.events, c.total, b.events, b.total, 1 - alpha);
  const z = twoProportionZTest(c.events, c.total, b.events, b.total, alternativeOf(cfg.direction));
  fixed.push({
    test: 'Newcombe hybrid score interval (p_c − p_b)',
    estimate: ci.estimate,
    interval: [ci.lower, ci.upper],
    confidence: 1 - alpha,
  });
  fixed.push({
    test: `two-proportion z test (pooled, ${alternativeOf(cfg.direction)})`,
    estimate: z.estimate,
    pValue: z.pValue,
  });
  return prepared(base, { ...proportionFields(b, c, cfg.direction, cfg.tolerance, cfg.tau, tauMultiplier), fixed });
}

function prepareContinuous(
  base: Resolved,
  data: MetricData | undefined,
  alpha: number,
  tauMultiplier: number,
): Prepared {
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
    if (data.baseline.length === 0 || data.candidate.length === 0)
      return noData(base, scale, deltaKind, 'no samples in an arm', {
        b: data.baseline.length,
        c: data.candidate.length,
      });
    if (!allFinite(data.baseline) || !allFinite(data.candidate))
      return noData(base, scale, deltaKind, 'non-finite samples');
    if (scaleWanted === 'log' && !(allPositive(data.baseline) && allPositive(data.candidate)))
      return noData(base, scale, deltaKind, 'log scale needs positive samples');
    sb = scaleWanted === 'log' ? summarizeLog(data.baseline) : summarize(data.baseline);
    sc = scaleWanted === 'log' ? summarizeLog(data.candidate) : summarize(data.candidate);
    fixed.push(...rankEvidence(data.candidate, data.baseline, !absolute, cfg.direction, alpha));
  } else if (data.type === 'summary') {
    if (data.scale !== scaleWanted)
      return noData(
        base,
        scale,
        deltaKind,
        `summary on the ${data.scale} scale but the metric tests the ${scaleWanted} scale`,
      );
    sb = data.baseline;
    sc = data.candidate;
    if (!(sb.n > 0) || !(sc.n > 0))
      return noData(base, scale, deltaKind, 'no samples in an arm', { b: sb.n || 0, c: sc.n || 0 });
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
    if (!(sb.mean > 0) || !(sc.mean > 0))
      return noData(base, scale, deltaKind, 'relative tolerance needs positive means', n);
    stat = logRatioOfMeans(sc, sb);
    baselineValue = sb.mean;
    candidateValue = sc.mean;
  }
  // Two-sided interval (finite, JSON-safe), p-value in the metric's direction (t is symmetric).
  const welch = welchTTest(sc, sb, { confidence: 1 - alpha });
  const alt = alternativeOf(cfg.direction);
  const welchP =
    alt === 'two-sided' ? welch.pValue : (alt === 'greater') === welch.t > 0 ? welch.pValue / 2 : 1 - welch.pValue / 2;
  const welchScale = scaleWanted === 'log' ? 'log values' : 'raw values';
  fixed.push({
    test: `Welch t test (${welchScale}, ${alt}, df ${welch.df.toFixed(1)})`,
    estimate: welch.estimate,
    interval: [welch.lower, welch.upper],
    pValue: welchP,
    confidence: 1 - alpha,
  });
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

// The whole latency distribution, not only its tail: one metric that watches several quantiles
// (p50, p75, p90 by default) of latency or time to first token, so a candidate slower in the body
// of its distribution is caught even when its p99 is unchanged.
//
// Each quantile q is judged as the p99 is (prepare-latency.ts): the share of requests above the
// baseline's q-quantile t_q, measured in shadow, candidate minus baseline. That share is the
// empirical CDF at a fixed point, a Bernoulli mean, which is what confidence sequences for
// quantiles rest on (Howard & Ramdas 2022): a candidate whose q-quantile moved beyond t_q moves
// its share above t_q, and a +tol shift of the q-quantile maps to the tolerance
// P_baseline(X > t_q/(1 + tol)) − (1 − q). The K quantiles are K always-valid tests of one metric,
// each at the metric's level / K (Bonferroni inside the metric, so the metric still spends α/M of
// the family's α however many quantiles it watches); the metric's p-value is min_k K·p_k, and the
// quantile that attains it decides: its interval (at 1 − level/K), its tolerance and its p-value
// are the evidence, so class, interval and p-value still come from one test at one level
// (sequential-looks.ts).
import type { MetricData, QuantileCounts } from './canary-input';
import type { FixedHorizonEvidence, QuantileEvidence } from './judge-evidence';
import {
  allFinite,
  noData,
  prepared,
  proportionFields,
  type Prepared,
  type PreparedPart,
  type Resolved,
} from './prepared-metric';
import { countAbove } from './prepare-latency';
import type { SequentialTest } from './sequential-looks';
import { newcombeInterval } from './statistics/proportions';
import { quantileSorted } from 'simple-statistics';

export function prepareDistribution(
  base: Resolved,
  data: MetricData | undefined,
  alpha: number,
  tauMultiplier: number,
): Prepared {
  const { cfg } = base;
  const references = cfg.distribution ?? [];
  if (references.length === 0) return noData(base, 'absolute', 'absolute', 'no quantile references');
  if (!data) return noData(base, 'absolute', 'absolute', 'no data');
  let b: QuantileCounts;
  let c: QuantileCounts;
  const observed: { b?: number; c?: number }[] = references.map(() => ({}));
  if (data.type === 'quantile_exceedances') {
    ({ baseline: b, candidate: c } = data);
    const valid = (x: QuantileCounts) =>
      x.above.length === references.length &&
      Number.isFinite(x.total) &&
      x.above.every((n) => Number.isFinite(n) && n >= 0 && n <= x.total);
    if (!valid(b) || !valid(c)) return noData(base, 'absolute', 'absolute', 'invalid counts');
  } else if (data.type === 'samples') {
    if (!allFinite(data.baseline) || !allFinite(data.candidate))
      return noData(base, 'absolute', 'absolute', 'non-finite samples');
    const sb = [...data.baseline].sort((x, y) => x - y);
    const sc = [...data.candidate].sort((x, y) => x - y);
    b = { above: references.map((r) => countAbove(sb, r.threshold)), total: sb.length };
    c = { above: references.map((r) => countAbove(sc, r.threshold)), total: sc.length };
    references.forEach((r, k) => {
      if (sb.length > 0) observed[k]!.b = quantileSorted(sb, r.quantile);
      if (sc.length > 0) observed[k]!.c = quantileSorted(sc, r.quantile);
    });
  } else {
    return noData(base, 'absolute', 'absolute', `expects samples or quantile exceedances, got ${data.type}`);
  }
  if (b.total === 0 || c.total === 0)
    return noData(base, 'absolute', 'absolute', 'no requests in an arm', { b: b.total, c: c.total });
  const parts: PreparedPart[] = [];
  const fixed: FixedHorizonEvidence[] = [];
  for (const [k, r] of references.entries()) {
    const tolAbs = r.toleranceRate - (1 - r.quantile);
    if (!(tolAbs > 0))
      return noData(
        base,
        'absolute',
        'absolute',
        `no room above the p${pct(r.quantile)} (tolerance rate ${r.toleranceRate})`,
      );
    const bk = { events: b.above[k]!, total: b.total };
    const ck = { events: c.above[k]!, total: c.total };
    const f = proportionFields(bk, ck, cfg.direction, tolAbs, cfg.tau, tauMultiplier);
    parts.push({
      quantile: r.quantile,
      threshold: r.threshold,
      stat: f.stat,
      tau: f.tau,
      upperTolerance: f.upperTolerance,
      lowerTolerance: f.lowerTolerance,
      toleranceShown: tolAbs,
      baselineValue: f.baselineValue,
      candidateValue: f.candidateValue,
      toleranceRate: r.toleranceRate,
      baselineQuantile: observed[k]!.b,
      candidateQuantile: observed[k]!.c,
    });
    const ci = newcombeInterval(ck.events, ck.total, bk.events, bk.total, 1 - alpha);
    fixed.push({
      test: `Newcombe interval of the share above the baseline's p${pct(r.quantile)} (${r.threshold.toPrecision(4)})`,
      estimate: ci.estimate,
      interval: [ci.lower, ci.upper],
      confidence: 1 - alpha,
    });
  }
  const first = references[0]!;
  const shown = focusFields(parts[0]!);
  return prepared(base, {
    ...proportionFields(
      { events: b.above[0]!, total: b.total },
      { events: c.above[0]!, total: c.total },
      cfg.direction,
      shown.toleranceShown,
      cfg.tau,
      tauMultiplier,
    ),
    fixed,
    parts,
    latency: {
      quantile: first.quantile,
      threshold: first.threshold,
      thresholdSource: 'shadow',
      toleranceRate: first.toleranceRate,
      relativeTolerance: cfg.tolerance,
    },
  });
}

function pct(q: number): string {
  return String(Math.round(q * 1000) / 10);
}

function focusFields(part: PreparedPart) {
  return {
    stat: part.stat,
    tau: part.tau,
    upperTolerance: part.upperTolerance,
    lowerTolerance: part.lowerTolerance,
    toleranceShown: part.toleranceShown,
    baselineValue: part.baselineValue,
    candidateValue: part.candidateValue,
  };
}

/**
 * The metric as its deciding quantile shows it: that quantile's estimate, tolerance and shares,
 * and every quantile's figures in the latency evidence (`distribution`).
 */
export function focusOn(m: Prepared, focus: number, partTests: readonly SequentialTest[]): Prepared {
  const parts = m.parts!;
  const part = parts[focus]!;
  const out: Prepared = { ...m, ...focusFields(part) };
  const relative = (p: PreparedPart) =>
    p.baselineQuantile !== undefined && p.candidateQuantile !== undefined && p.baselineQuantile > 0
      ? p.candidateQuantile / p.baselineQuantile - 1
      : undefined;
  const distribution: QuantileEvidence[] = parts.map((p, k) => {
    const t = partTests[k]!;
    const row: QuantileEvidence = {
      quantile: p.quantile,
      threshold: p.threshold,
      baselineShare: p.baselineValue,
      candidateShare: p.candidateValue,
      delta: p.stat.estimate,
      tolerance: p.toleranceShown,
      interval: [t.cs.lower, t.cs.upper],
      pValue: t.p,
      level: t.level,
    };
    const change = relative(p);
    if (p.baselineQuantile !== undefined) row.baselineQuantile = p.baselineQuantile;
    if (p.candidateQuantile !== undefined) row.candidateQuantile = p.candidateQuantile;
    if (change !== undefined) row.relativeQuantileChange = change;
    return row;
  });
  out.latency = {
    quantile: part.quantile,
    threshold: part.threshold,
    thresholdSource: 'shadow',
    toleranceRate: part.toleranceRate,
    relativeTolerance: m.cfg.tolerance,
    distribution,
  };
  if (part.baselineQuantile !== undefined) out.latency.baselineQuantile = part.baselineQuantile;
  if (part.candidateQuantile !== undefined) out.latency.candidateQuantile = part.candidateQuantile;
  const change = relative(part);
  if (change !== undefined) out.latency.relativeQuantileChange = change;
  return out;
}

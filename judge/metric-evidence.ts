// A metric's evidence record and its one-line text, from its preparation and its sequential
// test at this look. A metric is High/Low when, past burn-in, its always-valid interval lies
// wholly beyond the tolerance, i.e. its p-value of "no regression beyond the tolerance" is ≤ its
// level α/M: one test, one level, so the interval, the p-value and the class always agree, and
// the record names that test (`decidedBy`). A shift proven but within the tolerance is not a
// regression (the tolerance is the plan's own effect-size floor). Otherwise: 'no_data' without
// data or below minSamples (never a pass), else 'pass'.
// A metric with nothing to measure in either arm is shown as not applicable, and is not judged.
// Improvements never count against a directional metric.
import { deltaText, type DeltaFormat } from '../lib/delta-format';
import type { JudgeMetricEvidence, SequentialEvidence } from './judge-evidence';
import { toDisplay, type Prepared } from './prepared-metric';
import type { SequentialTest } from './sequential-looks';
import type { MetricClass } from './verdict';

export function buildEvidence(
  m: Prepared,
  s: SequentialTest | null,
  adjustedP: number,
  familySize: number,
  alpha: number,
): JudgeMetricEvidence {
  if (m.status === 'not_applicable') {
    return evidence(m, {
      baseline: null,
      candidate: null,
      delta: null,
      classification: 'no_data',
      status: 'not_applicable',
      withinTolerance: null,
      message: `${m.cfg.name}: not applicable in this window (${m.reason ?? 'nothing to measure'}); not judged`,
    });
  }
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
  // One test decides: High/Low exactly when its always-valid interval lies wholly beyond the
  // tolerance, which is when its p-value of "no regression beyond the tolerance" is ≤ its level.
  const rejected = s.active && s.p <= s.level;
  let classification: MetricClass = 'pass';
  if (rejected && s.cs.lower > m.upperTolerance) classification = 'high';
  else if (rejected && s.cs.upper < m.lowerTolerance) classification = 'low';
  const enough = m.nBaseline >= m.minSamples && m.nCandidate >= m.minSamples;
  let status: JudgeMetricEvidence['status'] = 'ok';
  if (classification === 'pass' && !enough) {
    classification = 'no_data';
    status = 'insufficient';
  }
  const withinTolerance = s.cs.upper < m.upperTolerance && s.cs.lower > m.lowerTolerance;
  const interval: [number, number] = [toDisplay(s.cs.lower, m.scale), toDisplay(s.cs.upper, m.scale)];
  const delta = toDisplay(theta, m.scale);
  const decidedBy = decidingTest(m, s, familySize, alpha);
  const sequential: SequentialEvidence = {
    method: `mSPRT, two-sided normal mixtures τ×{1,4,16} around τ = ${fmtTheta(m.tau, m.scale)}, against the tolerance`,
    alternative: m.alternative,
    scale: m.scale,
    estimate: theta,
    variance: m.stat.variance,
    tau: m.tau,
    nullInterval: [finiteOrNull(m.lowerTolerance), finiteOrNull(m.upperTolerance)],
    logLikelihoodRatio: s.logLr,
    pValue: s.p,
    adjustedPValue: adjustedP,
    familySize,
    alpha,
    level: s.level,
    active: s.active,
    rejected,
    interval: [s.cs.lower, s.cs.upper],
  };
  const message = describe(m, s, classification, status, delta, interval, withinTolerance, decidedBy);
  return evidence(m, {
    baseline: m.baselineValue,
    candidate: m.candidateValue,
    delta,
    interval,
    test: `always-valid mSPRT against the tolerance${familySize > 1 ? `, Bonferroni over ${familySize} blocking metrics` : ''}`,
    pValue: s.p,
    classification,
    status,
    withinTolerance,
    decidedBy,
    sequential,
    fixedHorizon: m.fixed,
    message,
  });
}

function finiteOrNull(x: number): number | null {
  return Number.isFinite(x) ? x : null;
}

/** The deciding test and its level, as the evidence names it: "always-valid mSPRT at α/4 = 0.0125". */
function decidingTest(m: Prepared, s: SequentialTest, familySize: number, alpha: number): string {
  const level = familySize > 1 ? `α/${familySize} = ${s.level.toPrecision(3)}` : `α = ${alpha}`;
  const test = `always-valid mSPRT (${m.alternative === 'two-sided' ? 'either side' : 'one side'} of the tolerance) at ${level}`;
  if (!m.parts || !m.latency) return test;
  const K = m.parts.length;
  return `${test}, Bonferroni over ${K} quantiles (each at level/${K}; p${quantileLabel(m.latency.quantile)} decides, p = ${K}·its p)`;
}

function quantileLabel(q: number): string {
  return String(Math.round(q * 1000) / 10);
}

type EvidenceFields = Pick<
  JudgeMetricEvidence,
  'baseline' | 'candidate' | 'delta' | 'classification' | 'status' | 'withinTolerance' | 'message'
> &
  Partial<Pick<JudgeMetricEvidence, 'interval' | 'test' | 'pValue' | 'decidedBy' | 'sequential' | 'fixedHorizon'>>;

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
  if (f.decidedBy !== undefined) out.decidedBy = f.decidedBy;
  if (f.sequential) out.sequential = f.sequential;
  if (f.fixedHorizon) out.fixedHorizon = f.fixedHorizon;
  if (m.latency) out.latency = m.latency;
  return out;
}

function fmtTheta(theta: number, scale: 'absolute' | 'log'): string {
  return scale === 'log' ? `log ${Math.exp(theta).toFixed(4)}` : theta.toPrecision(3);
}

const RELATIVE: DeltaFormat = { unit: 'percent', digits: 1, sign: 'plus' };
const POINTS: DeltaFormat = { unit: 'points', digits: 2, sign: 'plus' };
const PLAIN: DeltaFormat = { unit: 'plain', digits: 3, significant: true, sign: 'plus' };

function fmtDelta(x: number, kind: 'absolute' | 'relative', proportionLike: boolean): string {
  return deltaText(x, kind === 'relative' ? RELATIVE : proportionLike ? POINTS : PLAIN);
}

/**
 * The running interval as a reader takes it. A difference of two shares lies within ±100 pts, so the
 * normal radius is cut there. The running intersection of the looks' intervals is empty when the
 * metric itself moved within the window (a candidate that broke mid-canary): that is said, never
 * printed as an upside-down range.
 */
function intervalText(
  interval: [number, number],
  confidence: string,
  kind: 'absolute' | 'relative',
  proportionLike: boolean,
): string {
  const [lower, upper] =
    kind === 'absolute' && proportionLike ? interval.map((x) => Math.max(-1, Math.min(1, x))) : interval;
  if (lower! > upper!)
    return `always-valid ${confidence} intervals of this window's looks do not overlap: the metric moved within the window`;
  return `always-valid ${confidence} ${fmtDelta(lower!, kind, proportionLike)} to ${fmtDelta(upper!, kind, proportionLike)}`;
}

function describe(
  m: Prepared,
  s: SequentialTest,
  classification: MetricClass,
  status: JudgeMetricEvidence['status'],
  delta: number,
  interval: [number, number],
  withinTolerance: boolean,
  decidedBy: string,
): string {
  const pl = m.cfg.kind !== 'continuous';
  const what =
    m.cfg.kind === 'latency'
      ? `${m.cfg.name} (share above ${m.parts ? "the baseline's " : ''}p${quantileLabel(m.latency?.quantile ?? 0.99)})`
      : m.cfg.name;
  const confidence = `${+(100 * (1 - s.level)).toPrecision(4)} %`;
  const ci = intervalText(interval, confidence, m.deltaKind, pl);
  const sign = m.cfg.direction === 'either' ? '±' : m.cfg.direction === 'higher_is_worse' ? '+' : '−';
  const tol = `tolerance ${sign}${fmtDelta(m.toleranceShown, m.deltaKind, pl).replace('+', '')}`;
  const pv = `p = ${s.p.toPrecision(2)} against the tolerance`;
  const n = `n = ${m.nCandidate}/${m.nBaseline}`;
  const quant =
    m.latency?.relativeQuantileChange !== undefined
      ? `; p${quantileLabel(m.latency.quantile)} ${fmtDelta(m.latency.relativeQuantileChange, 'relative', false)}`
      : '';
  if (classification === 'high' || classification === 'low') {
    return `${what} ${classification === 'high' ? 'up' : 'down'} ${fmtDelta(delta, m.deltaKind, pl)}, beyond the tolerance (${ci}; ${tol}; ${pv}; ${n}; decided by ${decidedBy})${quant}`;
  }
  if (status === 'insufficient') {
    return `${what}: ${fmtDelta(delta, m.deltaKind, pl)} so far, too few requests (${n}, each arm needs ${m.minSamples}; ${ci}; ${pv}; decided by ${decidedBy})${quant}`;
  }
  const verdictWord = withinTolerance ? 'within tolerance' : 'no regression beyond the tolerance shown';
  return `${what}: ${fmtDelta(delta, m.deltaKind, pl)}, ${verdictWord} (${ci}; ${tol}; ${pv}; ${n}${s.active ? '' : '; burn-in'}; decided by ${decidedBy})${quant}`;
}

// One verdict model for the behavioral gates (golden eval and shadow comparison): each metric is
// a paired comparison of candidate and baseline with a bootstrap interval, classified as
//
//   regression   the interval excludes 0 on the harmful side and the estimate is beyond the
//                tolerance (for direction "either", either side);
//   improvement  the interval excludes 0 on the beneficial side and the estimate is beyond the
//                tolerance;
//   none         no detectable change (anything else);
//   no_data      nothing to compare (not applicable), too few pairs (insufficient), or too many
//                items the judge/embeddings left unscored (incomplete) — never a pass. A metric
//                that is incomplete but already shows a regression on what was scored reports it.
//
// Intervals are at 1 − α/m (Bonferroni over the m metrics judged together), so the chance of any
// false alarm across the whole table stays at most α.
import type { Direction, MetricEvidence, Verdict } from '../judge/verdict';
import { pairedBootstrap, seedOf, type PairedStatistic } from './paired-bootstrap';
import { deltaText } from '../lib/delta-format';

export type MetricUnit = 'rate' | 'score' | 'tokens' | 'ms' | 'usd' | 'similarity';
export type Change = 'regression' | 'improvement' | 'none' | 'no_data';
export type MetricStatus = 'ok' | 'not_applicable' | 'insufficient' | 'incomplete';

export interface MetricSpec {
  metric: string;
  /** Shown to people: what the metric measures. */
  label: string;
  direction: Direction;
  statistic: PairedStatistic;
  tolerance: number;
  /** Golden eval: a regression fails the gate. Shadow: a breach rolls back on its own. */
  blocking: boolean;
  unit: MetricUnit;
}

export interface MetricSamples {
  baseline: number[];
  candidate: number[];
  /** Items or pairs the metric should have scored. */
  expected: number;
  /** Of those, how many got no score (judge or embeddings failed), with the reasons counted. */
  noScore: number;
  noScoreReasons?: Record<string, number>;
  /** Extra facts for the message (e.g. the length-ratio distribution). */
  note?: string;
}

export interface BehavioralMetricEvidence extends MetricEvidence {
  label: string;
  change: Change;
  blocking: boolean;
  status: MetricStatus;
  unit: MetricUnit;
  expected: number;
  noScore: number;
  noScoreReasons?: Record<string, number>;
  confidence: number;
  /** What changed, in one sentence, where the delta alone does not say (the phrasing check's phrase). */
  summary?: string;
  /** Which test decided, where a gate runs more than one kind (the canary's behavioral check). */
  decidedBy?: string;
}

/** A behavioral gate's verdict (golden eval or shadow comparison): its `report` names the saved report. */
export type BehavioralVerdict = Verdict;

export interface JudgementOptions {
  confidence: number;
  minPairs: number;
  maxNoScoreShare: number;
  /** Seeds the resampling together with the metric name, so a verdict is reproducible. */
  seedLabel: string;
  resamples?: number;
}

export function judgeMetric(
  spec: MetricSpec,
  samples: MetricSamples,
  options: JudgementOptions,
): BehavioralMetricEvidence {
  const n = samples.baseline.length;
  const estimate = pairedBootstrap(samples.baseline, samples.candidate, {
    statistic: spec.statistic,
    confidence: options.confidence,
    resamples: options.resamples,
    seed: seedOf(`${options.seedLabel}|${spec.metric}`),
  });
  const status: MetricStatus =
    samples.expected === 0 && n === 0
      ? 'not_applicable'
      : samples.expected > 0 && samples.noScore / samples.expected > options.maxNoScoreShare
        ? 'incomplete'
        : n < options.minPairs
          ? 'insufficient'
          : 'ok';
  const delta = estimate.estimate;
  const interval = estimate.interval;
  let change: Change = 'no_data';
  if ((status === 'ok' || status === 'incomplete') && n >= options.minPairs) {
    change = 'none';
    if (delta !== null && interval !== null) {
      const excludesZero = interval[0] > 0 || interval[1] < 0;
      const harmful = spec.direction === 'either' || (spec.direction === 'higher_is_worse' ? delta > 0 : delta < 0);
      if (excludesZero && Math.abs(delta) > spec.tolerance) change = harmful ? 'regression' : 'improvement';
    }
    // Incomplete evidence can still show harm; it can never show "no change".
    if (status === 'incomplete' && change !== 'regression') change = 'no_data';
  }
  const classification =
    change === 'regression' || change === 'improvement'
      ? delta! > 0
        ? 'high'
        : 'low'
      : change === 'none'
        ? 'pass'
        : 'no_data';
  const evidence: BehavioralMetricEvidence = {
    metric: spec.metric,
    label: spec.label,
    direction: spec.direction,
    critical: spec.blocking,
    blocking: spec.blocking,
    baseline: n > 0 ? estimate.baselineMean : null,
    candidate: n > 0 ? estimate.candidateMean : null,
    delta,
    deltaKind: spec.statistic === 'ratio' ? 'relative' : 'absolute',
    tolerance: spec.tolerance,
    ...(interval ? { interval } : {}),
    test: `paired bootstrap (${estimate.resamples} resamples, percentile ${(options.confidence * 100).toFixed(1)}% CI)`,
    ...(estimate.pValue !== null ? { pValue: estimate.pValue } : {}),
    samples: { baseline: n, candidate: n },
    classification,
    change,
    status,
    unit: spec.unit,
    expected: samples.expected,
    noScore: samples.noScore,
    ...(samples.noScoreReasons && Object.keys(samples.noScoreReasons).length > 0
      ? { noScoreReasons: samples.noScoreReasons }
      : {}),
    confidence: options.confidence,
    message: '',
  };
  evidence.message = describeMetric(evidence, samples.note);
  return evidence;
}

export function formatValue(value: number | null, unit: MetricUnit): string {
  if (value === null || !Number.isFinite(value)) return '—';
  switch (unit) {
    case 'rate':
      return `${(value * 100).toFixed(1)}%`;
    case 'score':
    case 'similarity':
      return value.toFixed(2);
    case 'tokens':
      return `${value.toFixed(1)} tok`;
    case 'ms':
      return `${value.toFixed(0)} ms`;
    case 'usd':
      return `$${value.toPrecision(3)}`;
  }
}

export function formatDelta(
  value: number | null,
  evidence: Pick<BehavioralMetricEvidence, 'deltaKind' | 'unit'>,
): string {
  if (value === null || !Number.isFinite(value)) return '—';
  const unit = evidence.deltaKind === 'relative' ? 'percent' : evidence.unit === 'rate' ? 'points' : 'plain';
  return deltaText(value, { unit, digits: unit === 'plain' ? 2 : 1, sign: 'typographic' });
}

function describeMetric(evidence: BehavioralMetricEvidence, note?: string): string {
  const { metric, unit } = evidence;
  if (evidence.status === 'not_applicable') return `${metric}: not applicable (no item to score)`;
  const counts = `n=${evidence.samples.baseline}${evidence.noScore > 0 ? `, ${evidence.noScore}/${evidence.expected} no score${reasons(evidence.noScoreReasons)}` : ''}`;
  const values =
    evidence.baseline === null
      ? 'no paired samples'
      : `${formatValue(evidence.candidate, unit)} vs baseline ${formatValue(evidence.baseline, unit)}`;
  const interval = evidence.interval
    ? ` (${(evidence.confidence * 100).toFixed(1)}% CI ${formatDelta(evidence.interval[0], evidence)} … ${formatDelta(evidence.interval[1], evidence)})`
    : '';
  const delta = evidence.delta === null ? '' : `, Δ ${formatDelta(evidence.delta, evidence)}${interval}`;
  const tolerance = formatDelta(evidence.tolerance, evidence).replace(/^\+/, '±');
  const verdict =
    evidence.status === 'insufficient'
      ? `too few pairs to judge (${evidence.samples.baseline})`
      : evidence.change === 'regression'
        ? `regression beyond tolerance ${tolerance}`
        : evidence.change === 'improvement'
          ? `improvement beyond tolerance ${tolerance}`
          : evidence.change === 'none'
            ? 'no detectable change'
            : 'too many items without a score to judge';
  return `${metric}: ${values}${delta}; ${verdict} [${counts}]${note ? `; ${note}` : ''}`;
}

function reasons(counts?: Record<string, number>): string {
  if (!counts) return '';
  const entries = Object.entries(counts).sort((a, b) => b[1] - a[1]);
  return entries.length > 0 ? ` (${entries.map(([reason, count]) => `${count}× ${reason}`).join('; ')})` : '';
}

/** Bonferroni: each of m intervals at 1 − α/m (the arithmetic lives with Holm's in lib/multiplicity.ts). */
export { bonferroniConfidence as familyConfidence } from '../lib/multiplicity';

// The phrasing check as one row of a behavioral gate's metric table: the answers both sides gave
// (golden items, shadow pairs) go through phrasing-shift.ts at the metric's share of α, and an
// added phrase is a regression, decided by the gate's policy like any other metric.
import type { BehavioralMetricEvidence, MetricSpec } from './metric-judgement';
import { phrasingShift, type PhraseFinding, type PhrasingShift } from './phrasing-shift';

export const PHRASING_METRIC = 'phrasing';

/** Golden eval and shadow comparison: tolerance on the rise in the share of answers with a phrase. */
export const DEFAULT_PHRASING_TOLERANCE = 0.1;

/** Characters of each golden answer kept for the check (the whole answer, or its start and end). */
export const PHRASING_TEXT_CHARS = 1_200;
const TAIL_CHARS = 300;

/** What a golden outcome keeps of its answer: openings and closings stay exact. */
export function phrasingText(answer: string): string {
  if (answer.length <= PHRASING_TEXT_CHARS) return answer;
  return `${answer.slice(0, PHRASING_TEXT_CHARS - TAIL_CHARS)}\n…\n${answer.slice(-TAIL_CHARS)}`;
}

export interface PhrasingSamples {
  baseline: string[];
  candidate: string[];
  /** Inputs both sides answered, and of those how many have no text to compare (with why). */
  expected: number;
  noScore: number;
  noScoreReasons?: Record<string, number>;
}

export interface PhrasingJudgementOptions {
  confidence: number;
  minPairs: number;
  maxNoScoreShare: number;
}

function findingLine(finding: PhraseFinding): string {
  const example = finding.examples[0] ? `; e.g. "${finding.examples[0]}"` : '';
  return `${finding.summary}${example}`;
}

function describe(spec: MetricSpec, shift: PhrasingShift, status: BehavioralMetricEvidence['status']): string {
  const answers = `${shift.answers.candidate} candidate vs ${shift.answers.baseline} baseline answers`;
  if (status === 'not_applicable') return `${spec.metric}: not applicable (no answers to compare)`;
  if (status === 'insufficient') return `${spec.metric}: too few answers to judge (${answers})`;
  const test = `Fisher exact per phrase at ${shift.level.toExponential(1)} (Tarone–Bonferroni over ${shift.testable} testable of ${shift.phrases} phrases), rise beyond ±${(spec.tolerance * 100).toFixed(1)} pts`;
  const found =
    shift.added.length > 0
      ? `${shift.added.length} added phrase${shift.added.length === 1 ? '' : 's'}: ${shift.added.map(findingLine).join(' | ')}`
      : 'no added phrase';
  const reworded =
    shift.reworded.length > 0
      ? `; reworded (not a finding): ${shift.reworded
          .slice(0, 3)
          .map((f) => f.summary)
          .join(' | ')}${shift.reworded.length > 3 ? ` | and ${shift.reworded.length - 3} more` : ''}`
      : '';
  return `${spec.metric}: ${found}${reworded} [${answers}; ${test}]`;
}

/** Judges the phrasing metric: a regression when the candidate added a phrase. */
export function judgePhrasing(
  spec: MetricSpec,
  samples: PhrasingSamples,
  options: PhrasingJudgementOptions,
): BehavioralMetricEvidence {
  const shift = phrasingShift(samples.baseline, samples.candidate, {
    alpha: 1 - options.confidence,
    tolerance: spec.tolerance,
  });
  const n = Math.min(samples.baseline.length, samples.candidate.length);
  const status: BehavioralMetricEvidence['status'] =
    samples.expected === 0 && n === 0
      ? 'not_applicable'
      : samples.expected > 0 && samples.noScore / samples.expected > options.maxNoScoreShare
        ? 'incomplete'
        : n < options.minPairs
          ? 'insufficient'
          : 'ok';
  const judged = status === 'ok' || status === 'incomplete';
  const top = judged ? shift.added[0] : undefined;
  // Incomplete evidence can still show an added phrase; it can never show "no change".
  const change = !judged ? 'no_data' : top ? 'regression' : status === 'incomplete' ? 'no_data' : 'none';
  const evidence: BehavioralMetricEvidence = {
    metric: spec.metric,
    label: spec.label,
    direction: 'higher_is_worse',
    critical: spec.blocking,
    blocking: spec.blocking,
    baseline: top ? top.baseline.share : null,
    candidate: top ? top.candidate.share : null,
    delta: top ? top.rise : judged ? 0 : null,
    deltaKind: 'absolute',
    tolerance: spec.tolerance,
    test: `Fisher exact per phrase, Tarone–Bonferroni over ${shift.testable} testable phrases`,
    ...(top ? { pValue: Math.min(1, top.pValue * shift.testable) } : {}),
    samples: { baseline: samples.baseline.length, candidate: samples.candidate.length },
    classification: change === 'regression' ? 'high' : change === 'none' ? 'pass' : 'no_data',
    change,
    status,
    unit: 'rate',
    expected: samples.expected,
    noScore: samples.noScore,
    ...(samples.noScoreReasons && Object.keys(samples.noScoreReasons).length > 0
      ? { noScoreReasons: samples.noScoreReasons }
      : {}),
    confidence: options.confidence,
    ...(top
      ? {
          summary: `${top.summary}${shift.added.length > 1 ? ` (and ${shift.added.length - 1} more added phrase${shift.added.length > 2 ? 's' : ''})` : ''}`,
        }
      : {}),
    message: '',
  };
  evidence.message = describe(spec, shift, status);
  return evidence;
}

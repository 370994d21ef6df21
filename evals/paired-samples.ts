// The paired samples both behavioral gates judge. A golden item (both sides answered the same
// prompt) and a shadow pair (one mirrored request) are each turned into one PairObservation, and
// every metric's samples come from the observations here — so a metric means the same thing in
// the golden eval and in the shadow comparison.
import type { SimilarityResult } from './embedding-similarity';
import type { LlmJudgeVerdict, NoScoreKind } from './llm-judge';
import type { MetricSamples, MetricSpec } from './metric-judgement';
import { rankQuantileSorted } from '../lib/quantiles';

export interface Paired<T> {
  baseline: T;
  candidate: T;
}

/** The LLM judge's and the embeddings' scores of one item or pair. */
export interface PairJudgementScores {
  judge?: LlmJudgeVerdict;
  similarity?: SimilarityResult;
}

/** What both sides' answers to one input show; a field left out does not apply to this input. */
export interface AnsweredObservation {
  refusal: Paired<boolean>;
  hedged: Paired<boolean>;
  /** Completion tokens. */
  length: Paired<number>;
  /** Expected output matched (golden items with an expected output). */
  match?: Paired<boolean>;
  /** The JSON contract kept: the item's schema, the plan's, or the baseline's keys. */
  schemaAdherence?: Paired<boolean>;
  latencyMs?: Paired<number>;
  /** Prompt + completion tokens. */
  tokens?: Paired<number>;
  costPerRequest?: Paired<number>;
}

export interface PairObservation {
  /** The side did not answer (an error, a 5xx, no connection). */
  failed: Paired<boolean>;
  /** Present when both sides answered. */
  answered?: AnsweredObservation;
  /** Whether the judge and embeddings were meant to score this input (golden: every answered item; shadow: the sample). */
  scored: boolean;
  judgement?: PairJudgementScores;
}

export const NO_SCORE_LABELS: Record<NoScoreKind, string> = {
  unreachable: 'unreachable',
  request_failed: 'request failed',
  unparseable: 'answer did not parse',
};

/**
 * One judged sample of a metric for one item or pair: the judge's two scores on a criterion
 * (`judge.<criterion>`), or the embedding similarity (`similarity`, against 1 for the baseline),
 * or the counted reason there is none.
 */
export function judgedSample(
  metric: string,
  judgement: PairJudgementScores | undefined,
): Paired<number> | { noScore: string } {
  if (metric === 'similarity') {
    const result = judgement?.similarity;
    if (result?.status === 'scored') return { baseline: 1, candidate: result.similarity };
    return { noScore: result ? `embeddings ${NO_SCORE_LABELS[result.kind]}` : 'not scored' };
  }
  const criterion = metric.slice('judge.'.length);
  const result = judgement?.judge;
  if (
    result?.status === 'scored' &&
    result.baseline[criterion] !== undefined &&
    result.candidate[criterion] !== undefined
  )
    return { baseline: result.baseline[criterion], candidate: result.candidate[criterion] };
  return { noScore: result?.status === 'no_score' ? `judge ${NO_SCORE_LABELS[result.kind]}` : 'not scored' };
}

/** The answered-pair measurement behind each cheap metric. */
const ANSWERED_METRICS: Record<string, (answered: AnsweredObservation) => Paired<number | boolean> | undefined> = {
  matchRate: (a) => a.match,
  schemaAdherence: (a) => a.schemaAdherence,
  refusalRate: (a) => a.refusal,
  hedgeRate: (a) => a.hedged,
  length: (a) => a.length,
  latency: (a) => a.latencyMs,
  tokens: (a) => a.tokens,
  costPerRequest: (a) => a.costPerRequest,
};

const numeric = (value: number | boolean) => (typeof value === 'boolean' ? (value ? 1 : 0) : value);

/** Collects one metric's paired samples over the observations, in their order. */
export function pairedSamples(spec: MetricSpec, observations: PairObservation[]): MetricSamples {
  const baseline: number[] = [];
  const candidate: number[] = [];
  let expected = 0;
  let noScore = 0;
  const reasons: Record<string, number> = {};
  const push = (sample: Paired<number | boolean>) => {
    expected++;
    baseline.push(numeric(sample.baseline));
    candidate.push(numeric(sample.candidate));
  };
  const measure = ANSWERED_METRICS[spec.metric];
  if (spec.metric === 'errorRate') {
    for (const o of observations) push(o.failed);
  } else if (measure) {
    for (const o of observations) {
      const sample = o.answered && measure(o.answered);
      if (sample) push(sample);
    }
  } else if (spec.metric === 'similarity' || spec.metric.startsWith('judge.')) {
    for (const o of observations) {
      if (!o.answered || !o.scored) continue;
      const sample = judgedSample(spec.metric, o.judgement);
      if ('noScore' in sample) {
        expected++;
        noScore++;
        reasons[sample.noScore] = (reasons[sample.noScore] ?? 0) + 1;
      } else push(sample);
    }
  } else {
    throw new Error(`no paired samples for metric ${spec.metric}`);
  }
  return {
    baseline,
    candidate,
    expected,
    noScore,
    noScoreReasons: reasons,
    ...(spec.metric === 'length' ? { note: lengthRatioNote(baseline, candidate) } : {}),
  };
}

/** Per-pair candidate/baseline length ratio quartiles: the shape behind the ratio of means. */
export function lengthRatioNote(baseline: number[], candidate: number[]): string | undefined {
  const ratios = baseline.flatMap((b, i) => (b > 0 ? [candidate[i]! / b] : [])).sort((x, y) => x - y);
  if (ratios.length === 0) return undefined;
  const q = (p: number) => rankQuantileSorted(ratios, p).toFixed(2);
  return `per-pair length ratio p10 ${q(0.1)}, p50 ${q(0.5)}, p90 ${q(0.9)}`;
}

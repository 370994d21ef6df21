// The golden eval's verdict: the plan's pass-rate floor (golden-eval-verdict.ts) plus every
// behavioral metric as a paired comparison over the items (metric-judgement.ts), decided by the
// policy in behavioral-policy.ts.
import type { MetricEvidence, Verdict } from '../judge/verdict';
import { rankQuantileSorted } from '../lib/quantiles';
import type { RolloutPlan } from '../plan/schema';
import { goldenDecision } from './behavioral-policy';
import { goldenMetricSpecs, goldenPolicy } from './behavioral-settings';
import type { GoldenItem } from './golden-dataset';
import type { ItemOutcome } from './golden-eval-runner';
import { goldenEvalVerdict } from './golden-eval-verdict';
import type { GoldenRunState, ItemJudgement } from './golden-pipeline';
import type { SimilarityResult } from './embedding-similarity';
import type { JudgeResult, NoScoreKind } from './llm-judge';
import { familyConfidence, judgeMetric, type BehavioralMetricEvidence, type MetricSamples, type MetricSpec } from './metric-judgement';

/** A behavioral gate's verdict: its `report` names the saved report. */
export type BehavioralVerdict = Verdict;

export interface GoldenVerdictInput {
  stage: string;
  items: GoldenItem[];
  state: GoldenRunState;
  config: RolloutPlan['stages']['goldenEval'];
  guardrails: RolloutPlan['guardrails'];
  at: string;
}

/** One item, both sides: what the report's side-by-side table and the metrics read. */
export interface ItemPair {
  item: GoldenItem;
  baseline?: ItemOutcome;
  candidate?: ItemOutcome;
  judgement?: ItemJudgement;
}

export function itemPairs(items: GoldenItem[], state: GoldenRunState): ItemPair[] {
  const outcomes = new Map(state.outcomes.map((o) => [`${o.side}\u0000${o.id}`, o]));
  const judgements = new Map(state.judgements.map((j) => [j.id, j]));
  return items.map((item) => ({
    item,
    baseline: outcomes.get(`baseline\u0000${item.id}`),
    candidate: outcomes.get(`candidate\u0000${item.id}`),
    judgement: judgements.get(item.id),
  }));
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
export function judgedSample(metric: string, judgement: { judge?: JudgeResult; similarity?: SimilarityResult } | undefined): { baseline: number; candidate: number } | { noScore: string } {
  if (metric === 'similarity') {
    const result = judgement?.similarity;
    if (result?.status === 'scored') return { baseline: 1, candidate: result.similarity };
    return { noScore: result ? `embeddings ${NO_SCORE_LABELS[result.kind]}` : 'not scored' };
  }
  const criterion = metric.slice('judge.'.length);
  const result = judgement?.judge;
  if (result?.status === 'scored' && result.baseline[criterion] !== undefined && result.candidate[criterion] !== undefined) return { baseline: result.baseline[criterion], candidate: result.candidate[criterion] };
  return { noScore: result?.status === 'no_score' ? `judge ${NO_SCORE_LABELS[result.kind]}` : 'not scored' };
}

/** Collects paired samples for one metric over the item pairs. */
function samplesFor(spec: MetricSpec, pairs: ItemPair[]): MetricSamples {
  const baseline: number[] = [];
  const candidate: number[] = [];
  let expected = 0;
  let noScore = 0;
  const reasons: Record<string, number> = {};
  const push = (b: number, c: number) => {
    baseline.push(b);
    candidate.push(c);
  };
  const bit = (value: boolean) => (value ? 1 : 0);
  for (const { item, baseline: b, candidate: c, judgement } of pairs) {
    if (!b || !c) continue;
    if (spec.metric === 'errorRate') {
      expected++;
      push(bit(b.status === 'error'), bit(c.status === 'error'));
      continue;
    }
    if (!b.scores || !c.scores) continue;
    switch (spec.metric) {
      case 'matchRate':
        if (item.expected === undefined) break;
        expected++;
        push(bit(b.scores.match === true), bit(c.scores.match === true));
        break;
      case 'schemaValidity':
        if (!item.schema) break;
        expected++;
        push(bit(b.scores.schemaValid === true), bit(c.scores.schemaValid === true));
        break;
      case 'refusalRate':
        expected++;
        push(bit(b.scores.refusal), bit(c.scores.refusal));
        break;
      case 'hedgeRate':
        expected++;
        push(bit(b.scores.hedged), bit(c.scores.hedged));
        break;
      case 'length':
        expected++;
        push(b.scores.length, c.scores.length);
        break;
      default: {
        if (spec.metric !== 'similarity' && !spec.metric.startsWith('judge.')) throw new Error(`no golden samples for metric ${spec.metric}`);
        expected++;
        const sample = judgedSample(spec.metric, judgement);
        if ('noScore' in sample) {
          noScore++;
          reasons[sample.noScore] = (reasons[sample.noScore] ?? 0) + 1;
        } else push(sample.baseline, sample.candidate);
      }
    }
  }
  return { baseline, candidate, expected, noScore, noScoreReasons: reasons, ...(spec.metric === 'length' ? { note: lengthRatioNote(baseline, candidate) } : {}) };
}

/** Per-pair candidate/baseline length ratio quartiles: the shape behind the ratio of means. */
export function lengthRatioNote(baseline: number[], candidate: number[]): string | undefined {
  const ratios = baseline.flatMap((b, i) => (b > 0 ? [candidate[i]! / b] : [])).sort((x, y) => x - y);
  if (ratios.length === 0) return undefined;
  const q = (p: number) => rankQuantileSorted(ratios, p).toFixed(2);
  return `per-pair length ratio p10 ${q(0.1)}, p50 ${q(0.5)}, p90 ${q(0.9)}`;
}

export function behavioralGoldenVerdict(input: GoldenVerdictInput): BehavioralVerdict {
  const { stage, items, state, config, guardrails, at } = input;
  const pairs = itemPairs(items, state);
  const policy = goldenPolicy(config);
  const specs = goldenMetricSpecs(config, guardrails);
  const confidence = familyConfidence(guardrails.alpha, specs.length);
  const metrics: BehavioralMetricEvidence[] = specs.map((spec) =>
    judgeMetric(spec, samplesFor(spec, pairs), { confidence, minPairs: policy.minPairs, maxNoScoreShare: policy.maxNoScoreShare, seedLabel: `${stage}|${items.length}` }),
  );
  // The plan's pass-rate floor and allowance, when the dataset has anything to check.
  const checked = items.some((item) => item.expected !== undefined || item.schema !== undefined);
  let passRate: { evidence: MetricEvidence; failed: boolean; reason: string } | undefined;
  if (checked) {
    const legacy = goldenEvalVerdict(stage, state.outcomes, config, at);
    passRate = { evidence: legacy.metrics[0]!, failed: legacy.outcome === 'fail', reason: legacy.reason };
  }
  const decision = goldenDecision(metrics, passRate);
  const all: MetricEvidence[] = [...(passRate ? [passRate.evidence] : []), ...metrics];
  return { stage, outcome: decision.outcome, reason: decision.reason, metrics: all, at };
}

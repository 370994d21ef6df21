// The golden eval's verdict: the plan's pass-rate floor (golden-pass-rate.ts) plus every
// behavioral metric as a paired comparison over the items (paired-samples.ts,
// metric-judgement.ts), decided by the policy in behavioral-policy.ts.
import type { MetricEvidence } from '../judge/verdict';
import type { RolloutPlan } from '../plan/schema';
import { goldenDecision, shortEvidence, type Decision } from './behavioral-policy';
import { judgeGoldenSegments } from './golden-segments';
import { goldenSegmentsSchema } from '../plan/golden-eval-schema';
import { goldenMetricSpecs, goldenPolicy } from './behavioral-settings';
import type { GoldenItem } from './golden-dataset';
import type { ItemOutcome } from './golden-eval-runner';
import { passRateCheck } from './golden-pass-rate';
import type { GoldenRunState, ItemJudgement } from './golden-pipeline';
import { familyConfidence, type BehavioralMetricEvidence, type BehavioralVerdict } from './metric-judgement';
import { judgeGateMetrics } from './gate-metrics';
import type { PairObservation } from './paired-samples';
import type { PhrasingSamples } from './phrasing-metric';

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

/** The items run on both sides as paired observations; the judge and embeddings score every answered item. */
export function goldenObservations(pairs: ItemPair[]): PairObservation[] {
  return pairs.flatMap(({ item, baseline: b, candidate: c, judgement }): PairObservation[] => {
    if (!b || !c) return [];
    const failed = { baseline: b.status === 'error', candidate: c.status === 'error' };
    if (!b.scores || !c.scores) return [{ failed, scored: true, judgement }];
    const bs = b.scores;
    const cs = c.scores;
    return [
      {
        failed,
        answered: {
          refusal: { baseline: bs.refusal, candidate: cs.refusal },
          hedged: { baseline: bs.hedged, candidate: cs.hedged },
          length: { baseline: bs.length, candidate: cs.length },
          ...(item.expected !== undefined
            ? { match: { baseline: bs.match === true, candidate: cs.match === true } }
            : {}),
          ...(item.schema
            ? { schemaAdherence: { baseline: bs.schemaValid === true, candidate: cs.schemaValid === true } }
            : {}),
        },
        scored: true,
        judgement,
      },
    ];
  });
}

/**
 * The answers of the items both sides answered, for the phrasing check. An answer whose text an
 * earlier attempt did not keep (a large eval's compact heartbeats) is counted as not scored.
 */
export function goldenPhrasingSamples(pairs: ItemPair[]): PhrasingSamples {
  const samples: PhrasingSamples = { baseline: [], candidate: [], expected: 0, noScore: 0, noScoreReasons: {} };
  for (const { baseline: b, candidate: c } of pairs) {
    if (b?.status !== 'answered' || c?.status !== 'answered') continue;
    samples.expected++;
    if (b.text === undefined || c.text === undefined) {
      samples.noScore++;
      samples.noScoreReasons!['answer text not kept by an earlier attempt'] =
        (samples.noScoreReasons!['answer text not kept by an earlier attempt'] ?? 0) + 1;
      continue;
    }
    samples.baseline.push(b.text);
    samples.candidate.push(c.text);
  }
  return samples;
}

export function behavioralGoldenVerdict(input: GoldenVerdictInput): BehavioralVerdict {
  const { stage, items, state, config, guardrails, at } = input;
  const pairs = itemPairs(items, state);
  const observations = goldenObservations(pairs);
  const policy = goldenPolicy(config);
  const specs = goldenMetricSpecs(config, guardrails);
  const confidence = familyConfidence(guardrails.alpha, specs.length);
  const metrics: BehavioralMetricEvidence[] = judgeGateMetrics({
    specs,
    observations,
    phrasing: () => goldenPhrasingSamples(pairs),
    confidence,
    policy,
    seedLabel: `${stage}|${items.length}`,
  });
  // The plan's pass-rate floor and allowance, when the dataset has anything to check.
  const checked = items.some((item) => item.expected !== undefined || item.schema !== undefined);
  let passRate: { evidence: MetricEvidence; failed: boolean; reason: string } | undefined;
  if (checked) {
    const check = passRateCheck(state.outcomes, config);
    passRate = { evidence: check.evidence, failed: check.outcome === 'fail', reason: check.reason };
  }
  const decision = goldenDecision(metrics, passRate);
  const segmentsConfig = config.segments ?? goldenSegmentsSchema.parse({});
  const segments = segmentsConfig.enabled
    ? judgeGoldenSegments({
        stage,
        pairs,
        specs,
        policy,
        alpha: guardrails.alpha,
        minItems: segmentsConfig.minItems,
        observe: goldenObservations,
      })
    : { regressions: [], notes: [] };
  // A metric that regressed over the whole dataset is not confined to a segment: said once, there.
  const regressedOverall = new Set(metrics.filter((m) => m.change === 'regression').map((m) => m.metric));
  const confined = segments.regressions.filter((m) => !regressedOverall.has(m.metric.split('@')[0]!));
  const { outcome, reason } = withSegmentRegressions(decision, confined);
  const all: MetricEvidence[] = [...(passRate ? [passRate.evidence] : []), ...metrics, ...confined];
  return { stage, outcome, reason, metrics: all, at, ...(segments.notes.length > 0 && { notes: segments.notes }) };
}

/** A blocking regression in one segment fails the eval even where the whole dataset's figures hide it. */
function withSegmentRegressions(decision: Decision, regressions: BehavioralMetricEvidence[]): Decision {
  if (regressions.length === 0) return decision;
  const named = `regression in segment${regressions.length === 1 ? '' : 's'}: ${regressions.map(shortEvidence).join('; ')}`;
  return decision.outcome === 'fail'
    ? { outcome: 'fail', reason: `${decision.reason}; ${named}` }
    : { outcome: 'fail', reason: named };
}

// The golden eval per segment: a regression confined to one segment (one language, one tenant,
// one product area: a golden item's tags) can hide in the whole dataset's figures. Each segment
// with enough items is judged on its own items for every blocking paired metric; the segment
// checks are their own family at α, split with Bonferroni over segments × metrics, so looking at
// many segments does not raise the chance of a false alarm. A segment with too few items is said
// to have too little data, never passed.
import { bonferroniAlpha } from '../lib/multiplicity';
import type { ItemPair } from './golden-behavioral-verdict';
import { judgeGateMetrics } from './gate-metrics';
import type { BehavioralMetricEvidence, MetricSpec } from './metric-judgement';
import type { PairObservation } from './paired-samples';
import { PHRASING_METRIC } from './phrasing-metric';

export interface SegmentInput {
  stage: string;
  pairs: ItemPair[];
  specs: MetricSpec[];
  policy: { minPairs: number; maxNoScoreShare: number };
  alpha: number;
  /** Items a segment needs before it is judged on its own. */
  minItems: number;
  observe: (pairs: ItemPair[]) => PairObservation[];
}

export interface SegmentJudgement {
  /** Blocking regressions found in a segment, each named `metric@segment` and labelled with it. */
  regressions: BehavioralMetricEvidence[];
  /** What was judged and at which level, and which segments had too little data. */
  notes: string[];
}

/** Segments as the items' tags name them, each with its items; a tag on every item is the whole dataset, not a segment. */
export function goldenSegments(pairs: ItemPair[]): Map<string, ItemPair[]> {
  const segments = new Map<string, ItemPair[]>();
  for (const pair of pairs)
    for (const tag of new Set(pair.item.tags)) segments.set(tag, [...(segments.get(tag) ?? []), pair]);
  for (const [tag, members] of segments) if (members.length === pairs.length) segments.delete(tag);
  return new Map([...segments].sort(([a], [b]) => a.localeCompare(b)));
}

export function judgeGoldenSegments(input: SegmentInput): SegmentJudgement {
  const segments = goldenSegments(input.pairs);
  if (segments.size === 0) return { regressions: [], notes: [] };
  const answered = (members: ItemPair[]) => members.filter((p) => p.baseline && p.candidate).length;
  const judged = [...segments].filter(([, members]) => answered(members) >= input.minItems);
  const small = [...segments].filter(([, members]) => answered(members) < input.minItems);
  const notes: string[] = [];
  if (small.length > 0)
    notes.push(
      `too little data to judge on its own (fewer than ${input.minItems} items): ${small.map(([tag, members]) => `segment ${tag} (${answered(members)})`).join(', ')}`,
    );
  const specs = input.specs.filter((spec) => spec.blocking && spec.metric !== PHRASING_METRIC);
  if (judged.length === 0 || specs.length === 0) return { regressions: [], notes };
  const family = judged.length * specs.length;
  const level = bonferroniAlpha(input.alpha, family);
  notes.push(
    `per segment: ${judged.map(([tag, members]) => `${tag} (${answered(members)} items)`).join(', ')} judged on ${specs.length} blocking metric${specs.length === 1 ? '' : 's'} each, at α/${family} = ${level.toPrecision(3)} (Bonferroni over segments × metrics)`,
  );
  const regressions = judged.flatMap(([tag, members]) =>
    judgeGateMetrics({
      specs,
      observations: input.observe(members),
      phrasing: () => {
        throw new Error('phrasing is not judged per segment');
      },
      confidence: 1 - level,
      policy: input.policy,
      seedLabel: `${input.stage}|segment|${tag}|${members.length}`,
    })
      .filter((metric) => metric.change === 'regression')
      .map((metric) => ({
        ...metric,
        metric: `${metric.metric}@${tag}`,
        label: `${metric.label} (segment ${tag})`,
        message: `segment ${tag}: ${metric.message}`,
      })),
  );
  return { regressions, notes };
}

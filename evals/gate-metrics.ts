// Every metric of a behavioral gate (the golden eval, the shadow comparison) judged one way, at one
// family confidence: phrasing on the two sides' answer texts, every other metric as a paired
// comparison of the observations.
import type { BehavioralMetricEvidence, MetricSpec } from './metric-judgement';
import { judgeMetric } from './metric-judgement';
import { pairedSamples, type PairObservation } from './paired-samples';
import { judgePhrasing, PHRASING_METRIC, type PhrasingSamples } from './phrasing-metric';

export interface GateMetricsInput {
  specs: MetricSpec[];
  observations: PairObservation[];
  /** Built only when a phrasing metric is among the specs. */
  phrasing: () => PhrasingSamples;
  confidence: number;
  policy: { minPairs: number; maxNoScoreShare: number };
  /** Seeds the bootstrap, so a gate judged again on the same inputs says the same. */
  seedLabel: string;
}

export function judgeGateMetrics(input: GateMetricsInput): BehavioralMetricEvidence[] {
  const { confidence, policy } = input;
  const options = { confidence, minPairs: policy.minPairs, maxNoScoreShare: policy.maxNoScoreShare };
  return input.specs.map((spec) =>
    spec.metric === PHRASING_METRIC
      ? judgePhrasing(spec, input.phrasing(), options)
      : judgeMetric(spec, pairedSamples(spec, input.observations), { ...options, seedLabel: input.seedLabel }),
  );
}

// Plain threshold checks of candidate vs baseline, one per enabled guardrail. This is the
// foundation's judge; the statistical judge (judge/canary-judge.ts) supersedes it for canaries.
//
// Rules:
// - Until both sides have the plan's minimum number of requests the verdict is inconclusive:
//   a handful of requests proves nothing either way, and no data is never a pass.
// - A critical guardrail beyond tolerance in its bad direction fails the verdict.
// - A non-critical guardrail beyond tolerance makes it inconclusive: different, not proven worse,
//   so a human decides if it is still so at the end of the window.
// - A guardrail the plan gives nothing to measure with (cost without prices) is left out, named in
//   the verdict's notes.
// - A ratio with nothing to divide by (say, no request asked for JSON) is "no data" for that
//   metric only; it does not block the others. When every guardrail has no data, nothing was
//   measured: inconclusive, never a pass.
import { deltaText, type DeltaFormat } from '../lib/delta-format';
import { enabledGuardrail, type GuardrailName, type RolloutPlan } from '../plan/schema';
import { unjudgedByPlan } from './plan-judge-config';
import type { TrafficFigures } from './traffic-figures';
import type { Direction, MetricClass, MetricEvidence, Verdict } from './verdict';

type Guardrails = RolloutPlan['guardrails'];
type Pricing = RolloutPlan['backends']['baseline']['pricing'];

interface MetricSpec {
  name: Exclude<GuardrailName, 'judgeScore'>;
  deltaKind: 'absolute' | 'relative';
  value: (figures: TrafficFigures, pricing: Pricing) => number | null;
}

const costPerRequest = (figures: TrafficFigures, pricing: Pricing): number | null => {
  if (figures.promptTokensPerRequest === null || figures.completionTokensPerRequest === null) return null;
  return (
    (figures.promptTokensPerRequest * pricing.inputPer1k + figures.completionTokensPerRequest * pricing.outputPer1k) /
    1000
  );
};

const METRICS: MetricSpec[] = [
  { name: 'errorRate', deltaKind: 'absolute', value: (f) => f.errorRate },
  { name: 'p99Latency', deltaKind: 'relative', value: (f) => f.p99LatencySeconds },
  { name: 'timeToFirstToken', deltaKind: 'relative', value: (f) => f.p99TimeToFirstTokenSeconds },
  { name: 'costPerRequest', deltaKind: 'relative', value: costPerRequest },
  { name: 'refusalRate', deltaKind: 'absolute', value: (f) => f.refusalRate },
  { name: 'schemaAdherence', deltaKind: 'absolute', value: (f) => f.schemaAdherence },
  { name: 'length', deltaKind: 'relative', value: (f) => f.completionTokensPerRequest },
];

export function classify(delta: number | null, direction: Direction, tolerance: number): MetricClass {
  if (delta === null) return 'no_data';
  const high = delta > tolerance && direction !== 'lower_is_worse';
  const low = delta < -tolerance && direction !== 'higher_is_worse';
  return high ? 'high' : low ? 'low' : 'pass';
}

export function deltaOf(
  baseline: number | null,
  candidate: number | null,
  kind: 'absolute' | 'relative',
): number | null {
  if (baseline === null || candidate === null) return null;
  if (kind === 'absolute') return candidate - baseline;
  if (baseline === 0) return candidate === 0 ? 0 : Number.POSITIVE_INFINITY;
  return candidate / baseline - 1;
}

export interface ThresholdJudgeInput {
  stage: string;
  baseline: TrafficFigures;
  candidate: TrafficFigures;
  guardrails: Guardrails;
  pricing: { baseline: Pricing; candidate: Pricing };
  at: string;
}

export function judgeByThresholds(input: ThresholdJudgeInput): Verdict {
  const { baseline, candidate, guardrails } = input;
  const samples = { baseline: baseline.requests ?? 0, candidate: candidate.requests ?? 0 };
  // A guardrail the plan gives nothing to measure with is left out, said once in the notes: it
  // cannot have data, so it must neither block nor read as measured.
  const unjudged = unjudgedByPlan(guardrails, input.pricing);
  const notes = Object.entries(unjudged).map(([name, why]) => `${name} not judged: ${why}`);
  const enabled = METRICS.flatMap((spec) => {
    const rail = enabledGuardrail(guardrails, spec.name);
    return rail && !(spec.name in unjudged) ? [{ spec, rail }] : [];
  });
  const metrics: MetricEvidence[] = enabled.map(({ spec, rail }) => {
    const b = spec.value(baseline, input.pricing.baseline);
    const c = spec.value(candidate, input.pricing.candidate);
    const delta = deltaOf(b, c, spec.deltaKind);
    const classification = classify(delta, rail.direction, rail.tolerance);
    return {
      metric: spec.name,
      direction: rail.direction,
      critical: rail.critical,
      baseline: b,
      candidate: c,
      delta,
      deltaKind: spec.deltaKind,
      tolerance: rail.tolerance,
      test: 'threshold',
      samples,
      classification,
      message: describe(spec.name, classification, delta, spec.deltaKind, rail.tolerance),
    };
  });
  const verdict = (outcome: Verdict['outcome'], reason: string): Verdict => ({
    stage: input.stage,
    outcome,
    reason,
    metrics,
    at: input.at,
    ...(notes.length > 0 && { notes }),
  });

  const need = guardrails.minRequests;
  if (samples.baseline < need || samples.candidate < need) {
    return verdict(
      'inconclusive',
      `not enough requests yet (baseline ${samples.baseline}, candidate ${samples.candidate}; each needs ${need})`,
    );
  }
  const breached = metrics.filter((metric) => metric.classification === 'high' || metric.classification === 'low');
  const critical = breached.filter((metric) => metric.critical);
  if (critical.length > 0) return verdict('fail', critical.map((metric) => metric.message).join('; '));
  if (breached.length > 0)
    return verdict('inconclusive', `non-critical difference: ${breached.map((metric) => metric.message).join('; ')}`);
  // No data for one ratio does not block the others, but no data for every guardrail is no evidence.
  const missing = metrics.filter((metric) => metric.classification === 'no_data').map((metric) => metric.metric);
  if (metrics.length > 0 && missing.length === metrics.length) {
    return verdict(
      'inconclusive',
      `no guardrail could be measured over ${samples.candidate} candidate requests (no data: ${missing.join(', ')})`,
    );
  }
  if (missing.length > 0) {
    return verdict(
      'pass',
      `${metrics.length - missing.length} of ${metrics.length} guardrails within tolerance over ${samples.candidate} candidate requests (no data: ${missing.join(', ')})`,
    );
  }
  return verdict(
    'pass',
    `all ${metrics.length} guardrails within tolerance over ${samples.candidate} candidate requests`,
  );
}

function describe(
  name: string,
  classification: MetricClass,
  delta: number | null,
  kind: 'absolute' | 'relative',
  tolerance: number,
): string {
  if (classification === 'no_data') return `${name}: no data`;
  const format: DeltaFormat =
    kind === 'relative' ? { unit: 'percent', digits: 1, sign: 'none' } : { unit: 'points', digits: 2, sign: 'none' };
  const shown = deltaText(delta!, format);
  const limit = deltaText(tolerance, kind === 'relative' ? { ...format, digits: 0 } : format);
  if (classification === 'pass') return `${name}: ${shown} (within ±${limit})`;
  // "up"/"down" carries the sign: "down 4.00 pts", not "down -4.00 pts".
  const size = deltaText(Math.abs(delta!), format);
  return `${name} ${classification === 'high' ? 'up' : 'down'} ${size} (tolerance ${limit})`;
}

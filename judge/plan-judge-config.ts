// The statistical judge's configuration from a plan's guardrails.
import { enabledGuardrail, type RolloutPlan } from '../plan/schema';
import type { JudgeConfig, MetricConfig } from './canary-input';
import type { TailReferences } from './traffic-window';

type Guardrails = RolloutPlan['guardrails'];

/** Traffic guardrails the canary judge watches (judgeScore belongs to the golden eval). */
export function judgeConfigFromPlan(guardrails: Guardrails, references: TailReferences): JudgeConfig {
  const metrics: MetricConfig[] = [];
  type TrafficGuardrail =
    'errorRate' | 'refusalRate' | 'schemaAdherence' | 'p99Latency' | 'timeToFirstToken' | 'length' | 'costPerRequest';
  const add = (name: TrafficGuardrail, config: Omit<MetricConfig, 'name' | 'direction' | 'tolerance' | 'critical'>) => {
    const rail = enabledGuardrail(guardrails, name);
    if (rail)
      metrics.push({ name, direction: rail.direction, tolerance: rail.tolerance, critical: rail.critical, ...config });
  };
  add('errorRate', { kind: 'proportion', group: 'reliability' });
  add('refusalRate', { kind: 'proportion', group: 'behaviour' });
  add('schemaAdherence', { kind: 'proportion', group: 'behaviour' });
  // Without a latency reference (the shadow soak's first looks) the tail cannot be judged yet.
  const { latency, timeToFirstToken } = references;
  if (latency) add('p99Latency', { kind: 'latency', quantile: latency.quantile, reference: latency, group: 'latency' });
  // Time to first token exists only where the traffic streams: without a reference (too few streamed
  // answers in the shadow soak) it is left out, as a non-streaming service has nothing to judge.
  if (timeToFirstToken)
    add('timeToFirstToken', {
      kind: 'latency',
      quantile: timeToFirstToken.quantile,
      reference: timeToFirstToken,
      group: 'latency',
    });
  add('length', { kind: 'continuous', toleranceKind: 'relative', scale: 'raw', group: 'behaviour' });
  add('costPerRequest', { kind: 'continuous', toleranceKind: 'relative', scale: 'raw', group: 'cost' });
  return {
    alpha: guardrails.alpha,
    minSamples: guardrails.minRequests,
    scoreThresholds: guardrails.score,
    metrics,
  };
}

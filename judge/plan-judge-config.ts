// The statistical judge's configuration from a plan's guardrails.
import type { RolloutPlan } from '../plan/schema';
import type { JudgeConfig, LatencyReference, MetricConfig } from './canary-judge';

type Guardrails = RolloutPlan['guardrails'];

/** Traffic guardrails the canary judge watches (judgeScore belongs to the golden eval). */
export function judgeConfigFromPlan(guardrails: Guardrails, reference: LatencyReference | null): JudgeConfig {
  const metrics: MetricConfig[] = [];
  const rail = (name: 'errorRate' | 'refusalRate' | 'schemaAdherence' | 'p99Latency' | 'length' | 'costPerRequest') => guardrails[name];
  const add = (name: Parameters<typeof rail>[0], config: Omit<MetricConfig, 'name' | 'direction' | 'tolerance' | 'critical'>) => {
    const { enabled, direction, tolerance, critical } = rail(name);
    if (enabled) metrics.push({ name, direction, tolerance, critical, ...config });
  };
  add('errorRate', { kind: 'proportion', group: 'reliability' });
  add('refusalRate', { kind: 'proportion', group: 'behaviour' });
  add('schemaAdherence', { kind: 'proportion', group: 'behaviour' });
  // Without a latency reference (the shadow soak's first looks) the tail cannot be judged yet.
  if (reference) add('p99Latency', { kind: 'latency', quantile: reference.quantile, reference, group: 'latency' });
  add('length', { kind: 'continuous', toleranceKind: 'relative', scale: 'raw', group: 'behaviour' });
  add('costPerRequest', { kind: 'continuous', toleranceKind: 'relative', scale: 'raw', group: 'cost' });
  return {
    alpha: guardrails.alpha,
    minSamples: guardrails.minRequests,
    scoreThresholds: guardrails.score,
    metrics,
  };
}

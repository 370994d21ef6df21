// The statistical judge's configuration from a plan's guardrails.
import { enabledDistribution, enabledGuardrail, type RolloutPlan } from '../plan/schema';
import type { JudgeConfig, MetricConfig } from './canary-input';
import type { TailReferences } from './traffic-window';

type Guardrails = RolloutPlan['guardrails'];
type Pricing = RolloutPlan['backends']['baseline']['pricing'];
export interface PlanPricing {
  baseline: Pricing;
  candidate: Pricing;
}

const priced = (pricing: Pricing): boolean => pricing.inputPer1k > 0 || pricing.outputPer1k > 0;

/**
 * Enabled guardrails the plan itself gives the judge nothing to measure with, and why. They are
 * left out of every verdict (named once in its notes) rather than waiting for data that cannot come.
 */
export function unjudgedByPlan(guardrails: Guardrails, pricing: PlanPricing): Record<string, string> {
  const reasons: Record<string, string> = {};
  if (enabledGuardrail(guardrails, 'costPerRequest')) {
    const unpriced = (['baseline', 'candidate'] as const).filter((arm) => !priced(pricing[arm]));
    // Cost is compared per arm, so one arm without prices leaves nothing to compare either.
    if (unpriced.length === 2) reasons.costPerRequest = 'the plan gives no prices';
    else if (unpriced.length === 1) reasons.costPerRequest = `the plan gives no prices for the ${unpriced[0]}`;
  }
  return reasons;
}

/** Traffic guardrails the canary judge watches (judgeScore belongs to the golden eval). */
export function judgeConfigFromPlan(
  guardrails: Guardrails,
  references: TailReferences,
  pricing: PlanPricing,
): JudgeConfig {
  const metrics: MetricConfig[] = [];
  const unjudged = unjudgedByPlan(guardrails, pricing);
  type TrafficGuardrail =
    'errorRate' | 'refusalRate' | 'schemaAdherence' | 'p99Latency' | 'timeToFirstToken' | 'length' | 'costPerRequest';
  const add = (name: TrafficGuardrail, config: Omit<MetricConfig, 'name' | 'direction' | 'tolerance' | 'critical'>) => {
    const rail = enabledGuardrail(guardrails, name);
    if (rail && !(name in unjudged))
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
  const distribution = enabledDistribution(guardrails);
  if (distribution) {
    // The baseline's body quantiles come with the shadow soak's tail references; a reference
    // measured without them (Prometheus histograms, or before this guard) leaves it unjudged.
    const watch = (name: string, reference: typeof latency, rail: 'p99Latency' | 'timeToFirstToken') => {
      if (!reference || !enabledGuardrail(guardrails, rail)) return;
      if (!reference.body || reference.body.length === 0) {
        unjudged[name] = "the shadow soak's reference has no body quantiles";
        return;
      }
      metrics.push({
        name,
        kind: 'latency',
        direction: 'higher_is_worse',
        tolerance: distribution.tolerance,
        critical: distribution.critical,
        distribution: reference.body,
        group: 'latency',
      });
    };
    watch('latencyDistribution', latency, 'p99Latency');
    watch('firstTokenDistribution', timeToFirstToken, 'timeToFirstToken');
  }
  add('length', { kind: 'continuous', toleranceKind: 'relative', scale: 'raw', group: 'behaviour' });
  add('costPerRequest', { kind: 'continuous', toleranceKind: 'relative', scale: 'raw', group: 'cost' });
  const config: JudgeConfig = {
    alpha: guardrails.alpha,
    minSamples: guardrails.minRequests,
    scoreThresholds: guardrails.score,
    metrics,
  };
  if (Object.keys(unjudged).length > 0) config.unjudged = unjudged;
  return config;
}

// Before a rollout: how long each canary window must be, at the traffic the release owner
// expects, for the statistical judge to catch a regression of twice the plan's tolerances (80 %
// power at the plan's alpha). Shown by `rollout plan check`.
import type { RolloutPlan } from '../plan/schema';
import { judgeConfigFromPlan } from './plan-judge-config';
import { normalQuantile, normalSf } from './statistics/normal';
import { planCanaryWindow, type MetricExpectation, type WindowPlan } from './window-plan';

export interface StepPower {
  stage: string;
  weight: number;
  plannedMinutes: number;
  /** The window the judge needs; Infinity when a metric cannot be planned. */
  neededMinutes: number;
  limitingMetric: string | null;
  plan: WindowPlan;
}

/**
 * Share of baseline requests above p99 / (1 + tolerance) when log-latency is normal with SD σ:
 * what the latency guardrail's tolerance means as an exceedance rate.
 */
export function latencyToleranceRate(tolerance: number, logSd: number): number {
  return normalSf(normalQuantile(0.99) - Math.log(1 + tolerance) / logSd);
}

export function canaryPower(plan: RolloutPlan): StepPower[] | null {
  const expected = plan.stages.canary.expected;
  if (!expected) return null;
  const reference = {
    quantile: 0.99,
    threshold: 1,
    toleranceRate: latencyToleranceRate(plan.guardrails.p99Latency.tolerance, expected.latencyLogSd),
  };
  // Time to first token is left out: its sample is the streamed share of traffic, which the plan's
  // expectations do not state.
  const config = judgeConfigFromPlan(
    plan.guardrails,
    { latency: reference, timeToFirstToken: null },
    { baseline: plan.backends.baseline.pricing, candidate: plan.backends.candidate.pricing },
  );
  const expectations: Record<string, MetricExpectation> = {
    errorRate: { baselineRate: expected.errorRate },
    refusalRate: { baselineRate: expected.refusalRate },
    schemaAdherence: { baselineRate: expected.schemaAdherence },
    p99Latency: { baselineRate: 0.01 },
    length: { cv: expected.lengthCv },
    costPerRequest: { cv: expected.lengthCv },
  };
  return plan.stages.canary.steps.map((step, index) => {
    const windowPlan = planCanaryWindow(config, expectations, {
      requestsPerMinute: expected.requestsPerMinute,
      candidateShare: step.weight / 100,
    });
    const limiting = windowPlan.metrics.reduce<(typeof windowPlan.metrics)[number] | null>(
      (worst, row) => (!worst || row.sequentialMinutes > worst.sequentialMinutes ? row : worst),
      null,
    );
    return {
      stage: `canary-${index + 1}`,
      weight: step.weight,
      plannedMinutes: step.window / 60_000,
      neededMinutes: windowPlan.windowMinutes,
      limitingMetric: limiting?.metric ?? null,
      plan: windowPlan,
    };
  });
}

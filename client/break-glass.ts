// The kill switch that needs no worker: a rollback from the CLI, Slack or an alert also puts the
// baseline back on the traffic layer directly, so it lands in milliseconds even while no worker
// runs. The workflow, when it next runs, finds the traffic already restored, records that, and
// compensates the rest. The signal stays the durable record; this is only the fast path, and its
// failure (no credential here, layer unreachable) never stops the signal.
import type { TrafficState } from '../activities/contract';
import { backendsSource, defaultRouterFactory, type RouterFactory } from '../activities/traffic';
import { restoreBaseline } from '../activities/traffic/reconcile';
import { routeOf, routeTargetOf, routerLocationOf, type RolloutPlan } from '../plan/schema';

export type BreakGlassResult =
  | { restored: true; alreadyRestored: boolean; state: TrafficState; elapsedMs: number; where: string }
  | { restored: false; error: string; elapsedMs: number; where: string };

/** Where a plan's traffic layer is, in words for people. */
export function trafficLayerOf(plan: RolloutPlan): string {
  if (plan.router.kind === 'haproxy') return `HAProxy ${plan.router.statsSocket} backend ${plan.router.haproxyBackend}`;
  if (plan.router.kind !== 'gateway') return `${plan.router.kind} ${routeOf(plan)}, ${routerLocationOf(plan.router)}`;
  const replicas = plan.router.replicas?.length ?? 0;
  return `gateway ${plan.router.adminUrl}${replicas > 0 ? ` and ${replicas} replica(s)` : ''} route ${routeOf(plan)}`;
}

export async function restoreTrafficNow(
  plan: RolloutPlan,
  routerFor: RouterFactory = defaultRouterFactory,
): Promise<BreakGlassResult> {
  const started = performance.now();
  const where = trafficLayerOf(plan);
  try {
    // A route recreated here is defined as the rollout defines it: segmentation included.
    const target = routeTargetOf(plan);
    const router = routerFor(target.router, target.route, target.segmentation);
    const result = await restoreBaseline(router, backendsSource(plan.backends.baseline, plan.backends.candidate));
    return {
      restored: true,
      alreadyRestored: result.alreadyRestored,
      state: result.state,
      elapsedMs: performance.now() - started,
      where,
    };
  } catch (error) {
    return {
      restored: false,
      error: error instanceof Error ? error.message : String(error),
      elapsedMs: performance.now() - started,
      where,
    };
  }
}

/** One line for people: what the kill switch did. */
export function describeBreakGlass(result: BreakGlassResult): string {
  const ms = `${result.elapsedMs.toFixed(0)} ms`;
  if (!result.restored)
    return `traffic layer not reached directly (${result.error}); the rollout's worker restores it when it runs`;
  return result.alreadyRestored
    ? `traffic was already on the baseline at ${result.where} (checked in ${ms})`
    : `traffic put back on the baseline at ${result.where} in ${ms}`;
}

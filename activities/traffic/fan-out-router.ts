// Several gateways serving one route (machines behind a load balancer, each with its own admin
// plane): every change goes to each of them, at once. A change counts only when every replica has
// it; the ones that answered keep it, and the error names the ones that did not, so a retry (all
// changes are idempotent) finishes the job. Reconciliation and compensation check each replica
// on its own (reconcile.ts), since replicas can drift apart.
import { ApplicationFailure } from '@temporalio/common';
import type { TrafficState } from '../contract';
import {
  cohortsNeedTheGateway,
  type CohortWeights,
  type ResolvedBackend,
  type RolloutMarker,
  type TrafficRouter,
} from './traffic-router';

export interface Replica {
  /** How people know it: its admin URL. */
  name: string;
  router: TrafficRouter;
}

export class FanOutRouter implements TrafficRouter {
  constructor(readonly replicas: readonly Replica[]) {
    if (replicas.length === 0) throw new Error('a fan-out router needs at least one replica');
  }

  defineBackends(baseline: ResolvedBackend, candidate: ResolvedBackend): Promise<TrafficState> {
    return this.each((router) => router.defineBackends(baseline, candidate));
  }

  setWeights(weights: TrafficState['weights']): Promise<TrafficState> {
    return this.each((router) => router.setWeights(weights));
  }

  /** Refused before any replica is changed when one of them has no cohorts. */
  setCohortWeights(weights: TrafficState['weights'], cohort: CohortWeights): Promise<TrafficState> {
    const without = this.replicas.filter((replica) => !replica.router.setCohortWeights);
    if (without.length > 0)
      return Promise.reject(cohortsNeedTheGateway(`${without.map((r) => r.name).join(', ')} cannot route one`));
    return this.each((router) => router.setCohortWeights!(weights, cohort));
  }

  setShadow(shadow: TrafficState['shadow']): Promise<TrafficState> {
    return this.each((router) => router.setShadow(shadow));
  }

  /** The first replica's state; reconcile.ts reads each replica itself. */
  read(): Promise<TrafficState> {
    return this.each((router) => router.read());
  }

  retireBaseline(candidate: ResolvedBackend): Promise<TrafficState> {
    return this.each((router) => router.retireBaseline(candidate));
  }

  markRollout(marker: RolloutMarker): Promise<TrafficState> {
    return this.each((router) => router.markRollout(marker));
  }

  private async each(operation: (router: TrafficRouter) => Promise<TrafficState>): Promise<TrafficState> {
    const results = await settleEach(this.replicas, (replica) => operation(replica.router));
    return results[0]!;
  }
}

/**
 * Runs `operation` on every replica at once and returns the results in order; if any failed, throws
 * once all have settled: retryable when any failure may pass, else the first refusal as it was.
 */
export async function settleEach<T>(
  replicas: readonly Replica[],
  operation: (replica: Replica) => Promise<T>,
): Promise<T[]> {
  const settled = await Promise.allSettled(replicas.map(operation));
  const failures = settled.flatMap((result, index) =>
    result.status === 'rejected' ? [{ replica: replicas[index]!, error: result.reason as unknown }] : [],
  );
  if (failures.length === 0) return settled.map((result) => (result as PromiseFulfilledResult<T>).value);
  if (replicas.length === 1) throw failures[0]!.error;
  const summary = failures
    .map(({ replica, error }) => `${replica.name}: ${error instanceof Error ? error.message : String(error)}`)
    .join('; ');
  const refusals = failures.filter(({ error }) => error instanceof ApplicationFailure && error.nonRetryable);
  if (refusals.length === failures.length) {
    const first = refusals[0]!.error as ApplicationFailure;
    throw ApplicationFailure.nonRetryable(
      `${failures.length} of ${replicas.length} gateways refused: ${summary}`,
      first.type,
    );
  }
  throw new Error(`${failures.length} of ${replicas.length} gateways did not take the change: ${summary}`);
}

// A traffic layer held in memory, standing in for the gateway behind the TrafficRouter seam so
// workflow tests can see every state the rollout put traffic in, and make the router fail.
import { ApplicationFailure } from '@temporalio/common';
import type { TrafficState } from '../../activities/contract';
import type { ResolvedBackend, RolloutMarker, TrafficRouter } from '../../activities/traffic/traffic-router';
import { FailureType } from '../../workflows/failure-types';

export class InMemoryRouter implements TrafficRouter {
  state: TrafficState = {
    weights: { baseline: 100, candidate: 0 },
    shadow: { enabled: false, target: null, share: 0 },
    backends: ['baseline'],
  };
  /** Every state after a change, in order. */
  readonly history: TrafficState[] = [];
  retired = false;
  /** Operation name → number of calls left that throw. Infinity fails forever. */
  readonly failures = new Map<string, number>();
  readonly calls: string[] = [];
  /** Every stage marker the rollout sent, oldest first. */
  readonly markers: RolloutMarker[] = [];
  /** Operation name → non-retryable refusals (ApplicationFailure of that type) left to throw. Infinity refuses forever. */
  readonly refusals = new Map<string, { type: string; left: number }>();
  /** False once the route is gone, as from a traffic layer that restarted empty. */
  defined = true;
  /** The model each backend name serves, as the gateway's route definition holds it. */
  models: Record<string, string> = {};

  /** The route disappears: every call but defineBackends answers RouteNotFound until it is defined again. */
  forget(): void {
    this.defined = false;
    this.models = {};
    this.state = {
      weights: { baseline: 0, candidate: 0 },
      shadow: { enabled: false, target: null, share: 0 },
      backends: [],
    };
  }

  async defineBackends(baseline: ResolvedBackend, candidate: ResolvedBackend): Promise<TrafficState> {
    this.maybeFail('defineBackends', false);
    // A route created afresh puts all traffic on its first backend, the baseline, as the gateway does.
    if (!this.defined)
      this.state = {
        weights: { baseline: 100, candidate: 0 },
        shadow: { enabled: false, target: null, share: 0 },
        backends: [],
      };
    this.defined = true;
    this.models = { baseline: baseline.model, candidate: candidate.model };
    this.state = { ...this.state, backends: ['baseline', 'candidate'] };
    return this.changed();
  }

  async setWeights(weights: TrafficState['weights']): Promise<TrafficState> {
    this.maybeFail('setWeights');
    // As the gateway router: nobody left on the candidate means no cohort on it either.
    const cohort = weights.candidate === 0 ? null : (this.state.cohort ?? null);
    this.state = { ...this.state, weights: { ...weights }, ...(this.state.cohort !== undefined && { cohort }) };
    return this.changed();
  }

  /** As the gateway's; absent on a router made with `{ cohorts: false }`, like every other traffic layer. */
  setCohortWeights?: (
    weights: TrafficState['weights'],
    cohort: NonNullable<TrafficState['cohort']>,
  ) => Promise<TrafficState> = async (weights, cohort) => {
    this.maybeFail('setWeights');
    this.state = {
      ...this.state,
      weights: { ...weights },
      cohort: { match: cohort.match, weights: { ...cohort.weights } },
    };
    return this.changed();
  };

  constructor(options: { cohorts?: boolean } = {}) {
    if (options.cohorts === false) this.setCohortWeights = undefined;
  }

  async setShadow(shadow: TrafficState['shadow']): Promise<TrafficState> {
    this.maybeFail('setShadow');
    this.state = { ...this.state, shadow: { ...shadow } };
    return this.changed();
  }

  async read(): Promise<TrafficState> {
    this.maybeFail('read');
    return this.state;
  }

  async retireBaseline(candidate: ResolvedBackend): Promise<TrafficState> {
    this.maybeFail('retireBaseline');
    this.retired = true;
    this.models = { baseline: candidate.model };
    this.state = {
      ...this.state,
      weights: { baseline: 100, candidate: 0 },
      backends: ['baseline'],
      ...(this.state.cohort !== undefined && { cohort: null }),
    };
    return this.changed();
  }

  async markRollout(marker: RolloutMarker): Promise<TrafficState> {
    this.maybeFail('markRollout');
    this.markers.push({ ...marker });
    return this.state;
  }

  private maybeFail(operation: string, needsRoute = true): void {
    this.calls.push(operation);
    const refusal = this.refusals.get(operation);
    if (refusal && refusal.left > 0) {
      refusal.left -= 1;
      throw ApplicationFailure.nonRetryable(`simulated refusal of ${operation}`, refusal.type);
    }
    if (needsRoute && !this.defined)
      throw ApplicationFailure.nonRetryable('route does not exist', FailureType.RouteNotFound);
    const left = this.failures.get(operation) ?? 0;
    if (left > 0) {
      this.failures.set(operation, left - 1);
      throw new Error(`simulated ${operation} failure`);
    }
  }

  private changed(): TrafficState {
    this.history.push(structuredClone(this.state));
    return this.state;
  }
}

/** One in-memory router per route, made on first use: the `routerFor` a test's activities get. */
export function inMemoryRouters(): {
  routers: Map<string, InMemoryRouter>;
  routerFor: (route: string) => InMemoryRouter;
} {
  const routers = new Map<string, InMemoryRouter>();
  const routerFor = (route: string) => {
    if (!routers.has(route)) routers.set(route, new InMemoryRouter());
    return routers.get(route)!;
  };
  return { routers, routerFor };
}

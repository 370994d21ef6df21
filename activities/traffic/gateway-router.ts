// TrafficRouter over the gateway's admin API (gateway/admin-api.ts), through its one client.
import { ApplicationFailure } from '@temporalio/activity';
import type { RouteDefinition, RouteState, SetShadowRequest, SetWeightsRequest } from '../../gateway/admin-api';
import { GatewayRefusedError, GatewayUnreachableError, type GatewayAdminClient } from '../../gateway/admin-client';
import type { TrafficState } from '../contract';
import type { ResolvedBackend, RolloutMarker, TrafficRouter } from './traffic-router';
import { FailureType } from '../../workflows/failure-types';

export class GatewayRouter implements TrafficRouter {
  constructor(
    private readonly client: GatewayAdminClient,
    private readonly route: string,
  ) {}

  async defineBackends(baseline: ResolvedBackend, candidate: ResolvedBackend): Promise<TrafficState> {
    const existing = await this.fetchRoute();
    // A route left with traffic on a candidate (say, by a crashed earlier rollout) is put back on
    // its baseline before its backends are redefined, so no request reaches the new candidate early.
    if (existing && (existing.weights.candidate ?? 0) > 0 && 'baseline' in existing.weights) {
      await this.call(() =>
        this.client.setWeights(this.route, { weights: { baseline: 100, candidate: 0 } } satisfies SetWeightsRequest),
      );
    }
    // Mirroring left on by that rollout would send copies to the new candidate as soon as it is
    // defined, and nothing in this rollout would turn it off unless it ran a shadow stage.
    if (existing?.shadow.enabled)
      await this.call(() => this.client.setShadow(this.route, { enabled: false } satisfies SetShadowRequest));
    const definition: RouteDefinition = {
      backends: [
        { name: 'baseline', ...baseline },
        { name: 'candidate', ...candidate },
      ],
    };
    return toTrafficState(await this.call(() => this.client.defineRoute(this.route, definition)));
  }

  async setWeights(weights: TrafficState['weights']): Promise<TrafficState> {
    return toTrafficState(
      await this.call(() => this.client.setWeights(this.route, { weights } satisfies SetWeightsRequest)),
    );
  }

  async setShadow(shadow: TrafficState['shadow']): Promise<TrafficState> {
    // Enabling without a target is a caller bug; quietly turning mirroring off instead would hide it.
    if (shadow.enabled && !shadow.target)
      throw ApplicationFailure.nonRetryable(
        'cannot enable shadow traffic without a target backend',
        FailureType.InvalidRouterConfig,
      );
    const body: SetShadowRequest =
      shadow.enabled && shadow.target
        ? { enabled: true, target: shadow.target, share: shadow.share }
        : { enabled: false };
    return toTrafficState(await this.call(() => this.client.setShadow(this.route, body)));
  }

  async read(): Promise<TrafficState> {
    const state = await this.fetchRoute();
    if (!state)
      throw ApplicationFailure.nonRetryable(`gateway route ${this.route} does not exist`, FailureType.RouteNotFound);
    return toTrafficState(state);
  }

  async retireBaseline(candidate: ResolvedBackend): Promise<TrafficState> {
    const state = await this.fetchRoute();
    if (!state)
      throw ApplicationFailure.nonRetryable(`gateway route ${this.route} does not exist`, FailureType.RouteNotFound);
    if (!state.backends.some((backend) => backend.name === 'candidate')) return toTrafficState(state); // already retired
    // Three steps, each keeping every request on the candidate's model: point 'baseline' at the
    // candidate, move the weight onto that name, then drop the 'candidate' entry.
    await this.call(() =>
      this.client.defineRoute(this.route, {
        backends: [
          { name: 'baseline', ...candidate },
          { name: 'candidate', ...candidate },
        ],
      } satisfies RouteDefinition),
    );
    await this.call(() =>
      this.client.setWeights(this.route, { weights: { baseline: 100, candidate: 0 } } satisfies SetWeightsRequest),
    );
    return toTrafficState(
      await this.call(() =>
        this.client.defineRoute(this.route, {
          backends: [{ name: 'baseline', ...candidate }],
        } satisfies RouteDefinition),
      ),
    );
  }

  async markRollout(marker: RolloutMarker): Promise<TrafficState> {
    return toTrafficState(await this.call(() => this.client.markRollout(this.route, marker)));
  }

  private async fetchRoute(): Promise<RouteState | null> {
    return this.call(() => this.client.getRoute(this.route));
  }

  /** 4xx means our request is wrong and will stay wrong (non-retryable); no answer or a 5xx may pass. */
  private async call<T>(request: () => Promise<T>): Promise<T> {
    try {
      return await request();
    } catch (error) {
      if (error instanceof GatewayRefusedError)
        throw ApplicationFailure.nonRetryable(
          error.message,
          error.status === 409 ? FailureType.RouteConflict : FailureType.InvalidRouterConfig,
        );
      // Retryable: the gateway may be restarting.
      if (error instanceof GatewayUnreachableError) throw new Error(error.message, { cause: error });
      throw error;
    }
  }
}

export function toTrafficState(route: RouteState): TrafficState {
  const target = route.shadow.enabled ? route.shadow.target : null;
  return {
    weights: { baseline: route.weights.baseline ?? 0, candidate: route.weights.candidate ?? 0 },
    shadow: {
      enabled: route.shadow.enabled,
      target: target === 'baseline' || target === 'candidate' ? target : null,
      share: route.shadow.enabled ? route.shadow.share : 0,
    },
    backends: route.backends.map((backend) => backend.name),
  };
}

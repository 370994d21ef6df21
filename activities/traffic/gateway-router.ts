// TrafficRouter over the gateway's admin API (gateway/admin-api.ts), through its one client.
import { ApplicationFailure } from '@temporalio/activity';
import type {
  RouteDefinition,
  RouteFallback,
  RouteSegmentation,
  RouteState,
  SetShadowRequest,
  SetWeightsRequest,
} from '../../gateway/admin-api';
import { GatewayRefusedError, GatewayUnreachableError, type GatewayAdminClient } from '../../gateway/admin-client';
import type { TrafficState } from '../contract';
import type {
  CohortWeights,
  ReassertedDefinition,
  ResolvedBackend,
  RolloutMarker,
  TrafficRouter,
} from './traffic-router';
import { definitionDrift } from './gateway-definition-drift';
import { FailureType } from '../../workflows/failure-types';

export class GatewayRouter implements TrafficRouter {
  /** `fallback` and `segmentation`: the plan's, part of every definition of the route this router makes. */
  constructor(
    private readonly client: GatewayAdminClient,
    private readonly route: string,
    private readonly fallback?: RouteFallback,
    private readonly segmentation?: RouteSegmentation,
  ) {}

  /**
   * The route's backends as one definition, with the plan's fallback and segmentation (a definition
   * without them would drop them). A plan without segmentation sends none, so a gateway that
   * predates segmentation still takes its definitions.
   */
  private definition(backends: RouteDefinition['backends']): RouteDefinition {
    return {
      backends,
      ...(this.fallback && { fallback: this.fallback }),
      ...(this.segmentation && { segmentation: this.segmentation }),
    };
  }

  async defineBackends(baseline: ResolvedBackend, candidate: ResolvedBackend): Promise<TrafficState> {
    const existing = await this.fetchRoute();
    // A route left with traffic on a candidate (say, by a crashed earlier rollout), its cohort's
    // included, is put back on its baseline before its backends are redefined, so no request
    // reaches the new candidate early.
    const onCandidate = (existing?.weights.candidate ?? 0) > 0 || (existing?.cohort?.weights.candidate ?? 0) > 0;
    if (existing && onCandidate && 'baseline' in existing.weights) {
      await this.call(() =>
        this.client.setWeights(this.route, {
          weights: { baseline: 100, candidate: 0 },
          cohort: null,
        } satisfies SetWeightsRequest),
      );
    }
    // Mirroring left on by that rollout would send copies to the new candidate as soon as it is
    // defined, and nothing in this rollout would turn it off unless it ran a shadow stage.
    if (existing?.shadow.enabled)
      await this.call(() => this.client.setShadow(this.route, { enabled: false } satisfies SetShadowRequest));
    const definition = this.definition([
      { name: 'baseline', ...baseline },
      { name: 'candidate', ...candidate },
    ]);
    return toTrafficState(await this.call(() => this.client.defineRoute(this.route, definition)));
  }

  async setWeights(weights: TrafficState['weights']): Promise<TrafficState> {
    // Candidate 0 means nobody is left on the candidate, cohort included: compensation, rollback
    // and a restore to the baseline all come through here and rely on it. Any other weights leave
    // the route's cohort as it is.
    const body: SetWeightsRequest = weights.candidate === 0 ? { weights, cohort: null } : { weights };
    return toTrafficState(await this.call(() => this.client.setWeights(this.route, body)));
  }

  async setCohortWeights(weights: TrafficState['weights'], cohort: CohortWeights): Promise<TrafficState> {
    const body: SetWeightsRequest = { weights, cohort: { match: cohort.match, weights: cohort.weights } };
    return toTrafficState(await this.call(() => this.client.setWeights(this.route, body)));
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

  async reassertDefinition(baseline: ResolvedBackend, candidate: ResolvedBackend): Promise<ReassertedDefinition> {
    const state = await this.fetchRoute();
    if (!state)
      throw ApplicationFailure.nonRetryable(`gateway route ${this.route} does not exist`, FailureType.RouteNotFound);
    const wanted = this.definition([
      { name: 'baseline', ...baseline },
      { name: 'candidate', ...candidate },
    ]);
    const differed = definitionDrift(state, wanted);
    if (differed.length === 0) return { state: toTrafficState(state), differed };
    // The gateway keeps weights, mirroring, cohort and capture across a redefinition.
    return { state: toTrafficState(await this.call(() => this.client.defineRoute(this.route, wanted))), differed };
  }

  async retireBaseline(candidate: ResolvedBackend): Promise<TrafficState> {
    const state = await this.fetchRoute();
    if (!state)
      throw ApplicationFailure.nonRetryable(`gateway route ${this.route} does not exist`, FailureType.RouteNotFound);
    if (!state.backends.some((backend) => backend.name === 'candidate')) return toTrafficState(state); // already retired
    // Three steps, each keeping every request on the candidate's model: point 'baseline' at the
    // candidate, move the weight onto that name, then drop the 'candidate' entry.
    await this.call(() =>
      this.client.defineRoute(
        this.route,
        this.definition([
          { name: 'baseline', ...candidate },
          { name: 'candidate', ...candidate },
        ]),
      ),
    );
    await this.call(() =>
      this.client.setWeights(this.route, { weights: { baseline: 100, candidate: 0 } } satisfies SetWeightsRequest),
    );
    return toTrafficState(
      await this.call(() => this.client.defineRoute(this.route, this.definition([{ name: 'baseline', ...candidate }]))),
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
    // Only when the route has one (a gateway that predates cohorts says nothing, which means none):
    // a state without a cohort stays the same value it was before cohorts, in workflow histories too.
    ...(route.cohort && {
      cohort: {
        match: route.cohort.match,
        weights: { baseline: route.cohort.weights.baseline ?? 0, candidate: route.cohort.weights.candidate ?? 0 },
      },
    }),
  };
}

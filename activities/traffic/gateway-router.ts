// TrafficRouter over the gateway's admin API (gateway/admin-api.ts).
import { ApplicationFailure } from '@temporalio/activity';
import type { RouteDefinition, RouteState, SetShadowRequest, SetWeightsRequest } from '../../gateway/admin-api';
import type { TrafficState } from '../contract';
import type { ResolvedBackend, TrafficRouter } from './traffic-router';

const REQUEST_TIMEOUT_MS = 5_000;

export class GatewayRouter implements TrafficRouter {
  constructor(
    private readonly adminUrl: string,
    private readonly route: string,
  ) {}

  async defineBackends(baseline: ResolvedBackend, candidate: ResolvedBackend): Promise<TrafficState> {
    const existing = await this.fetchRoute();
    // A route left with traffic on a candidate (say, by a crashed earlier rollout) is put back on
    // its baseline before its backends are redefined, so no request reaches the new candidate early.
    if (existing && (existing.weights.candidate ?? 0) > 0 && 'baseline' in existing.weights) {
      await this.call<RouteState>('PUT', '/weights', { weights: { baseline: 100, candidate: 0 } } satisfies SetWeightsRequest);
    }
    // Mirroring left on by that rollout would send copies to the new candidate as soon as it is
    // defined, and nothing in this rollout would turn it off unless it ran a shadow stage.
    if (existing?.shadow.enabled) await this.call<RouteState>('PUT', '/shadow', { enabled: false } satisfies SetShadowRequest);
    const definition: RouteDefinition = {
      backends: [
        { name: 'baseline', ...baseline },
        { name: 'candidate', ...candidate },
      ],
    };
    return toTrafficState(await this.call<RouteState>('PUT', '', definition));
  }

  async setWeights(weights: TrafficState['weights']): Promise<TrafficState> {
    return toTrafficState(await this.call<RouteState>('PUT', '/weights', { weights } satisfies SetWeightsRequest));
  }

  async setShadow(shadow: TrafficState['shadow']): Promise<TrafficState> {
    // Enabling without a target is a caller bug; quietly turning mirroring off instead would hide it.
    if (shadow.enabled && !shadow.target) throw ApplicationFailure.nonRetryable('cannot enable shadow traffic without a target backend', 'InvalidRouterConfig');
    const body: SetShadowRequest = shadow.enabled && shadow.target ? { enabled: true, target: shadow.target, share: shadow.share } : { enabled: false };
    return toTrafficState(await this.call<RouteState>('PUT', '/shadow', body));
  }

  async read(): Promise<TrafficState> {
    const state = await this.fetchRoute();
    if (!state) throw ApplicationFailure.nonRetryable(`gateway route ${this.route} does not exist`, 'RouteNotFound');
    return toTrafficState(state);
  }

  async retireBaseline(candidate: ResolvedBackend): Promise<TrafficState> {
    const state = await this.fetchRoute();
    if (!state) throw ApplicationFailure.nonRetryable(`gateway route ${this.route} does not exist`, 'RouteNotFound');
    if (!state.backends.some((backend) => backend.name === 'candidate')) return toTrafficState(state); // already retired
    // Three steps, each keeping every request on the candidate's model: point 'baseline' at the
    // candidate, move the weight onto that name, then drop the 'candidate' entry.
    await this.call<RouteState>('PUT', '', { backends: [{ name: 'baseline', ...candidate }, { name: 'candidate', ...candidate }] } satisfies RouteDefinition);
    await this.call<RouteState>('PUT', '/weights', { weights: { baseline: 100, candidate: 0 } } satisfies SetWeightsRequest);
    return toTrafficState(await this.call<RouteState>('PUT', '', { backends: [{ name: 'baseline', ...candidate }] } satisfies RouteDefinition));
  }

  private async fetchRoute(): Promise<RouteState | null> {
    const response = await this.send('GET', '');
    if (response.status === 404) return null;
    return this.parse<RouteState>('GET', '', response);
  }

  private async call<T>(method: string, suffix: string, body?: unknown): Promise<T> {
    return this.parse<T>(method, suffix, await this.send(method, suffix, body));
  }

  private async send(method: string, suffix: string, body?: unknown): Promise<Response> {
    const url = `${this.adminUrl}/admin/routes/${encodeURIComponent(this.route)}${suffix}`;
    try {
      return await fetch(url, {
        method,
        headers: body === undefined ? {} : { 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
    } catch (error) {
      // Retryable: the gateway may be restarting.
      throw new Error(`gateway admin API unreachable at ${url}: ${(error as Error).message}`, { cause: error });
    }
  }

  private async parse<T>(method: string, suffix: string, response: Response): Promise<T> {
    const text = await response.text();
    if (response.ok) return JSON.parse(text) as T;
    const what = `${method} /admin/routes/${this.route}${suffix} → ${response.status}: ${text.slice(0, 500)}`;
    // 4xx means our request is wrong and will stay wrong; 5xx may pass.
    if (response.status >= 400 && response.status < 500) throw ApplicationFailure.nonRetryable(`gateway refused ${what}`, response.status === 409 ? 'RouteConflict' : 'InvalidRouterConfig');
    throw new Error(`gateway error ${what}`);
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

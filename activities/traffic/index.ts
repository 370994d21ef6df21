// Traffic activities: steer the plan's router (gateway, HAProxy, Gateway API HTTPRoute or Istio VirtualService). Each is idempotent.
import { ApplicationFailure } from '@temporalio/activity';
import type {
  BackendConfig,
  MarkRolloutStageInput,
  PrepareRouteInput,
  ReconcileTrafficInput,
  ReconcileTrafficResult,
  ReinstateBaselineInput,
  RestoreBaselineInput,
  RestoreBaselineResult,
  RouteTarget,
  RouterConfig,
  SetCandidateWeightInput,
  SetShadowInput,
  TrafficState,
} from '../contract';
import type { RouteFallback, RouteSegmentation } from '../../gateway/admin-api';
import { GatewayAdminClient } from '../../gateway/admin-client';
import { apiKeyFrom } from '../api-key';
import { gatewayAdminUrls } from '../../plan/schema';
import { FanOutRouter } from './fan-out-router';
import { GatewayRouter } from './gateway-router';
import { resolveGatewayToken } from './gateway-token';
import { HaproxyRouter } from './haproxy-router';
import { gatewayApiRouter } from './gateway-api-router';
import { istioRouter } from './istio-router';
import { reconcileTraffic, restoreBaseline, type BackendsSource } from './reconcile';
import { reinstateBaseline } from './reinstate';
import { cohortsNeedTheGateway, type ResolvedBackend, type TrafficRouter } from './traffic-router';
import { FailureType } from '../../workflows/failure-types';
import { bundleOf } from '../../plan/backend-config-schema';

/** The name a plan's fallback has on the gateway route: its records and series are counted under it. */
export const FALLBACK_BACKEND = 'fallback';

/** `segmentation`: the plan's segment rule (RouteTarget.segmentation), for a router that defines routes with it. */
export type RouterFactory = (router: RouterConfig, route: string, segmentation?: RouteSegmentation) => TrafficRouter;

export const defaultRouterFactory: RouterFactory = (router, route, segmentation) => {
  if (router.kind === 'haproxy') return new HaproxyRouter(router);
  if (router.kind === 'gateway-api') return gatewayApiRouter(router);
  if (router.kind === 'istio') return istioRouter(router);
  const token = resolveGatewayToken(router);
  const fallback = router.fallback && resolveFallback(router.fallback);
  const gatewayAt = (adminUrl: string) =>
    new GatewayRouter(new GatewayAdminClient({ adminUrl, token }), route, fallback, segmentation);
  const adminUrls = gatewayAdminUrls(router);
  // More than one gateway serves the route: every change goes to each of them.
  return adminUrls.length === 1
    ? gatewayAt(adminUrls[0]!)
    : new FanOutRouter(adminUrls.map((adminUrl) => ({ name: adminUrl, router: gatewayAt(adminUrl) })));
};

/** API keys stay out of workflow history: the plan names an environment variable, read here. */
export function resolveBackend(backend: BackendConfig, env: NodeJS.ProcessEnv = process.env): ResolvedBackend {
  const apiKey = apiKeyFrom(backend.apiKeyEnv, backend.model, env);
  const { inputPer1k, outputPer1k } = backend.pricing;
  return {
    baseUrl: backend.baseUrl,
    model: backend.model,
    ...(apiKey !== undefined && { apiKey }),
    ...((inputPer1k > 0 || outputPer1k > 0) && { pricing: { inputPer1k, outputPer1k } }),
    ...(backend.config && { config: bundleOf(backend.config) }),
    ...(backend.pool && {
      members: backend.pool.map(({ apiKeyEnv, ...member }) => {
        const memberKey = apiKeyFrom(apiKeyEnv, `${backend.model} pool member ${member.name}`, env);
        return { ...member, ...(memberKey !== undefined && { apiKey: memberKey }) };
      }),
    }),
  };
}

/** The plan's fallback as the gateway's route definition takes it: its API key read here, like the backends'. */
export function resolveFallback(
  fallback: NonNullable<Extract<RouterConfig, { kind: 'gateway' }>['fallback']>,
  env: NodeJS.ProcessEnv = process.env,
): RouteFallback {
  const { maxAttempts, timeout, ...backend } = fallback;
  return {
    backend: { name: FALLBACK_BACKEND, ...resolveBackend(backend, env) },
    maxAttempts,
    ...(timeout !== undefined && { timeoutMs: timeout }),
  };
}

/** The plan's two backends, resolved (API keys read) only when a route must be (re)defined. */
export function backendsSource(baseline: BackendConfig, candidate: BackendConfig): BackendsSource {
  return () => ({ baseline: resolveBackend(baseline), candidate: resolveBackend(candidate) });
}

/** A share of traffic as the routers take it: a whole percent. */
function percentOrRefuse(field: string, percent: number): number {
  if (!Number.isInteger(percent) || percent < 0 || percent > 100) {
    throw ApplicationFailure.nonRetryable(
      `${field} must be a whole number 0–100, got ${percent}`,
      FailureType.InvalidRouterConfig,
    );
  }
  return percent;
}

export function createTrafficActivities(routerFor: RouterFactory = defaultRouterFactory) {
  const router = ({ router: config, route, segmentation }: RouteTarget) => routerFor(config, route, segmentation);
  const backendsOf = (input: PrepareRouteInput) => backendsSource(input.baseline, input.candidate);
  return {
    async prepareRoute(input: PrepareRouteInput): Promise<TrafficState> {
      return router(input).defineBackends(resolveBackend(input.baseline), resolveBackend(input.candidate));
    },
    async setCandidateWeight(input: SetCandidateWeightInput): Promise<TrafficState> {
      const candidate = percentOrRefuse('candidatePercent', input.candidatePercent);
      const weights = { baseline: 100 - candidate, candidate };
      if (!input.cohort) return router(input).setWeights(weights);
      const inCohort = percentOrRefuse('cohort.candidatePercent', input.cohort.candidatePercent);
      const target = router(input);
      if (!target.setCohortWeights)
        throw cohortsNeedTheGateway(`the plan's ${input.router.kind} router cannot route a cohort`);
      return target.setCohortWeights(weights, {
        match: input.cohort.match,
        weights: { baseline: 100 - inCohort, candidate: inCohort },
      });
    },
    async setShadow(input: SetShadowInput): Promise<TrafficState> {
      return router(input).setShadow({
        enabled: input.enabled,
        target: input.enabled ? input.target : null,
        share: input.share,
      });
    },
    async stopShadow(input: RouteTarget): Promise<TrafficState> {
      return router(input).setShadow({ enabled: false, target: null, share: 0 });
    },
    async restoreBaselineWeights(input: RouteTarget): Promise<TrafficState> {
      return router(input).setWeights({ baseline: 100, candidate: 0 });
    },
    async reconcileTraffic(input: ReconcileTrafficInput): Promise<ReconcileTrafficResult> {
      return reconcileTraffic(router(input), backendsOf(input), input.desired);
    },
    async restoreBaseline(input: RestoreBaselineInput): Promise<RestoreBaselineResult> {
      return restoreBaseline(router(input), backendsOf(input));
    },
    async retireBaseline(input: RouteTarget & { candidate: BackendConfig }): Promise<TrafficState> {
      return router(input).retireBaseline(resolveBackend(input.candidate));
    },
    async reinstateBaseline(input: ReinstateBaselineInput): Promise<TrafficState> {
      return reinstateBaseline(router(input), backendsOf(input), input.promoted);
    },
    async markRolloutStage(input: MarkRolloutStageInput): Promise<TrafficState> {
      return router(input).markRollout({ rollout: input.rolloutId, stage: input.stage });
    },
  };
}

// A traffic layer the rollout can steer: our gateway (the embedded default), HAProxy, or a
// Kubernetes route object (Gateway API HTTPRoute, Istio VirtualService). Every
// operation is idempotent and returns the state it leaves behind.
import { ApplicationFailure } from '@temporalio/common';
import type { CohortMatch } from '../../lib/cohort-match';
import { FailureType } from '../../workflows/failure-types';
import type { ConfigBundle } from '../../lib/config-bundle';
import type { TrafficState } from '../contract';

export interface ResolvedBackend {
  baseUrl: string;
  model: string;
  apiKey?: string;
  /** Given to a traffic layer that counts spend (the gateway); absent when the plan prices nothing. */
  pricing?: { inputPer1k: number; outputPer1k: number };
  /** The backend's configuration bundle, for a layer that applies it (the gateway) and the golden eval. */
  config?: ConfigBundle;
  /** A pool: the members the gateway splits this side's traffic over, each with its API key read. */
  members?: Array<{ name: string; baseUrl: string; model?: string; apiKey?: string; weight: number }>;
}

export interface TrafficRouter {
  /** Puts both backends on the route without moving traffic onto the candidate. */
  defineBackends(baseline: ResolvedBackend, candidate: ResolvedBackend): Promise<TrafficState>;
  setWeights(weights: TrafficState['weights']): Promise<TrafficState>;
  /**
   * The route's weights and a cohort split by weights of its own, in one change. Only a layer
   * that can tell a cohort's requests apart has it (the gateway); the others leave it out.
   */
  setCohortWeights?(weights: TrafficState['weights'], cohort: CohortWeights): Promise<TrafficState>;
  setShadow(shadow: TrafficState['shadow']): Promise<TrafficState>;
  read(): Promise<TrafficState>;
  /**
   * The route's backends (upstreams, bundles, pools) and whatever else the rollout puts in its
   * definition, put back where the layer holds something else, weights and mirroring kept. Says
   * what differed, and writes nothing when nothing did. Only a layer whose route carries more than
   * weights has it (the gateway); on the others the backends are theirs to define.
   */
  reassertDefinition?(baseline: ResolvedBackend, candidate: ResolvedBackend): Promise<ReassertedDefinition>;
  /** After promotion: the candidate becomes the route's only (baseline) backend. */
  retireBaseline(candidate: ResolvedBackend): Promise<TrafficState>;
  /** Which rollout is in which stage, for dashboards; a layer with nowhere to keep it only reads its state. */
  markRollout(marker: RolloutMarker): Promise<TrafficState>;
}

export interface ReassertedDefinition {
  state: TrafficState;
  /** One phrase per part that differed from the plan's definition; empty when the layer had it. */
  differed: string[];
}

export interface CohortWeights {
  match: CohortMatch;
  weights: TrafficState['weights'];
}

/** The refusal for a cohort on a traffic layer without setCohortWeights; `detail` says which. */
export function cohortsNeedTheGateway(detail: string): ApplicationFailure {
  return ApplicationFailure.nonRetryable(
    `cohorts need the llm-rollout gateway router: ${detail}`,
    FailureType.InvalidRouterConfig,
  );
}

export interface RolloutMarker {
  rollout: string;
  /** The stage id, or the outcome once the rollout is over. */
  stage: string;
}

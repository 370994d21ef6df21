// A traffic layer the rollout can steer: our gateway (the embedded default), HAProxy, or a
// Kubernetes route object (Gateway API HTTPRoute, Istio VirtualService). Every
// operation is idempotent and returns the state it leaves behind.
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
}

export interface TrafficRouter {
  /** Puts both backends on the route without moving traffic onto the candidate. */
  defineBackends(baseline: ResolvedBackend, candidate: ResolvedBackend): Promise<TrafficState>;
  setWeights(weights: TrafficState['weights']): Promise<TrafficState>;
  setShadow(shadow: TrafficState['shadow']): Promise<TrafficState>;
  read(): Promise<TrafficState>;
  /** After promotion: the candidate becomes the route's only (baseline) backend. */
  retireBaseline(candidate: ResolvedBackend): Promise<TrafficState>;
  /** Which rollout is in which stage, for dashboards; a layer with nowhere to keep it only reads its state. */
  markRollout(marker: RolloutMarker): Promise<TrafficState>;
}

export interface RolloutMarker {
  rollout: string;
  /** The stage id, or the outcome once the rollout is over. */
  stage: string;
}

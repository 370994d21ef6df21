// A traffic layer the rollout can steer: our gateway (the embedded default) or HAProxy. Every
// operation is idempotent and returns the state it leaves behind.
import type { TrafficState } from '../contract';

export interface ResolvedBackend {
  baseUrl: string;
  model: string;
  apiKey?: string;
}

export interface TrafficRouter {
  /** Puts both backends on the route without moving traffic onto the candidate. */
  defineBackends(baseline: ResolvedBackend, candidate: ResolvedBackend): Promise<TrafficState>;
  setWeights(weights: TrafficState['weights']): Promise<TrafficState>;
  setShadow(shadow: TrafficState['shadow']): Promise<TrafficState>;
  read(): Promise<TrafficState>;
  /** After promotion: the candidate becomes the route's only (baseline) backend. */
  retireBaseline(candidate: ResolvedBackend): Promise<TrafficState>;
}

// Metrics for workflow tests, as a function of where the router has traffic: healthy figures,
// or a regression whenever the traffic state matches a condition (e.g. "candidate at 25%").
import type { TrafficState } from '../../activities/contract';
import type { FiguresReader } from '../../activities/metrics/judge-window';
import type { TrafficFigures } from '../../judge/traffic-figures';

export const healthy: TrafficFigures = {
  requests: 1_000,
  errors: 10,
  errorRate: 0.01,
  p50LatencySeconds: 0.3,
  p99LatencySeconds: 0.9,
  p99TimeToFirstTokenSeconds: 0.25,
  promptTokensPerRequest: 120,
  completionTokensPerRequest: 200,
  refusalRate: 0.01,
  schemaAdherence: 0.99,
};

export const regressed: TrafficFigures = { ...healthy, errors: 90, errorRate: 0.09 };
export const noTraffic: TrafficFigures = {
  requests: null,
  errors: null,
  errorRate: null,
  p50LatencySeconds: null,
  p99LatencySeconds: null,
  p99TimeToFirstTokenSeconds: null,
  promptTokensPerRequest: null,
  completionTokensPerRequest: null,
  refusalRate: null,
  schemaAdherence: null,
};

export interface FiguresScript {
  /** Candidate figures when this returns true for the current traffic state. */
  regressWhen?: (state: TrafficState) => boolean;
  candidate?: TrafficFigures;
  baseline?: TrafficFigures;
  /** Throw on every read (metrics unavailable). */
  failing?: boolean;
}

export function scriptedFigures(
  stateOf: (route: string) => TrafficState,
  scripts: Map<string, FiguresScript>,
): FiguresReader {
  return async (request) => {
    const script = scripts.get(request.route) ?? {};
    if (script.failing) throw new Error('simulated Prometheus outage');
    const state = stateOf(request.route);
    const candidate = script.regressWhen?.(state) ? regressed : (script.candidate ?? healthy);
    return { baseline: script.baseline ?? healthy, candidate };
  };
}

// The production FiguresReader: the gateway's series in Prometheus, read by canary-metrics.ts.
import type { TrafficFigures } from '../../judge/traffic-figures';
import { readCanaryWindow, type BackendWindowFigures } from './canary-metrics';
import type { FiguresReader } from './judge-window';

// Prometheus needs a window of at least a couple of scrapes to compute increase().
const MIN_WINDOW_SECONDS = 5;

export function toTrafficFigures(side: BackendWindowFigures): TrafficFigures {
  return {
    requests: side.requestCount,
    errors: side.errorCount,
    errorRate: side.errorRate,
    p50LatencySeconds: side.latencyP50Ms === null ? null : side.latencyP50Ms / 1000,
    p99LatencySeconds: side.latencyP99Ms === null ? null : side.latencyP99Ms / 1000,
    p99TimeToFirstTokenSeconds: side.timeToFirstTokenP99Ms === null ? null : side.timeToFirstTokenP99Ms / 1000,
    promptTokensPerRequest: side.meanPromptTokens,
    completionTokensPerRequest: side.meanCompletionTokens,
    refusalRate: side.refusalRate,
    schemaAdherence: side.invalidJsonRate === null ? null : 1 - side.invalidJsonRate,
  };
}

export const readPrometheusFigures: FiguresReader = async (request) => {
  const seconds = Math.max(MIN_WINDOW_SECONDS, Math.round((request.endMs - request.startMs) / 1000));
  const figures = await readCanaryWindow({
    prometheusUrl: request.prometheusUrl,
    route: request.route,
    window: { endMs: request.endMs, seconds },
    baseline: request.baseline,
    candidate: request.candidate,
  });
  return { baseline: toTrafficFigures(figures.baseline), candidate: toTrafficFigures(figures.candidate) };
};

// What one backend did over one window, as read from the gateway's Prometheus series. null means
// "no data" (no series, or nothing to divide by): it is never read as 0.
export interface TrafficFigures {
  requests: number | null;
  errors: number | null;
  errorRate: number | null;
  p50LatencySeconds: number | null;
  p99LatencySeconds: number | null;
  /** Streamed answers only; null when nothing was streamed. */
  p99TimeToFirstTokenSeconds: number | null;
  promptTokensPerRequest: number | null;
  completionTokensPerRequest: number | null;
  refusalRate: number | null;
  /** Share of JSON-requesting answers that parsed as JSON; null when no request asked for JSON. */
  schemaAdherence: number | null;
}

// How a data-plane worker sends an exchange to the primary (cluster-messages.ts, traffic-batch.ts):
// a positional array rather than an object, so a batch carries no key names. That halves what the
// worker serializes and the primary parses for every request of a multi-process gateway.
import type { Exchange } from './exchange-recorder';
import type { TrafficMode } from './metrics';

export type WireExchange = [
  route: string,
  backend: string,
  model: string,
  mode: TrafficMode,
  status: number,
  latencyMs: number,
  ttftMs: number | null,
  promptTokens: number,
  completionTokens: number,
  refusal: boolean,
  validJson: boolean | null,
  requestId: string,
  at: string,
  stickyBucket: number | null,
  // Absent from workers that predate cohorts.
  cohort?: boolean,
];

export function encodeExchange(e: Exchange): WireExchange {
  return [
    e.route,
    e.backend,
    e.model,
    e.mode,
    e.status,
    e.latencyMs,
    e.ttftMs,
    e.promptTokens,
    e.completionTokens,
    e.refusal,
    e.validJson,
    e.requestId,
    e.at,
    e.stickyBucket,
    e.cohort,
  ];
}

export function decodeExchange(w: WireExchange): Exchange {
  return {
    route: w[0],
    backend: w[1],
    model: w[2],
    mode: w[3],
    status: w[4],
    latencyMs: w[5],
    ttftMs: w[6],
    promptTokens: w[7],
    completionTokens: w[8],
    refusal: w[9],
    validJson: w[10],
    requestId: w[11],
    stickyBucket: w[13] ?? null,
    cohort: w[14] ?? false,
    at: w[12],
  };
}

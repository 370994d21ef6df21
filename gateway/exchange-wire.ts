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
  // Only on exchanges a fallback followed or answered, or made by a pool member (null when unset
  // but a later field is set); absent otherwise and from workers that predate fallbacks.
  fallbackTo?: string | null,
  fallbackFor?: string | null,
  // Only on exchanges of pooled backends (null when unset but a later field is set); absent from
  // workers that predate pools.
  member?: string | null,
  // Only on exchanges of requests with a segment (route segmentation); absent from workers that predate it.
  segment?: string,
];

export function encodeExchange(e: Exchange): WireExchange {
  const wire: WireExchange = [
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
  // Appended only when set: the exchanges without a fallback, nearly all of them, carry nothing more.
  if (e.segment !== undefined) wire.push(e.fallbackTo ?? null, e.fallbackFor ?? null, e.member ?? null, e.segment);
  else if (e.member !== undefined) wire.push(e.fallbackTo ?? null, e.fallbackFor ?? null, e.member);
  else if (e.fallbackFor !== undefined) wire.push(e.fallbackTo ?? null, e.fallbackFor);
  else if (e.fallbackTo !== undefined) wire.push(e.fallbackTo);
  return wire;
}

export function decodeExchange(w: WireExchange): Exchange {
  const exchange: Exchange = {
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
  const [fallbackTo, fallbackFor, member, segment] = [w[15], w[16], w[17], w[18]];
  if (typeof fallbackTo === 'string') exchange.fallbackTo = fallbackTo;
  if (typeof fallbackFor === 'string') exchange.fallbackFor = fallbackFor;
  if (typeof member === 'string') exchange.member = member;
  if (typeof segment === 'string') exchange.segment = segment;
  return exchange;
}

// The gateway's admin API contract, shared by the gateway server and the traffic activities'
// client so the two cannot drift. All bodies are JSON.
//
//   GET    /healthz                          -> { ok: true }
//   GET    /metrics                          -> Prometheus text format (prom-client)
//   GET    /admin/routes                     -> { routes: RouteState[] }
//   GET    /admin/routes/:route              -> RouteState                      (404 if unknown)
//   PUT    /admin/routes/:route              <- RouteDefinition  -> RouteState  (create or update
//                                               backends; existing weights and shadow are kept)
//   DELETE /admin/routes/:route              -> 204
//   PUT    /admin/routes/:route/weights      <- SetWeightsRequest -> RouteState (idempotent)
//   PUT    /admin/routes/:route/shadow       <- SetShadowRequest  -> RouteState (idempotent)
//   GET    /admin/routes/:route/records?since=SEQ&limit=N -> RecordsPage (per-request records)
//   GET    /admin/routes/:route/shadow-pairs?since=SEQ&limit=N -> ShadowPairsPage
//
// Errors: 400 { error: { type: 'invalid_request', message } } for a bad body (names the field),
// 404 { error: { type: 'route_not_found', message } }, 409 for weights naming unknown backends.
//
// Data plane: POST /v1/chat/completions and POST /v1/embeddings pick the route from the body's
// `model` field (the route name); the chosen backend's own model name is substituted upstream.
// Stickiness key: header `x-session-id`, else `x-user-id`, else the body's `user` field; without
// one, the request is assigned at random by weight. Response headers: `x-rollout-backend`,
// `x-request-id`.

export interface BackendSpec {
  /** Role name within the route, e.g. 'baseline' or 'candidate'. */
  name: string;
  /** OpenAI-compatible base URL, e.g. http://127.0.0.1:9001/v1 */
  baseUrl: string;
  /** Model name sent upstream. */
  model: string;
  /** Optional bearer token sent upstream. Never echoed back by the admin API. */
  apiKey?: string;
}

export interface RouteDefinition {
  backends: BackendSpec[];
}

export interface ShadowState {
  enabled: boolean;
  /** Backend name receiving mirrored copies; responses are discarded. */
  target: string | null;
  /** Fraction of live requests mirrored, 0..1. */
  share: number;
}

export interface RouteState {
  route: string;
  backends: Array<Omit<BackendSpec, 'apiKey'>>;
  /** Integer weights per backend name, summing to 100. */
  weights: Record<string, number>;
  shadow: ShadowState;
  /** Increases on every effective change (a no-op PUT leaves it unchanged). */
  version: number;
  updatedAt: string;
}

export interface SetWeightsRequest {
  weights: Record<string, number>;
}

export interface SetShadowRequest {
  enabled: boolean;
  target?: string;
  share?: number;
}

export interface RequestRecord {
  seq: number;
  requestId: string;
  route: string;
  backend: string;
  model: string;
  mode: 'live' | 'shadow';
  /** HTTP status (502 when the backend was unreachable or timed out). */
  status: number;
  latencyMs: number;
  /** Streamed answers: ms until the first event with generated output (time to first token); null for other answers. */
  ttftMs: number | null;
  promptTokens: number;
  completionTokens: number;
  refusal: boolean;
  /** null when the request did not ask for JSON output. */
  validJson: boolean | null;
  at: string;
}

export interface RecordsPage {
  records: RequestRecord[];
  nextSince: number;
}

export interface ShadowAnswer {
  backend: string;
  status: number;
  latencyMs: number;
  content: string | null;
  promptTokens: number;
  completionTokens: number;
}

export interface ShadowPair {
  seq: number;
  requestId: string;
  route: string;
  messages: Array<{ role: string; content: string }>;
  primary: ShadowAnswer;
  shadow: ShadowAnswer;
  at: string;
}

export interface ShadowPairsPage {
  pairs: ShadowPair[];
  nextSince: number;
}

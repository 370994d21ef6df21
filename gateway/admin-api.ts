// The gateway's admin API contract, shared by the gateway server and its one client
// (admin-client.ts) so the two cannot drift. All bodies are JSON.
//
// The admin plane has its own listener (loopback or a unix socket by default), apart from the
// data plane. Without credentials it serves only:
//   GET    /healthz                          -> { ok: true }
//   GET    /metrics                          -> Prometheus text format (prom-client)
// Everything under /admin needs `Authorization: Bearer <admin token>`; otherwise 401
// { error: { type: 'unauthorized', message } } with `WWW-Authenticate: Bearer realm="llm-rollout-gateway"`
// (the message says "missing credential" or "invalid credential", never what was sent):
//   GET    /admin/info                       -> GatewayInfo (epoch, startedAt, routes, processes)
//   GET    /admin/routes                     -> { routes: RouteState[] }
//   GET    /admin/routes/:route              -> RouteState                      (404 if unknown)
//   PUT    /admin/routes/:route              <- RouteDefinition  -> RouteState  (create or update
//                                               backends, fallback and segmentation; existing weights and
//                                               shadow are kept; a definition without `fallback` or
//                                               `segmentation` removes it)
//   DELETE /admin/routes/:route              -> 204
//   PUT    /admin/routes/:route/weights      <- SetWeightsRequest -> RouteState (idempotent; an optional
//                                               `cohort` is set, or cleared with null, in the same change)
//   PUT    /admin/routes/:route/shadow       <- SetShadowRequest  -> RouteState (idempotent)
//   PUT    /admin/routes/:route/rollout      <- RolloutMarker     -> RouteState (idempotent; which
//                                               rollout is in which stage on the route, for dashboards)
//   PUT    /admin/routes/:route/capture      <- SetCaptureRequest -> RouteState (idempotent; the setting is
//                                               replaced whole; kept when the route is redefined)
//   GET    /admin/routes/:route/records?since=SEQ&epoch=EPOCH&limit=N -> RecordsPage (per-request records)
//   GET    /admin/routes/:route/shadow-pairs?since=SEQ&epoch=EPOCH&limit=N -> ShadowPairsPage
//   GET    /admin/routes/:route/answer-samples?since=SEQ&epoch=EPOCH&limit=N -> AnswerSamplesPage
//                                               (answers kept as text: every k-th per backend; none when sampling is off)
//   GET    /admin/routes/:route/captures?since=SEQ&epoch=EPOCH&limit=N -> CapturesPage
//                                               (live chat requests kept, redacted, for replay; none when capture is off)
//   GET    /admin/routes/:route/feedback?since=SEQ&epoch=EPOCH&limit=N -> FeedbackPage
//                                               (user feedback sent to POST /v1/feedback, each event attributed
//                                               to the backend that answered; lib/feedback-event.ts)
// Paging (all five): pass back `nextSince` and the page's `epoch`. Seqs restart in every gateway process;
// when `epoch` names another process, the page starts at the current process's first entry
// (since is read as 0) and says `restarted: true`. `lost` counts entries after `since` (all
// routes, global seq) the ring buffer overwrote before they were read.
// A mutation (PUT/DELETE) answers only after the change is written to the state file, when the
// gateway has one; a failed write is a 500 { error: { type: 'state_not_saved' } }.
//
// Errors: 400 { error: { type: 'invalid_request', message } } for a bad body (names the field),
// 404 { error: { type: 'route_not_found', message } }, 409 for weights naming unknown backends.
//
// Data plane (its own listener): only POST /v1/chat/completions, POST /v1/embeddings, POST /v1/feedback,
// GET /v1/models and GET /healthz; anything else is a 404. The first two POSTs pick the route from the body's
// `model` field (the route name); the chosen backend's own model name is substituted upstream.
// Stickiness key: header `x-session-id`, else `x-user-id`, else the body's `user` field; without
// one, the request is assigned at random by weight. A request the route's cohort matches is assigned
// by the cohort's weights instead (same sticky buckets), and its records say `cohort: true`.
// A route with `segmentation` (RouteSegmentation) tags each live request's records with its segment
// (`segment`: the header's value, the metadata tag, or the last user message's language), as do its
// shadow copy and fallback attempts; a request without a value gets none, and so does every record of
// a route without segmentation.
// Response headers: `x-rollout-backend`, `x-request-id`; an answer from the route's fallback
// (RouteFallback) also has `x-rollout-fallback-from: <the backend that failed>`.
// POST /v1/feedback <- FeedbackRequest -> 202 { accepted: true }: one piece of user feedback on an
// answer of the route `model`, attributed by the request id the answer came with, or by the user's
// sticky assignment under the route's current weights (its cohort's, when the user is in it); 400
// invalid_request naming the field for a bad body, 404 route_not_found. Accepted is not recorded:
// feedback by request id whose id the gateway does not know (never answered on that route, or
// forgotten: the index keeps the last --feedback-index-capacity live requests) or that repeats a
// kind the request already got is dropped, counted in llm_gateway_feedback_dropped_total.
import type { AnswerSample } from '../lib/answer-sample';
import type { CaptureEntry } from '../lib/capture-entry';
import type { CohortMatch } from '../lib/cohort-match';
import type { ConfigBundle } from '../lib/config-bundle';
import type { FeedbackEvent } from '../lib/feedback-event';
import type { RequestRecord } from '../lib/request-record';
import type { SegmentRule } from '../lib/segment-rule';
import type { ShadowPair } from '../lib/shadow-pair';

// The pair shape lives below the gateway so the evals read it without importing the gateway.
export type { ShadowAnswer, ShadowPair } from '../lib/shadow-pair';
export type { RequestRecord } from '../lib/request-record';
export type { AnswerSample } from '../lib/answer-sample';
export type { CaptureEntry, CapturedParams } from '../lib/capture-entry';
export type { FeedbackEvent, FeedbackKind } from '../lib/feedback-event';

export interface BackendSpec {
  /** Role name within the route, e.g. 'baseline' or 'candidate'. */
  name: string;
  /** OpenAI-compatible base URL, e.g. http://127.0.0.1:9001/v1 */
  baseUrl: string;
  /** Model name sent upstream. */
  model: string;
  /** Optional bearer token sent upstream. Never echoed back by the admin API. */
  apiKey?: string;
  /** What the backend's tokens cost; the gateway then counts spend per series (llm_gateway_cost_usd_total). */
  pricing?: TokenPricing;
  /**
   * Applied to every chat request sent to this backend: system prompt, sampling, tools, extra
   * fields (lib/config-bundle.ts). Embeddings requests are forwarded without it.
   */
  config?: ConfigBundle;
  /**
   * A pool: the endpoints that serve this backend (GPU pools, regions), 1–16, picked per request by
   * their weights (sticky by session/user, backend-pool.ts). Requests go to the chosen member's
   * baseUrl, with its model (default: the backend's `model`) and its apiKey (default: the backend's);
   * the backend's `baseUrl` is then not called, `config` and `pricing` apply to every member, and
   * the route's weights, records and series stay the backend's (records name the member too).
   */
  members?: PoolMember[];
}

/** One endpoint of a pooled backend (BackendSpec.members). */
export interface PoolMember {
  /** Unique within the backend; same pattern as backend names (it is a metric label). */
  name: string;
  baseUrl: string;
  /** Model name sent upstream; default the backend's. */
  model?: string;
  /** Bearer token for this member; default the backend's. Never echoed back by the admin API. */
  apiKey?: string;
  /** Integer >= 0; the member's share of the backend's requests is weight / sum of weights (at least one > 0). */
  weight: number;
}

/** USD per 1,000 tokens. */
export interface TokenPricing {
  inputPer1k: number;
  outputPer1k: number;
}

export interface RouteDefinition {
  backends: BackendSpec[];
  /** Where a live request goes when its backend fails before answering; absent: nowhere (and removed). */
  fallback?: RouteFallback;
  /** What segment each request's records are tagged with; absent or null: none (and removed). */
  segmentation?: RouteSegmentation | null;
}

/**
 * The segment a request belongs to, for verdicts per segment (lib/segment-rule.ts, the plan's
 * `stages.canary.segments.by`): `{header: name}` the header's first value, `{metadata: key}` the
 * body's `metadata[key]` when it is a string, `{language: true}` the ISO 639-3 code ('eng', 'spa', …)
 * of the last user message's text when it is long enough to tell (gateway/request-language.ts).
 * Values are trimmed and cut to 64 characters; an empty one is no segment.
 */
export type RouteSegmentation = SegmentRule;

/**
 * A backend outside the route's weights that answers a live request in place of the chosen backend
 * when that one fails before the first byte reached the client: connection refused or reset, no
 * answer within the upstream timeout, or a 5xx status. Never for a 4xx, a client that went away
 * (499), a shadow copy, or an answer already being relayed (a stream cut after its first chunk).
 * The client gets the fallback's answer, or the last fallback attempt's failure when every attempt
 * failed. Its name is its own (no backend of the route may have it), so its records and series are
 * counted apart and the failed backend's own record keeps the status it failed with.
 */
export interface RouteFallback {
  backend: BackendSpec;
  /** Attempts on the fallback, 1–3 (default 1); a failed one is followed by the next under the same rules. */
  maxAttempts?: number;
  /** Deadline of each fallback attempt in ms; default the gateway's upstream timeout. */
  timeoutMs?: number;
}

/**
 * A backend as the admin API shows it: never its apiKey; `configDigest` names the bundle the
 * gateway applies (sha256 of its canonical JSON).
 */
export type ShownBackend = Omit<BackendSpec, 'apiKey' | 'members'> & {
  configDigest?: string;
  members?: ShownPoolMember[];
};

/** A pool member as the admin API shows it: never its apiKey. */
export type ShownPoolMember = Omit<PoolMember, 'apiKey'>;

/** A route's fallback as the admin API shows it: the backend as backends are shown, maxAttempts filled in. */
export interface FallbackState {
  backend: ShownBackend;
  maxAttempts: number;
  timeoutMs?: number;
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
  backends: ShownBackend[];
  /** Integer weights per backend name, summing to 100. */
  weights: Record<string, number>;
  shadow: ShadowState;
  /** The rollout last marked on the route and its stage (or outcome); null when none was. */
  rollout: RolloutMarker | null;
  /** Requests this rule matches are assigned by its own weights instead of `weights`; null: none. */
  cohort: CohortRule | null;
  /** Answers live requests whose backend failed before answering (RouteFallback); null: none. */
  fallback: FallbackState | null;
  /** Live chat requests kept (redacted) for replay (SetCaptureRequest); null: capture is off. */
  capture: CaptureSetting | null;
  /** What segment each request's records are tagged with (RouteSegmentation); null: none. */
  segmentation: RouteSegmentation | null;
  /** Increases on every effective change (a no-op PUT leaves it unchanged). */
  version: number;
  updatedAt: string;
}

export interface SetWeightsRequest {
  weights: Record<string, number>;
  /** Set with the weights, atomically: absent leaves the route's cohort as it is, null clears it. */
  cohort?: CohortRule | null;
}

/**
 * A chosen cohort (lib/cohort-match.ts) routed by weights of its own, so a rollout can expose the
 * candidate to it first. `weights` are per backend name, integers summing to 100, like a route's.
 */
export interface CohortRule {
  match: CohortMatch;
  weights: Record<string, number>;
}

/**
 * Which rollout is in which stage on the route (the stage id, or its outcome once it ended). The
 * gateway exports it as llm_gateway_rollout_stage, which dashboards draw as annotations.
 */
export interface RolloutMarker {
  rollout: string;
  stage: string;
}

export interface SetShadowRequest {
  enabled: boolean;
  target?: string;
  share?: number;
}

/** The built-in patterns a capture can mask in message text; each match becomes `[<name>]`, e.g. `[email]`. */
export const CAPTURE_MASKS = ['email', 'phone', 'card', 'ipv4', 'apiKey'] as const;
export type CaptureMask = (typeof CAPTURE_MASKS)[number];

/** A custom pattern: every match of `regex` (JavaScript syntax, applied globally) becomes `replacement`. */
export interface CapturePattern {
  regex: string;
  /** Default '[redacted]'. */
  replacement?: string;
}

export interface CaptureRedaction {
  /**
   * Top-level request body fields removed before the request is kept (e.g. 'user', 'metadata',
   * 'max_tokens'); 'messages' cannot be dropped. Absent: ['user', 'metadata'].
   */
  dropFields?: string[];
  /** Built-in patterns replaced in every message's text (and in `user` when it is kept). */
  mask?: CaptureMask[];
  /** At most 20, each regex at most 200 characters; applied after the built-in masks. */
  patterns?: CapturePattern[];
}

export interface SetCaptureRequest {
  enabled: boolean;
  /** Share of live chat requests kept, 0 < share <= 1 (default 1); only with enabled: true. */
  share?: number;
  /** Only with enabled: true; absent: the defaults (dropFields ['user', 'metadata'], nothing masked). */
  redact?: CaptureRedaction;
}

/** A route's capture as the admin API shows it and the state file keeps it: every default filled in. */
export interface CaptureSetting {
  share: number;
  redact: { dropFields: string[]; mask: CaptureMask[]; patterns: Array<Required<CapturePattern>> };
}

export interface GatewayInfo {
  /** This gateway process's id; records, shadow pairs and answer samples carry it with their seq. */
  epoch: string;
  startedAt: string;
  /** Routes currently defined. */
  routes: number;
  processes: ProcessesInfo;
}

/** The data-plane worker processes of a multi-process gateway (`--processes N`); all 0 for one process. */
export interface ProcessesInfo {
  /** Workers the gateway runs (N). */
  workers: number;
  /** Workers serving now (started, holding the current route table). */
  alive: number;
  /** Workers restarted since the gateway started (died, or killed for not applying a route change in time). */
  restarts: number;
}

/** Shared by both pages: where to continue and what the reader missed. */
export interface PageCursor {
  /** The current gateway process's epoch: pass it back with `nextSince`. */
  epoch: string;
  nextSince: number;
  /** The `epoch` asked for was another process's: this page starts at this process's first entry. */
  restarted: boolean;
  /** Entries after `since` (global seq, all routes) already overwritten; after a restart, this epoch's overwritten entries. */
  lost: number;
}

export interface RecordsPage extends PageCursor {
  records: RequestRecord[];
}

export interface ShadowPairsPage extends PageCursor {
  pairs: ShadowPair[];
}

export interface AnswerSamplesPage extends PageCursor {
  samples: AnswerSample[];
}

export interface CapturesPage extends PageCursor {
  captures: CaptureEntry[];
}

export interface FeedbackPage extends PageCursor {
  feedback: FeedbackEvent[];
}

/**
 * The body of POST /v1/feedback (data plane). No other field is accepted. Who the feedback is from
 * is given by exactly one of `request_id` and `user`; what it says, by exactly one of `thumbs`,
 * `score` and `conversion`.
 */
export interface FeedbackRequest {
  /** The route, as in the chat request's `model`. */
  model: string;
  /** The `x-request-id` the gateway returned with the answer: the feedback goes to the backend that gave it. */
  request_id?: string;
  /**
   * The user, as the chat requests' stickiness key: the `x-session-id` or `x-user-id` header when
   * sent (as with the chat requests), else this. Instead of `user`, the header alone may say it.
   * The feedback goes to the backend the route's current split gives that key.
   */
  user?: string;
  /** Read only to place the user in the route's cohort, as a chat request's `metadata` is. */
  metadata?: Record<string, unknown>;
  /** Recorded as 1 (up) or 0 (down). */
  thumbs?: 'up' | 'down';
  /** Any finite number in -1e6..1e6. */
  score?: number;
  /** Recorded as 1. */
  conversion?: true;
}

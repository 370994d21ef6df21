// Prometheus series exported by the gateway. The PromQL reader in activities/metrics builds its
// queries from these names; keep both sides on this one definition.
// Labels on every series: route, backend, model, mode ('live' | 'shadow').
export const GATEWAY_METRICS = {
  /** Counter; extra label `code` (HTTP status returned, or upstream status for shadow; '502' when unreachable). */
  requests: 'llm_gateway_requests_total',
  /** Histogram in seconds. */
  duration: 'llm_gateway_request_duration_seconds',
  /** Histogram in seconds, streamed answers only: time to the first event with generated output. */
  timeToFirstToken: 'llm_gateway_time_to_first_token_seconds',
  /** Counter; extra label `kind` ('prompt' | 'completion'). */
  tokens: 'llm_gateway_tokens_total',
  /** Counter of successful (2xx) responses with a flag; extra label `flag` ('refusal' | 'invalid_json'). */
  flagged: 'llm_gateway_responses_flagged_total',
  /** Counter of successful responses to requests that asked for JSON output (the denominator for invalid_json). */
  jsonRequested: 'llm_gateway_json_requests_total',
  /** Counter of USD spent, from the tokens and the backend's pricing (backends defined without pricing add nothing). */
  cost: 'llm_gateway_cost_usd_total',
  /** Gauge; labels route, backend. */
  weight: 'llm_gateway_backend_weight',
  /** Gauge; label route. */
  shadowShare: 'llm_gateway_shadow_share',
  /** Gauge, 1 while a rollout is in a stage; labels route, rollout, stage (rollout-marker.ts). */
  rolloutStage: 'llm_gateway_rollout_stage',
  /**
   * Counter of attempts on a route's fallback; labels route, from (the backend that failed), to (the
   * fallback). The fallback's answers are also counted under its own `backend` in the series above.
   */
  fallbacks: 'llm_gateway_fallbacks_total',
  /**
   * Counter of upstream requests to the members of pooled backends (BackendSpec.members); labels
   * route, backend, member, mode, code. Series of their own rather than a `member` label on the
   * series above, so those keep their label sets (and every query and dashboard built on them) for
   * every route, pooled or not; a pool's requests are counted in both.
   */
  memberRequests: 'llm_gateway_member_requests_total',
  /** Histogram in seconds of the same requests; labels route, backend, member, mode. */
  memberDuration: 'llm_gateway_member_request_duration_seconds',
  /**
   * Counter of user feedback events recorded (POST /v1/feedback); labels route, backend (the one
   * the event is attributed to), kind ('thumbs' | 'score' | 'conversion'). Not the series above's labels.
   */
  feedback: 'llm_gateway_feedback_total',
  /**
   * Sum of the recorded events' values, same labels: thumbs up (1 each; downs add 0), the scores
   * given, conversions (1 each). A gauge, since scores may be negative: read it with delta(), not
   * rate(); divided by llm_gateway_feedback_total it is the mean value (the share of ups for thumbs).
   */
  feedbackValue: 'llm_gateway_feedback_value_sum',
  /**
   * Counter of feedback by request id that was not recorded; labels route, reason ('unknown_request':
   * the id is unknown, forgotten or was answered on another route | 'duplicate': the request already
   * had feedback of that kind).
   */
  feedbackDropped: 'llm_gateway_feedback_dropped_total',
} as const;

export const DURATION_BUCKETS_SECONDS = [0.01, 0.025, 0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1, 1.5, 2.5, 5, 10, 30];

// One request as the gateway records it and the statistical judge reads it
// (GET /admin/routes/:route/records): the wire shape both sides agree on.

export interface RequestRecord {
  seq: number;
  /** The gateway process that recorded it (seqs restart in every process). */
  epoch: string;
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
  /**
   * The sticky-routing bucket (0–9999) of the request's session or user key, null when it had
   * none (then it was routed at random, on its own). Absent from gateways that predate it.
   */
  stickyBucket?: number | null;
  /**
   * The request was in the route's cohort (assigned by the cohort's weights); a shadow copy's
   * record carries its live request's flag.
   */
  cohort: boolean;
  /**
   * This live exchange failed before its answer reached the client and the route's fallback was
   * asked instead: its name. The record keeps the status it failed with, so it is still judged as
   * this backend's failure. Absent when no fallback followed.
   */
  fallbackTo?: string;
  /**
   * This live exchange was a fallback attempt, answering for the backend named here (`backend` is
   * the fallback's own name). Absent on every other record.
   */
  fallbackFor?: string;
  /**
   * The request's segment under the route's segment rule (RouteSegmentation: a header's value, a
   * tag in the body's metadata, or the ISO 639-3 code of the last user message's language), cut to
   * 64 characters; absent when the route has no rule or the request carried no value (or too little
   * text to tell its language). A shadow copy's record and a fallback attempt's carry their live
   * request's segment.
   */
  segment?: string;
  /**
   * The pool member (BackendSpec.members) that answered, when `backend` is a pool; `model` is then
   * the model sent to that member. Absent for backends without members.
   */
  member?: string;
  at: string;
}

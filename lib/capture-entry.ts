// A live chat request the gateway captured for replay (GET /admin/routes/:route/captures), redacted
// before it was kept: the wire shape the gateway, `rollout capture` and the replay stage agree on.
// It holds what a replay needs to send the request again and nothing else: no headers, no API key,
// no answer.

/** The request's sampling fields, as the client sent them; a field the client did not send is absent. */
export interface CapturedParams {
  temperature?: number;
  top_p?: number;
  max_tokens?: number;
  /** JSON mode and structured outputs change what a backend answers, so a replay must send it too. */
  response_format?: unknown;
}

export interface CaptureEntry {
  seq: number;
  /** The gateway process that kept it (seqs restart in every process). */
  epoch: string;
  route: string;
  requestId: string;
  at: string;
  /** The request's messages in order, text content only, after redaction. */
  messages: Array<{ role: string; content: string }>;
  params: CapturedParams;
  /** The client's `user` field (masked like the messages); only when the route's dropFields do not name it. */
  user?: string;
  /** The client's `metadata` field; only when the route's dropFields do not name it. */
  metadata?: unknown;
}

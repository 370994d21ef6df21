// User feedback as the gateway records it (POST /v1/feedback on the data plane) and the A/B
// experiment's judge reads it (GET /admin/routes/:route/feedback): the wire shape both sides agree on.
// Each event is attributed by the gateway to the backend that answered: by the request id it
// returned (`x-request-id`), or by the user's sticky assignment under the route's current split.

export const FEEDBACK_KINDS = ['thumbs', 'score', 'conversion'] as const;
export type FeedbackKind = (typeof FEEDBACK_KINDS)[number];

export interface FeedbackEvent {
  /** Its place in the gateway's feedback log (all routes): page on with it as `since`. */
  seq: number;
  /** The gateway process that recorded it (seqs restart in every process). */
  epoch: string;
  /** The route the feedback named (its `model`). */
  route: string;
  /** The backend the feedback is attributed to (the one that answered). */
  backend: string;
  /** The request id (`x-request-id`) it refers to; null when it was attributed by user. */
  requestId: string | null;
  kind: FeedbackKind;
  /** thumbs: 1 up, 0 down; score: the score given; conversion: 1. */
  value: number;
  /** When the gateway received the feedback (ISO 8601, UTC). */
  at: string;
}

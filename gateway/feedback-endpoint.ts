// POST /v1/feedback on the data plane: one piece of user feedback (thumbs, a score or a
// conversion) on the answers of a route, for A/B experiments that judge backends by what users
// say. It is attributed to a backend in one of two ways (admin-api.ts, FeedbackRequest):
// - by `request_id`, the `x-request-id` the gateway returned with the answer: resolved where the
//   records live (the FeedbackRecorder of the one process, or of the primary, which the workers
//   forward the feedback to), from the index of recent live records; unknown ids and repeated
//   kinds are dropped there and counted;
// - by `user`, the chat requests' stickiness key (the x-session-id / x-user-id headers win over the
//   body's `user`, exactly as for a chat request): resolved right here, statelessly, as the
//   backend the key's bucket is assigned under the route's current weights (its cohort's when the
//   request is in the cohort). Never at random: a key that cannot be bucketed is a 400.
// The answer is 202 { accepted: true } either way; nothing of the body is echoed.
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import { FEEDBACK_KINDS, type FeedbackKind } from '../lib/feedback-event';
import { REQUEST_ID_PATTERN, inRouteCohort, type DataPlaneDeps } from './data-plane';
import { InvalidRequestError, RouteNotFoundError } from './errors';
import { isoNow } from './exchange-recorder';
import type { FeedbackOffer } from './feedback-recorder';
import { readJsonObject, sendJson } from './http-io';
import type { ResolvedRoute } from './route-table';
import { bucketOf, chooseByBucket, stickinessKey } from './stickiness';
import { parseOrThrow } from './zod-errors';

export const MAX_FEEDBACK_SCORE = 1e6;

const feedbackBodySchema = z.strictObject({
  model: z.string().min(1, 'must be a non-empty string naming a route'),
  request_id: z
    .string()
    .regex(REQUEST_ID_PATTERN, `must be the x-request-id the gateway returned (${REQUEST_ID_PATTERN.source})`)
    .optional(),
  user: z.string().min(1, 'must be a non-empty string').optional(),
  // Only for the cohort rule (a metadata tag), read as a chat request's is.
  metadata: z.record(z.string(), z.unknown()).optional(),
  thumbs: z.enum(['up', 'down'], { error: "must be 'up' or 'down'" }).optional(),
  score: z
    .number({ error: 'must be a number' })
    .min(-MAX_FEEDBACK_SCORE, `must be in -${MAX_FEEDBACK_SCORE}..${MAX_FEEDBACK_SCORE}`)
    .max(MAX_FEEDBACK_SCORE, `must be in -${MAX_FEEDBACK_SCORE}..${MAX_FEEDBACK_SCORE}`)
    .optional(),
  conversion: z.literal(true, { error: 'must be true (leave it out when there was no conversion)' }).optional(),
});

type FeedbackBody = z.output<typeof feedbackBodySchema>;

/** What the feedback says, checked: exactly one of thumbs, score and conversion. */
export function feedbackValue(body: FeedbackBody): { kind: FeedbackKind; value: number } {
  const given = FEEDBACK_KINDS.filter((field) => body[field] !== undefined);
  if (given.length === 0) throw new InvalidRequestError('thumbs', 'one of thumbs, score or conversion is required');
  if (given.length > 1)
    throw new InvalidRequestError(given[1]!, `give one of thumbs, score or conversion, not ${given.join(' and ')}`);
  const kind = given[0]!;
  if (kind === 'thumbs') return { kind, value: body.thumbs === 'up' ? 1 : 0 };
  if (kind === 'score') return { kind, value: body.score! };
  return { kind, value: 1 };
}

export async function handleFeedback(req: IncomingMessage, res: ServerResponse, deps: DataPlaneDeps): Promise<void> {
  const raw = await readJsonObject(req, deps.maxBodyBytes, deps.bodyTimeoutMs);
  const body = parseOrThrow(feedbackBodySchema, raw);
  if (body.request_id !== undefined && body.user !== undefined)
    throw new InvalidRequestError('user', 'give request_id or user, not both');
  // By request id, the identity headers a client may send with every request are not read.
  const key = body.request_id === undefined ? userKey(req, raw) : null;
  const { kind, value } = feedbackValue(body);
  const route = deps.table.resolve(body.model);
  if (!route) throw new RouteNotFoundError(body.model);

  const base = { route: route.route, kind, value, at: isoNow() };
  const offer: FeedbackOffer =
    key === null
      ? { ...base, backend: null, requestId: body.request_id! }
      : { ...base, backend: userBackend(route, req.headers, raw, key), requestId: null };
  deps.feedback.offerFeedback(offer);
  sendJson(res, 202, { accepted: true });
}

/** The stickiness key the chat requests of this user had; a 400 when there is none to bucket. */
function userKey(req: IncomingMessage, body: Record<string, unknown>): string {
  const key = stickinessKey(req.headers, body);
  if (key !== null) return key;
  if (body.user !== undefined)
    throw new InvalidRequestError('user', 'cannot be bucketed: it is blank (and no x-session-id or x-user-id header)');
  throw new InvalidRequestError(
    'request_id',
    'one of request_id or user is required (or the x-session-id or x-user-id header the chat requests had)',
  );
}

/** The backend the route assigns `key` to now: its bucket under the route's (or its cohort's) weights. */
export function userBackend(
  route: ResolvedRoute,
  headers: IncomingHttpHeaders,
  body: Record<string, unknown>,
  key: string,
): string {
  const weights = inRouteCohort(route, headers, body, key) ? route.cohort!.weights : route.weights;
  // With a bucket, the choice is the bucket's: nothing is drawn at random.
  return chooseByBucket(route.backends, weights, bucketOf(route.route, key)).name;
}

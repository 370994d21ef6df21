// Which live chat requests the gateway keeps for replay (GET /admin/routes/:route/captures): on a
// route whose capture is on, a share of them, chosen at random per request, redacted by the route's
// rules (capture-redaction.ts) before they reach the sink. Random rather than by request id: the
// client picks its x-request-id, and a client must not be able to steer its requests out of (or
// into) the dataset. Shadow copies and embeddings never come here (data-plane.ts offers only live
// chat requests). With capture off on every route a request pays one null check; with
// --capture-capacity 0 the data plane holds no capturer at all.
import type { CaptureEntry, CapturedParams } from './admin-api';
import { redactText, type CompiledCapture } from './capture-redaction';
import { isoNow } from './exchange-recorder';
import { requestMessages } from './request-messages';

/** A captured request before it is numbered and stamped with the epoch. */
export type NewCaptureEntry = Omit<CaptureEntry, 'seq' | 'epoch'>;

/** Where captures go: the TrafficLog (one process) or the worker's batch to the primary. */
export interface CaptureSink {
  addCapture(entry: NewCaptureEntry): void;
}

/** The request fields a replay needs besides the messages; kept only as the client sent them. */
const PARAM_FIELDS = ['temperature', 'top_p', 'max_tokens', 'response_format'] as const;

export class RequestCapturer {
  constructor(
    private readonly sink: CaptureSink,
    private readonly random: () => number,
  ) {}

  /** Keeps the request when it falls in the route's share. */
  offer(route: string, capture: CompiledCapture, requestId: string, body: Record<string, unknown>): void {
    if (capture.share < 1 && this.random() >= capture.share) return;
    this.sink.addCapture(capturedRequest(route, capture, requestId, body, isoNow()));
  }
}

/** The request as a capture keeps it: redacted, with only the fields a replay needs. */
export function capturedRequest(
  route: string,
  capture: CompiledCapture,
  requestId: string,
  body: Record<string, unknown>,
  at: string,
): NewCaptureEntry {
  const { drop } = capture;
  const messages = requestMessages(body).map((m) => ({ role: m.role, content: redactText(m.content, capture) }));
  const params: CapturedParams = {};
  for (const field of PARAM_FIELDS) {
    if (!drop.has(field) && body[field] !== undefined) (params as Record<string, unknown>)[field] = body[field];
  }
  const entry: NewCaptureEntry = { route, requestId, at, messages, params };
  if (!drop.has('user') && typeof body.user === 'string') entry.user = redactText(body.user, capture);
  if (!drop.has('metadata') && body.metadata !== undefined) entry.metadata = body.metadata;
  return entry;
}

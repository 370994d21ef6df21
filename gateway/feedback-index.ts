// Which backend answered each recent live request, by the request id the gateway returned
// (`x-request-id`): what feedback sent with that id (POST /v1/feedback) is attributed to. Kept
// where the records are (TrafficLog: the one process, or the primary with --processes N) and
// filled from every live record added there; bounded, first in first out, so a gateway under
// load forgets the oldest ids rather than growing (feedback for a forgotten id is dropped and
// counted). Each entry also remembers which kinds of feedback it already got, so a second one of
// the same kind is dropped as a duplicate.
import { FEEDBACK_KINDS, type FeedbackKind } from '../lib/feedback-event';

export const DEFAULT_FEEDBACK_INDEX_CAPACITY = 100_000;

/** Why feedback by request id is not recorded: the label of llm_gateway_feedback_dropped_total. */
export type FeedbackDropReason = 'unknown_request' | 'duplicate';

interface Answered {
  route: string;
  backend: string;
  /** One bit per kind (FEEDBACK_KINDS order) already recorded for this request. */
  seen: number;
}

const KIND_BITS: Record<FeedbackKind, number> = Object.fromEntries(
  FEEDBACK_KINDS.map((kind, i) => [kind, 1 << i]),
) as Record<FeedbackKind, number>;

export type Attribution = { backend: string } | { dropped: FeedbackDropReason };

export class FeedbackIndex {
  // A Map iterates in insertion order: its first key is always the oldest, the one evicted.
  private readonly entries = new Map<string, Answered>();
  /**
   * Kept from one eviction to the next: every key before it is gone, so it stands on the oldest.
   * A fresh keys() per eviction would start over at the slots of every key deleted since the table
   * was last compacted (V8 skips them one by one): ~40 µs per record at 100,000 keys, not ~0.3 µs.
   */
  private oldest: MapIterator<string> = this.entries.keys();

  constructor(readonly capacity: number = DEFAULT_FEEDBACK_INDEX_CAPACITY) {
    if (!Number.isInteger(capacity) || capacity < 1)
      throw new Error(`feedback index capacity must be a positive integer, got ${capacity}`);
  }

  /**
   * A live record of `requestId` was added. A later record of the same id replaces the entry (and
   * becomes the newest): after a fallback, the attempt that answered the client is recorded after
   * the one that failed, so the id resolves to the backend whose answer the client got.
   */
  note(requestId: string, route: string, backend: string): void {
    const { entries } = this;
    entries.delete(requestId);
    entries.set(requestId, { route, backend, seen: 0 });
    if (entries.size > this.capacity) entries.delete(this.nextOldest());
  }

  private nextOldest(): string {
    const next = this.oldest.next();
    if (!next.done) return next.value;
    // Not reached while the map holds a key (a Map iterator sees keys added after it); restarted anyway.
    this.oldest = this.entries.keys();
    return this.oldest.next().value!;
  }

  /**
   * The backend feedback of `kind` on `route` for `requestId` is attributed to, and the kind marked
   * seen; or why it is dropped: the id is not known (never answered here, already evicted, or
   * answered on another route), or the request already has feedback of this kind.
   */
  attribute(requestId: string, route: string, kind: FeedbackKind): Attribution {
    const entry = this.entries.get(requestId);
    if (entry === undefined || entry.route !== route) return { dropped: 'unknown_request' };
    const bit = KIND_BITS[kind];
    if ((entry.seen & bit) !== 0) return { dropped: 'duplicate' };
    entry.seen |= bit;
    return { backend: entry.backend };
  }

  get size(): number {
    return this.entries.size;
  }
}

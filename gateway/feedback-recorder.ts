// Records user feedback (POST /v1/feedback, feedback-endpoint.ts) where the records are: in the
// TrafficLog's feedback ring and in the llm_gateway_feedback_* series. Feedback by user comes
// already attributed (the data plane resolved the user's sticky backend); feedback by request id is
// attributed here, from the index of live records (feedback-index.ts), or dropped and counted. In a
// multi-process gateway the workers forward every offer to the primary in their traffic batches
// (traffic-batch.ts), whose FeedbackRecorder records it, as ExchangeRecorder does exchanges.
import type { FeedbackKind } from '../lib/feedback-event';
import type { GatewayMetrics } from './metrics';
import type { TrafficLog } from './traffic-log';

interface OfferBase {
  route: string;
  kind: FeedbackKind;
  value: number;
  /** When the data plane received it. */
  at: string;
}

/**
 * Feedback as the data plane hands it on: attributed by user (`backend` set, no request id) or
 * to be attributed by request id where the records live (`backend` null). Plain JSON, as it
 * crosses the worker channel.
 */
export type FeedbackOffer =
  (OfferBase & { backend: string; requestId: null }) | (OfferBase & { backend: null; requestId: string });

/** Where the data plane puts feedback: recorded here (one process) or forwarded to the primary. */
export interface FeedbackSink {
  offerFeedback(offer: FeedbackOffer): void;
}

/**
 * How long the multi-process primary waits before it drops feedback whose request id it does not
 * know yet. The answer's record and the feedback may come from different workers, each batching
 * for up to 25 ms (traffic-batch.ts), so the feedback can overtake the record it refers to.
 */
export const FEEDBACK_RETRY_MS = 500;
/** Feedback held for that second look, at most; beyond it, an unknown id is dropped at once. */
export const MAX_FEEDBACK_HELD = 10_000;

export interface FeedbackRecorderOptions {
  /** 0 (one process, where the record always comes first): an unknown request id is dropped at once. */
  retryUnknownMs: number;
}

export class FeedbackRecorder implements FeedbackSink {
  /** Offers whose request id was unknown at first, oldest first (all wait the same time). */
  private held: Array<{ offer: FeedbackOffer & { requestId: string }; due: number }> = [];
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly metrics: GatewayMetrics,
    private readonly log: TrafficLog,
    private readonly options: FeedbackRecorderOptions = { retryUnknownMs: 0 },
  ) {}

  offerFeedback(offer: FeedbackOffer): void {
    if (offer.requestId === null) {
      this.record(offer, offer.backend);
      return;
    }
    this.attribute(offer, this.options.retryUnknownMs > 0 && this.held.length < MAX_FEEDBACK_HELD);
  }

  /** Gives the held offers their second look now (at shutdown, so none is left uncounted). */
  close(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.retry(Number.POSITIVE_INFINITY);
  }

  /** Offers held for a second look. */
  get pending(): number {
    return this.held.length;
  }

  private attribute(offer: FeedbackOffer & { requestId: string }, mayHold: boolean): void {
    const attribution = this.log.attributeFeedback(offer.requestId, offer.route, offer.kind);
    if ('backend' in attribution) {
      this.record(offer, attribution.backend);
    } else if (attribution.dropped === 'unknown_request' && mayHold) {
      this.held.push({ offer, due: Date.now() + this.options.retryUnknownMs });
      this.timer ??= setTimeout(() => this.retryDue(), this.options.retryUnknownMs).unref();
    } else {
      this.metrics.dropFeedback(offer.route, attribution.dropped);
    }
  }

  private retryDue(): void {
    this.timer = null;
    this.retry(Date.now());
    const next = this.held[0];
    if (next) this.timer = setTimeout(() => this.retryDue(), Math.max(0, next.due - Date.now())).unref();
  }

  private retry(now: number): void {
    let due = 0;
    while (due < this.held.length && this.held[due]!.due <= now) due++;
    const ready = this.held.slice(0, due);
    this.held = this.held.slice(due);
    for (const { offer } of ready) this.attribute(offer, false);
  }

  private record(offer: FeedbackOffer, backend: string): void {
    const event = this.log.addFeedback({
      route: offer.route,
      backend,
      requestId: offer.requestId,
      kind: offer.kind,
      value: offer.value,
      at: offer.at,
    });
    this.metrics.observeFeedback(event);
  }
}

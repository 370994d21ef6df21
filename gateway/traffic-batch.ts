// A data-plane worker's sink for traffic (cluster-worker.ts): exchanges, shadow pairs, answer
// samples, captures and feedback are collected and handed to `send` as one batch at most
// `maxDelayMs` after the first item of the batch, or as soon as it holds `maxItems`, so the IPC
// cost (one message, one serialization) is paid per batch, not per request. The worker also
// flushes on shutdown.
import type { NewAnswerSample, SampleSink } from './answer-sampler';
import type { ExchangeEntry, ExchangeSink, NewShadowPair, PairSink } from './exchange-recorder';
import { exchangeOf } from './exchange-recorder';
import { encodeExchange, type WireExchange } from './exchange-wire';
import type { FeedbackOffer, FeedbackSink } from './feedback-recorder';
import type { CaptureSink, NewCaptureEntry } from './request-capture';

export const BATCH_MAX_ITEMS = 256;
export const BATCH_MAX_DELAY_MS = 25;

export interface TrafficBatch {
  /** decodeExchange gives back each exchange as exchangeOf made it. */
  exchanges: WireExchange[];
  pairs: NewShadowPair[];
  samples: NewAnswerSample[];
  /** Redacted in the worker: the unredacted request never crosses the channel. */
  captures: NewCaptureEntry[];
  /** Attributed by user in the worker; by request id, attributed by the primary, which has the records. */
  feedback: FeedbackOffer[];
}

export class TrafficBatcher implements ExchangeSink, PairSink, SampleSink, CaptureSink, FeedbackSink {
  private exchanges: WireExchange[] = [];
  private pairs: NewShadowPair[] = [];
  private samples: NewAnswerSample[] = [];
  private captures: NewCaptureEntry[] = [];
  private feedback: FeedbackOffer[] = [];
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly send: (batch: TrafficBatch) => void,
    private readonly limits: { maxItems: number; maxDelayMs: number } = {
      maxItems: BATCH_MAX_ITEMS,
      maxDelayMs: BATCH_MAX_DELAY_MS,
    },
  ) {}

  record(entry: ExchangeEntry): void {
    this.exchanges.push(encodeExchange(exchangeOf(entry)));
    this.added();
  }

  addPair(pair: NewShadowPair): void {
    this.pairs.push(pair);
    this.added();
  }

  addSample(sample: NewAnswerSample): void {
    this.samples.push(sample);
    this.added();
  }

  addCapture(entry: NewCaptureEntry): void {
    this.captures.push(entry);
    this.added();
  }

  offerFeedback(offer: FeedbackOffer): void {
    this.feedback.push(offer);
    this.added();
  }

  /** Items waiting for the next batch. */
  get pending(): number {
    return (
      this.exchanges.length + this.pairs.length + this.samples.length + this.captures.length + this.feedback.length
    );
  }

  /** Sends what is waiting now (nothing when empty). */
  flush(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    if (this.pending === 0) return;
    const batch: TrafficBatch = {
      exchanges: this.exchanges,
      pairs: this.pairs,
      samples: this.samples,
      captures: this.captures,
      feedback: this.feedback,
    };
    this.exchanges = [];
    this.pairs = [];
    this.samples = [];
    this.captures = [];
    this.feedback = [];
    this.send(batch);
  }

  private added(): void {
    if (this.pending >= this.limits.maxItems) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), this.limits.maxDelayMs);
  }
}

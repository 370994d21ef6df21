// The gateway's bounded memory of recent traffic: one record per upstream exchange (live and
// shadow), one pair per mirrored request, the answers kept as text (answer-sampler.ts), the
// live requests captured for replay (request-capture.ts) and the user feedback attributed to the
// backends that answered (feedback-recorder.ts); memory only, all of it. All are ring buffers
// with a global seq, paged per route by the admin API. Beside them, a bounded index of which
// backend answered each recent live request (feedback-index.ts), filled as live records are added,
// resolves feedback sent by request id. Seqs restart at 1 in every process, so each entry also
// carries the process's epoch: a reader holding a seq from another epoch is across a restart.
import { randomBytes } from 'node:crypto';
import type { AnswerSample, CaptureEntry, RequestRecord, ShadowPair } from './admin-api';
import type { NewAnswerSample } from './answer-sampler';
import { FeedbackIndex, type Attribution } from './feedback-index';
import type { FeedbackEvent, FeedbackKind } from '../lib/feedback-event';
import type { NewCaptureEntry } from './request-capture';
import { SeqRingBuffer } from './seq-ring-buffer';
import type { Page } from './seq-ring-buffer';

export const DEFAULT_RECORDS_CAPACITY = 10_000;
export const DEFAULT_SHADOW_PAIRS_CAPACITY = 2_000;
export const DEFAULT_ANSWER_SAMPLES_CAPACITY = 2_000;
export const DEFAULT_CAPTURE_CAPACITY = 10_000;
export const DEFAULT_FEEDBACK_CAPACITY = 20_000;

/** A feedback event before it is numbered and stamped with the epoch. */
export type NewFeedbackEvent = Omit<FeedbackEvent, 'seq' | 'epoch'>;

/** A new id for every gateway process start: time-ordered prefix, random suffix. */
export function newEpoch(now = Date.now()): string {
  return `${now.toString(36)}-${randomBytes(3).toString('hex')}`;
}

export interface EpochPage<T> extends Page<T> {
  epoch: string;
  /** The reader's epoch was another process's: the page starts at this epoch's first entry. */
  restarted: boolean;
}

export class TrafficLog {
  private readonly records: SeqRingBuffer<RequestRecord>;
  private readonly pairs: SeqRingBuffer<ShadowPair>;
  private readonly samples: SeqRingBuffer<AnswerSample>;
  private readonly captures: SeqRingBuffer<CaptureEntry>;
  private readonly feedback: SeqRingBuffer<FeedbackEvent>;
  /** requestId -> the route and backend of its live record, for feedback sent by request id. */
  private readonly answered: FeedbackIndex;
  readonly epoch: string;

  constructor(
    options: {
      records?: number;
      shadowPairs?: number;
      answerSamples?: number;
      captures?: number;
      feedback?: number;
      feedbackIndex?: number;
      epoch?: string;
    } = {},
  ) {
    this.records = new SeqRingBuffer<RequestRecord>(options.records ?? DEFAULT_RECORDS_CAPACITY);
    this.pairs = new SeqRingBuffer<ShadowPair>(options.shadowPairs ?? DEFAULT_SHADOW_PAIRS_CAPACITY);
    this.samples = new SeqRingBuffer<AnswerSample>(options.answerSamples ?? DEFAULT_ANSWER_SAMPLES_CAPACITY);
    // Capacity 0 turns capturing off (the data plane then has no capturer): one slot that stays empty.
    this.captures = new SeqRingBuffer<CaptureEntry>(Math.max(1, options.captures ?? DEFAULT_CAPTURE_CAPACITY));
    this.feedback = new SeqRingBuffer<FeedbackEvent>(options.feedback ?? DEFAULT_FEEDBACK_CAPACITY);
    this.answered = new FeedbackIndex(options.feedbackIndex);
    this.epoch = options.epoch ?? newEpoch();
  }

  // Both built field by field, once per exchange (spreads per request showed in profiles); the
  // order is the admin API's JSON order.
  addRecord(record: Omit<RequestRecord, 'seq' | 'epoch'>): RequestRecord {
    const { epoch } = this;
    // Live records only: a shadow copy's answer never reached the client. A fallback's record comes
    // after the failed attempt's, so the request id ends up on the backend that answered.
    if (record.mode === 'live') this.answered.note(record.requestId, record.route, record.backend);
    return this.records.pushBuilt((seq) => {
      const built: RequestRecord = {
        seq,
        epoch,
        route: record.route,
        backend: record.backend,
        model: record.model,
        mode: record.mode,
        status: record.status,
        latencyMs: record.latencyMs,
        ttftMs: record.ttftMs,
        promptTokens: record.promptTokens,
        completionTokens: record.completionTokens,
        refusal: record.refusal,
        validJson: record.validJson,
        requestId: record.requestId,
        // The unit of assignment: the judge's sample-ratio check counts each key's bucket once.
        stickyBucket: record.stickyBucket,
        cohort: record.cohort,
        at: record.at,
      };
      // Set only when a fallback happened, so every other record keeps its shape (and JSON) as before.
      if (record.fallbackTo !== undefined) built.fallbackTo = record.fallbackTo;
      if (record.fallbackFor !== undefined) built.fallbackFor = record.fallbackFor;
      // Likewise only on routes with segmentation, for requests that had a segment.
      if (record.segment !== undefined) built.segment = record.segment;
      // Likewise only for pooled backends.
      if (record.member !== undefined) built.member = record.member;
      return built;
    });
  }

  addPair(pair: Omit<ShadowPair, 'seq' | 'epoch'>): ShadowPair {
    const { epoch } = this;
    return this.pairs.pushBuilt((seq) => ({
      seq,
      epoch,
      requestId: pair.requestId,
      route: pair.route,
      messages: pair.messages,
      primary: pair.primary,
      shadow: pair.shadow,
      at: pair.at,
    }));
  }

  addSample(sample: NewAnswerSample): AnswerSample {
    const { epoch } = this;
    return this.samples.pushBuilt((seq) => ({
      seq,
      epoch,
      requestId: sample.requestId,
      route: sample.route,
      backend: sample.backend,
      model: sample.model,
      mode: sample.mode,
      status: sample.status,
      request: sample.request,
      answer: sample.answer,
      cut: sample.cut,
      ...(sample.member !== undefined && { member: sample.member }),
      at: sample.at,
    }));
  }

  addCapture(entry: NewCaptureEntry): CaptureEntry {
    const { epoch } = this;
    return this.captures.pushBuilt((seq) => {
      const built: CaptureEntry = {
        seq,
        epoch,
        route: entry.route,
        requestId: entry.requestId,
        at: entry.at,
        messages: entry.messages,
        params: entry.params,
      };
      if (entry.user !== undefined) built.user = entry.user;
      if (entry.metadata !== undefined) built.metadata = entry.metadata;
      return built;
    });
  }

  /**
   * The backend that answered `requestId` on `route`, for feedback of `kind` (which is then marked
   * seen for that request), or why the feedback is dropped (feedback-index.ts).
   */
  attributeFeedback(requestId: string, route: string, kind: FeedbackKind): Attribution {
    return this.answered.attribute(requestId, route, kind);
  }

  addFeedback(event: NewFeedbackEvent): FeedbackEvent {
    const { epoch } = this;
    return this.feedback.pushBuilt((seq) => ({
      seq,
      epoch,
      route: event.route,
      backend: event.backend,
      requestId: event.requestId,
      kind: event.kind,
      value: event.value,
      at: event.at,
    }));
  }

  /** `epoch`: the epoch the reader's `since` belongs to (omitted: this one). */
  recordsFor(route: string, since: number, limit: number, epoch?: string): EpochPage<RequestRecord> {
    return this.page(this.records, route, since, limit, epoch);
  }

  pairsFor(route: string, since: number, limit: number, epoch?: string): EpochPage<ShadowPair> {
    return this.page(this.pairs, route, since, limit, epoch);
  }

  samplesFor(route: string, since: number, limit: number, epoch?: string): EpochPage<AnswerSample> {
    return this.page(this.samples, route, since, limit, epoch);
  }

  capturesFor(route: string, since: number, limit: number, epoch?: string): EpochPage<CaptureEntry> {
    return this.page(this.captures, route, since, limit, epoch);
  }

  feedbackFor(route: string, since: number, limit: number, epoch?: string): EpochPage<FeedbackEvent> {
    return this.page(this.feedback, route, since, limit, epoch);
  }

  private page<T extends { seq: number; route: string }>(
    buffer: SeqRingBuffer<T>,
    route: string,
    since: number,
    limit: number,
    epoch?: string,
  ): EpochPage<T> {
    const restarted = epoch !== undefined && epoch !== this.epoch;
    const page = buffer.pageAfter(restarted ? 0 : since, limit, (entry) => entry.route === route);
    return { ...page, epoch: this.epoch, restarted };
  }
}

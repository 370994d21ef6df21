// The gateway's bounded memory of recent traffic: one record per upstream exchange (live and
// shadow), one pair per mirrored request, the answers kept as text (answer-sampler.ts) and the
// live requests captured for replay (request-capture.ts; memory only, like the rest). All
// are ring buffers with a global seq, paged per
// route by the admin API. Seqs restart at 1 in every process, so each entry also carries the
// process's epoch: a reader holding a seq from another epoch is across a restart.
import { randomBytes } from 'node:crypto';
import type { AnswerSample, CaptureEntry, RequestRecord, ShadowPair } from './admin-api';
import type { NewAnswerSample } from './answer-sampler';
import type { NewCaptureEntry } from './request-capture';
import { SeqRingBuffer } from './seq-ring-buffer';
import type { Page } from './seq-ring-buffer';

export const DEFAULT_RECORDS_CAPACITY = 10_000;
export const DEFAULT_SHADOW_PAIRS_CAPACITY = 2_000;
export const DEFAULT_ANSWER_SAMPLES_CAPACITY = 2_000;
export const DEFAULT_CAPTURE_CAPACITY = 10_000;

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
  readonly epoch: string;

  constructor(
    options: { records?: number; shadowPairs?: number; answerSamples?: number; captures?: number; epoch?: string } = {},
  ) {
    this.records = new SeqRingBuffer<RequestRecord>(options.records ?? DEFAULT_RECORDS_CAPACITY);
    this.pairs = new SeqRingBuffer<ShadowPair>(options.shadowPairs ?? DEFAULT_SHADOW_PAIRS_CAPACITY);
    this.samples = new SeqRingBuffer<AnswerSample>(options.answerSamples ?? DEFAULT_ANSWER_SAMPLES_CAPACITY);
    // Capacity 0 turns capturing off (the data plane then has no capturer): one slot that stays empty.
    this.captures = new SeqRingBuffer<CaptureEntry>(Math.max(1, options.captures ?? DEFAULT_CAPTURE_CAPACITY));
    this.epoch = options.epoch ?? newEpoch();
  }

  // Both built field by field, once per exchange (spreads per request showed in profiles); the
  // order is the admin API's JSON order.
  addRecord(record: Omit<RequestRecord, 'seq' | 'epoch'>): RequestRecord {
    const { epoch } = this;
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

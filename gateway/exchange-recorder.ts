// Records one upstream exchange in both places the rollout reads from: Prometheus series (for
// PromQL gates) and the per-request record log (for the statistical judge). In a multi-process
// gateway the data-plane workers do not record: they forward each exchange (exchangeOf) to the
// primary (traffic-batch.ts), whose ExchangeRecorder.add records it, so the series and the
// records keep one source and one owner.
import type { RequestRecord, ShadowPair } from './admin-api';
import type { ForwardedBackend } from './backend-pool';
import type { InspectedAnswer } from './inspect-outcome';
import type { GatewayMetrics, Observation, TrafficMode } from './metrics';
import type { TrafficLog } from './traffic-log';
import { tenthOfMs, type UpstreamOutcome } from './upstream';

/**
 * `new Date().toISOString()` for the current millisecond, formatted once per millisecond: under
 * load many records share one, and formatting a date per request showed in profiles.
 */
export class IsoClock {
  private ms = -1;
  private text = '';

  isoNow(): string {
    const now = Date.now();
    if (now !== this.ms) {
      this.ms = now;
      this.text = new Date(now).toISOString();
    }
    return this.text;
  }
}

const isoClock = new IsoClock();

/** `new Date().toISOString()`, formatted once per millisecond (IsoClock). */
export const isoNow = (): string => isoClock.isoNow();

/** What the data plane and the shadow mirror report after every upstream call. */
export interface ExchangeEntry {
  route: string;
  /** The backend, or for a pool the member it was resolved to (its `member` is recorded). */
  backend: ForwardedBackend;
  mode: TrafficMode;
  requestId: string;
  /** The sticky-routing bucket of the request's session/user key; null when it had none. */
  stickyBucket: number | null;
  /** The request was in the route's cohort (for a shadow copy: the live request was). */
  cohort: boolean;
  outcome: UpstreamOutcome;
  answer: InspectedAnswer;
  /** A live exchange that failed, after which the route's fallback (this name) was asked. */
  fallbackTo?: string | undefined;
  /** A fallback attempt, answering for the backend named here. */
  fallbackFor?: string | undefined;
  /** The request's segment under the route's segmentation (for a shadow copy or a fallback attempt: the live request's). */
  segment?: string | undefined;
}

/** One exchange, serializable: the raw observation (exact latencies, for the histograms) plus its identity. */
export interface Exchange extends Observation {
  requestId: string;
  stickyBucket: number | null;
  at: string;
}

/** A shadow pair before it is numbered and stamped with the epoch. */
export type NewShadowPair = Omit<ShadowPair, 'seq' | 'epoch'>;

/** Where the data plane puts exchanges: recorded here (one process) or forwarded to the primary. */
export interface ExchangeSink {
  record(entry: ExchangeEntry): void;
}

/** Where the data plane puts shadow pairs: the TrafficLog (one process) or forwarded to the primary. */
export interface PairSink {
  addPair(pair: NewShadowPair): void;
}

export function exchangeOf(entry: ExchangeEntry): Exchange {
  const { outcome, answer } = entry;
  const exchange: Exchange = {
    route: entry.route,
    backend: entry.backend.name,
    model: entry.backend.model,
    mode: entry.mode,
    status: outcome.status,
    latencyMs: outcome.latencyMs,
    ttftMs: outcome.firstTokenMs,
    promptTokens: answer.promptTokens,
    completionTokens: answer.completionTokens,
    refusal: answer.refusal,
    validJson: answer.validJson,
    requestId: entry.requestId,
    stickyBucket: entry.stickyBucket,
    cohort: entry.cohort,
    at: isoNow(),
  };
  if (entry.fallbackTo !== undefined) exchange.fallbackTo = entry.fallbackTo;
  if (entry.fallbackFor !== undefined) exchange.fallbackFor = entry.fallbackFor;
  if (entry.segment !== undefined) exchange.segment = entry.segment;
  if ('member' in entry.backend) exchange.member = entry.backend.member;
  return exchange;
}

export class ExchangeRecorder implements ExchangeSink {
  constructor(
    private readonly metrics: GatewayMetrics,
    private readonly log: TrafficLog,
  ) {}

  record(entry: ExchangeEntry): RequestRecord {
    return this.add(exchangeOf(entry));
  }

  /** Observes the exchange and appends its record (seq and epoch assigned here). */
  add(exchange: Exchange): RequestRecord {
    this.metrics.observe(exchange);
    // Built field by field rather than spread (a spread per request showed in profiles); the
    // order is the admin API's JSON order.
    return this.log.addRecord({
      route: exchange.route,
      backend: exchange.backend,
      model: exchange.model,
      mode: exchange.mode,
      status: exchange.status,
      latencyMs: tenthOfMs(exchange.latencyMs),
      ttftMs: exchange.ttftMs === null ? null : tenthOfMs(exchange.ttftMs),
      promptTokens: exchange.promptTokens,
      completionTokens: exchange.completionTokens,
      refusal: exchange.refusal,
      validJson: exchange.validJson,
      requestId: exchange.requestId,
      stickyBucket: exchange.stickyBucket,
      cohort: exchange.cohort,
      fallbackTo: exchange.fallbackTo,
      fallbackFor: exchange.fallbackFor,
      segment: exchange.segment,
      member: exchange.member,
      at: exchange.at,
    });
  }
}

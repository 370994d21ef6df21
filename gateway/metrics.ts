// Prometheus metrics for the gateway, on a registry of its own so several gateways (tests) can
// live in one process. Series names and label sets come from metric-names.ts, the contract the
// PromQL reader in activities/metrics is built against.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { RequestRecord, RouteState, TokenPricing } from './admin-api';
import type { FeedbackEvent } from '../lib/feedback-event';
import type { FeedbackDropReason } from './feedback-index';
import { DURATION_BUCKETS_SECONDS, GATEWAY_METRICS } from './metric-names';

export type TrafficMode = RequestRecord['mode'];

/** One upstream exchange as the gateway observed it: a request record before it is numbered and stamped. */
export type Observation = Omit<RequestRecord, 'seq' | 'epoch' | 'requestId' | 'at'>;

const SERIES_LABELS = ['route', 'backend', 'model', 'mode'] as const;

type SeriesLabels = Record<(typeof SERIES_LABELS)[number], string>;

const MEMBER_LABELS = ['route', 'backend', 'member', 'mode'] as const;

/** Counts for one pool member's route/backend/member/mode series not yet handed to prom-client. */
interface MemberSeries {
  labels: Record<(typeof MEMBER_LABELS)[number], string>;
  byCode: Map<number, number>;
}

/** Counts for one route/backend/model/mode series not yet handed to prom-client. */
interface Series {
  labels: SeriesLabels;
  byCode: Map<number, number>;
  promptTokens: number;
  completionTokens: number;
  refusals: number;
  invalidJson: number;
  jsonRequested: number;
  costUsd: number;
}

export class GatewayMetrics {
  readonly registry = new Registry();
  private readonly requests: Counter<'route' | 'backend' | 'model' | 'mode' | 'code'>;
  private readonly duration: Histogram<'route' | 'backend' | 'model' | 'mode'>;
  private readonly timeToFirstToken: Histogram<'route' | 'backend' | 'model' | 'mode'>;
  private readonly tokens: Counter<'route' | 'backend' | 'model' | 'mode' | 'kind'>;
  private readonly flagged: Counter<'route' | 'backend' | 'model' | 'mode' | 'flag'>;
  private readonly jsonRequested: Counter<'route' | 'backend' | 'model' | 'mode'>;
  private readonly weight: Gauge<'route' | 'backend'>;
  private readonly shadowShare: Gauge<'route'>;
  private readonly rolloutStage: Gauge<'route' | 'rollout' | 'stage'>;
  private readonly cost: Counter<'route' | 'backend' | 'model' | 'mode'>;
  private readonly fallbacks: Counter<'route' | 'from' | 'to'>;
  private readonly memberRequests: Counter<'route' | 'backend' | 'member' | 'mode' | 'code'>;
  private readonly memberDuration: Histogram<'route' | 'backend' | 'member' | 'mode'>;
  private readonly feedback: Counter<'route' | 'backend' | 'kind'>;
  private readonly feedbackValue: Gauge<'route' | 'backend' | 'kind'>;
  private readonly feedbackDropped: Counter<'route' | 'reason'>;
  /** Requests per pool member and status not yet handed to prom-client (as `series` holds the rest). */
  private readonly memberSeries = new Map<string, MemberSeries>();
  /** Fallback attempts per route/from/to not yet handed to prom-client (as `series` holds the rest). */
  private readonly fallbackCounts = new Map<
    string,
    { labels: Record<'route' | 'from' | 'to', string>; count: number }
  >();
  /** Per route, each priced backend's pricing (kept equal to the route table by reflectRoute). */
  private readonly pricing = new Map<string, Map<string, TokenPricing>>();
  private readonly series = new Map<string, Series>();
  private unflushed = false;

  constructor(options: { defaultMetrics?: boolean } = {}) {
    const registers = [this.registry];
    // Every read of a counter (registry.metrics(), metric.get()) first takes in the pending counts.
    const collect = () => this.flush();
    this.requests = new Counter({
      name: GATEWAY_METRICS.requests,
      help: 'Upstream requests by outcome status code.',
      labelNames: [...SERIES_LABELS, 'code'],
      registers,
      collect,
    });
    this.duration = new Histogram({
      name: GATEWAY_METRICS.duration,
      help: 'Upstream request duration in seconds, until the full response body was received.',
      labelNames: [...SERIES_LABELS],
      buckets: DURATION_BUCKETS_SECONDS,
      registers,
    });
    this.timeToFirstToken = new Histogram({
      name: GATEWAY_METRICS.timeToFirstToken,
      help: 'Streamed responses only: seconds until the first event with generated output arrived.',
      labelNames: [...SERIES_LABELS],
      buckets: DURATION_BUCKETS_SECONDS,
      registers,
    });
    this.tokens = new Counter({
      name: GATEWAY_METRICS.tokens,
      help: 'Tokens reported in upstream usage.',
      labelNames: [...SERIES_LABELS, 'kind'],
      registers,
      collect,
    });
    this.flagged = new Counter({
      name: GATEWAY_METRICS.flagged,
      help: 'Successful responses flagged as refusal or invalid JSON.',
      labelNames: [...SERIES_LABELS, 'flag'],
      registers,
      collect,
    });
    this.jsonRequested = new Counter({
      name: GATEWAY_METRICS.jsonRequested,
      help: 'Successful responses to requests that asked for JSON output.',
      labelNames: [...SERIES_LABELS],
      registers,
      collect,
    });
    this.cost = new Counter({
      name: GATEWAY_METRICS.cost,
      help: 'USD spent on upstream tokens, at the pricing the route defines for the backend.',
      labelNames: [...SERIES_LABELS],
      registers,
      collect,
    });
    this.fallbacks = new Counter({
      name: GATEWAY_METRICS.fallbacks,
      help: "Attempts on a route's fallback after its backend failed before answering.",
      labelNames: ['route', 'from', 'to'],
      registers,
      collect,
    });
    this.memberRequests = new Counter({
      name: GATEWAY_METRICS.memberRequests,
      help: 'Upstream requests to each member of a pooled backend, by outcome status code.',
      labelNames: [...MEMBER_LABELS, 'code'],
      registers,
      collect,
    });
    this.memberDuration = new Histogram({
      name: GATEWAY_METRICS.memberDuration,
      help: 'Upstream request duration in seconds for each member of a pooled backend.',
      labelNames: [...MEMBER_LABELS],
      buckets: DURATION_BUCKETS_SECONDS,
      registers,
    });
    // Feedback comes far less often than requests, so it is counted as it comes, not gathered first.
    this.feedback = new Counter({
      name: GATEWAY_METRICS.feedback,
      help: 'User feedback events recorded, by the backend each is attributed to.',
      labelNames: ['route', 'backend', 'kind'],
      registers,
    });
    this.feedbackValue = new Gauge({
      name: GATEWAY_METRICS.feedbackValue,
      help: 'Sum of recorded feedback values (thumbs up 1, down 0; the score; conversion 1); falls with negative scores.',
      labelNames: ['route', 'backend', 'kind'],
      registers,
    });
    this.feedbackDropped = new Counter({
      name: GATEWAY_METRICS.feedbackDropped,
      help: 'Feedback by request id not recorded: its request id is unknown or forgotten, or it repeats a kind.',
      labelNames: ['route', 'reason'],
      registers,
    });
    this.weight = new Gauge({
      name: GATEWAY_METRICS.weight,
      help: 'Current routing weight (0-100) of each backend.',
      labelNames: ['route', 'backend'],
      registers,
    });
    this.shadowShare = new Gauge({
      name: GATEWAY_METRICS.shadowShare,
      help: 'Fraction of live requests mirrored to the shadow target (0 when disabled).',
      labelNames: ['route'],
      registers,
    });
    this.rolloutStage = new Gauge({
      name: GATEWAY_METRICS.rolloutStage,
      help: 'The rollout last marked on the route and its stage (1 while marked; the previous marker is removed).',
      labelNames: ['route', 'rollout', 'stage'],
      registers,
    });
    if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: this.registry });
  }

  /**
   * Counts one exchange. Counters are added up in plain numbers per series and handed to
   * prom-client when the registry is read (its `collect` hook), once per series instead of once
   * per request: prom-client validates and hashes the label set on every call, which was most of
   * the metrics cost per request. Histograms need each value, so they are observed at once, with
   * the series' label object built only once.
   */
  observe(o: Observation): void {
    const series = this.seriesFor(o);
    if (o.fallbackFor !== undefined) this.countFallback(o.route, o.fallbackFor, o.backend);
    if (o.member !== undefined) this.observeMember(o, o.member);
    this.duration.observe(series.labels, o.latencyMs / 1000);
    if (o.ttftMs !== null) this.timeToFirstToken.observe(series.labels, o.ttftMs / 1000);
    series.byCode.set(o.status, (series.byCode.get(o.status) ?? 0) + 1);
    series.promptTokens += o.promptTokens > 0 ? o.promptTokens : 0;
    series.completionTokens += o.completionTokens > 0 ? o.completionTokens : 0;
    const price = this.pricing.get(o.route)?.get(o.backend);
    if (price)
      series.costUsd +=
        ((o.promptTokens > 0 ? o.promptTokens : 0) * price.inputPer1k +
          (o.completionTokens > 0 ? o.completionTokens : 0) * price.outputPer1k) /
        1000;
    if (o.status < 200 || o.status >= 300) return;
    if (o.refusal) series.refusals++;
    if (o.validJson !== null) {
      series.jsonRequested++;
      if (!o.validJson) series.invalidJson++;
    }
  }

  private seriesFor(o: Observation): Series {
    // Unambiguous: route and backend names cannot contain a newline (route-schemas.ts), nor can mode.
    const key = `${o.route}\n${o.backend}\n${o.model}\n${o.mode}`;
    let series = this.series.get(key);
    if (!series) {
      series = {
        labels: { route: o.route, backend: o.backend, model: o.model, mode: o.mode },
        byCode: new Map(),
        promptTokens: 0,
        completionTokens: 0,
        refusals: 0,
        invalidJson: 0,
        jsonRequested: 0,
        costUsd: 0,
      };
      this.series.set(key, series);
    }
    this.unflushed = true;
    return series;
  }

  private observeMember(o: Observation, member: string): void {
    // Unambiguous for the same reason as seriesFor's key: member names follow the backend-name pattern.
    const key = `${o.route}\n${o.backend}\n${member}\n${o.mode}`;
    let series = this.memberSeries.get(key);
    if (!series) {
      series = { labels: { route: o.route, backend: o.backend, member, mode: o.mode }, byCode: new Map() };
      this.memberSeries.set(key, series);
    }
    series.byCode.set(o.status, (series.byCode.get(o.status) ?? 0) + 1);
    this.memberDuration.observe(series.labels, o.latencyMs / 1000);
  }

  private countFallback(route: string, from: string, to: string): void {
    const key = `${route}\n${from}\n${to}`;
    const counted = this.fallbackCounts.get(key);
    if (counted) counted.count++;
    else this.fallbackCounts.set(key, { labels: { route, from, to }, count: 1 });
  }

  /** Moves the counts gathered since the last read into the prom-client counters. */
  private flush(): void {
    if (!this.unflushed) return;
    this.unflushed = false;
    for (const counted of this.fallbackCounts.values()) {
      if (counted.count > 0) this.fallbacks.inc(counted.labels, counted.count);
      counted.count = 0;
    }
    for (const { labels, byCode } of this.memberSeries.values()) {
      for (const [code, count] of byCode)
        if (count > 0) this.memberRequests.inc({ ...labels, code: String(code) }, count);
      byCode.clear();
    }
    for (const series of this.series.values()) {
      const { labels } = series;
      for (const [code, count] of series.byCode)
        if (count > 0) this.requests.inc({ ...labels, code: String(code) }, count);
      series.byCode.clear();
      if (series.promptTokens > 0) this.tokens.inc({ ...labels, kind: 'prompt' }, series.promptTokens);
      if (series.completionTokens > 0) this.tokens.inc({ ...labels, kind: 'completion' }, series.completionTokens);
      if (series.refusals > 0) this.flagged.inc({ ...labels, flag: 'refusal' }, series.refusals);
      if (series.jsonRequested > 0) this.jsonRequested.inc(labels, series.jsonRequested);
      if (series.invalidJson > 0) this.flagged.inc({ ...labels, flag: 'invalid_json' }, series.invalidJson);
      if (series.costUsd > 0) this.cost.inc(labels, series.costUsd);
      series.costUsd = 0;
      series.promptTokens = series.completionTokens = series.refusals = series.jsonRequested = series.invalidJson = 0;
    }
  }

  /** Counts one recorded feedback event and adds its value. */
  observeFeedback(event: Pick<FeedbackEvent, 'route' | 'backend' | 'kind' | 'value'>): void {
    const labels = { route: event.route, backend: event.backend, kind: event.kind };
    this.feedback.inc(labels);
    this.feedbackValue.inc(labels, event.value);
  }

  dropFeedback(route: string, reason: FeedbackDropReason): void {
    this.feedbackDropped.inc({ route, reason });
  }

  /** Keeps the weight and shadow-share gauges equal to the route table; null = route deleted. */
  reflectRoute(route: string, state: RouteState | null, previous: RouteState | null): void {
    for (const backend of previous?.backends ?? []) {
      if (!state || !(backend.name in state.weights)) this.weight.remove({ route, backend: backend.name });
    }
    const before = previous?.rollout;
    if (before && (before.rollout !== state?.rollout?.rollout || before.stage !== state?.rollout?.stage))
      this.rolloutStage.remove({ route, rollout: before.rollout, stage: before.stage });
    if (!state) {
      this.shadowShare.remove({ route });
      this.pricing.delete(route);
      return;
    }
    const priced = state.fallback ? [...state.backends, state.fallback.backend] : state.backends;
    this.pricing.set(route, new Map(priced.flatMap((b) => (b.pricing ? [[b.name, b.pricing] as const] : []))));
    for (const backend of state.backends)
      this.weight.set({ route, backend: backend.name }, state.weights[backend.name] ?? 0);
    this.shadowShare.set({ route }, state.shadow.enabled ? state.shadow.share : 0);
    if (state.rollout) this.rolloutStage.set({ route, ...state.rollout }, 1);
  }

  async render(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}

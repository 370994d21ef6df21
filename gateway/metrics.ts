// Prometheus metrics for the gateway, on a registry of its own so several gateways (tests) can
// live in one process. Series names and label sets come from metric-names.ts, the contract the
// PromQL reader in activities/metrics is built against.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { RequestRecord, RouteState } from './admin-api';
import { DURATION_BUCKETS_SECONDS, GATEWAY_METRICS } from './metric-names';

export type TrafficMode = RequestRecord['mode'];

/** One upstream exchange as the gateway observed it: a request record before it is numbered and stamped. */
export type Observation = Omit<RequestRecord, 'seq' | 'epoch' | 'requestId' | 'at'>;

const SERIES_LABELS = ['route', 'backend', 'model', 'mode'] as const;

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

  constructor(options: { defaultMetrics?: boolean } = {}) {
    const registers = [this.registry];
    this.requests = new Counter({ name: GATEWAY_METRICS.requests, help: 'Upstream requests by outcome status code.', labelNames: [...SERIES_LABELS, 'code'], registers });
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
    this.tokens = new Counter({ name: GATEWAY_METRICS.tokens, help: 'Tokens reported in upstream usage.', labelNames: [...SERIES_LABELS, 'kind'], registers });
    this.flagged = new Counter({ name: GATEWAY_METRICS.flagged, help: 'Successful responses flagged as refusal or invalid JSON.', labelNames: [...SERIES_LABELS, 'flag'], registers });
    this.jsonRequested = new Counter({ name: GATEWAY_METRICS.jsonRequested, help: 'Successful responses to requests that asked for JSON output.', labelNames: [...SERIES_LABELS], registers });
    this.weight = new Gauge({ name: GATEWAY_METRICS.weight, help: 'Current routing weight (0-100) of each backend.', labelNames: ['route', 'backend'], registers });
    this.shadowShare = new Gauge({ name: GATEWAY_METRICS.shadowShare, help: 'Fraction of live requests mirrored to the shadow target (0 when disabled).', labelNames: ['route'], registers });
    if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: this.registry });
  }

  observe(o: Observation): void {
    const labels = { route: o.route, backend: o.backend, model: o.model, mode: o.mode };
    this.requests.inc({ ...labels, code: String(o.status) });
    this.duration.observe(labels, o.latencyMs / 1000);
    if (o.ttftMs !== null) this.timeToFirstToken.observe(labels, o.ttftMs / 1000);
    if (o.promptTokens > 0) this.tokens.inc({ ...labels, kind: 'prompt' }, o.promptTokens);
    if (o.completionTokens > 0) this.tokens.inc({ ...labels, kind: 'completion' }, o.completionTokens);
    if (o.status < 200 || o.status >= 300) return;
    if (o.refusal) this.flagged.inc({ ...labels, flag: 'refusal' });
    if (o.validJson !== null) {
      this.jsonRequested.inc(labels);
      if (!o.validJson) this.flagged.inc({ ...labels, flag: 'invalid_json' });
    }
  }

  /** Keeps the weight and shadow-share gauges equal to the route table; null = route deleted. */
  reflectRoute(route: string, state: RouteState | null, previous: RouteState | null): void {
    for (const backend of previous?.backends ?? []) {
      if (!state || !(backend.name in state.weights)) this.weight.remove({ route, backend: backend.name });
    }
    if (!state) {
      this.shadowShare.remove({ route });
      return;
    }
    for (const backend of state.backends) this.weight.set({ route, backend: backend.name }, state.weights[backend.name] ?? 0);
    this.shadowShare.set({ route }, state.shadow.enabled ? state.shadow.share : 0);
  }

  async render(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}

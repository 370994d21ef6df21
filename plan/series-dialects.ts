// Series dialects: which Prometheus series a traffic layer or model server exports for requests,
// errors, latency, time to first token and flags, and which labels tell the baseline from the
// candidate. Declarative data only; the activity builds selectors from it
// (activities/metrics/series-queries.ts) and the series judge (judge/series-window.ts) turns the
// readings into the judge's MetricData.
//
// Names as the exporters write them:
// - gateway: our own gateway (gateway/metric-names.ts, kept in step by a unit test).
// - haproxy: HAProxy 2.x's built-in exporter (`http-request use-service prometheus-exporter`):
//   per-server response counters by status class; no latency histograms (only averages).
// - vllm: vLLM's /metrics, labelled by model_name (the served model name). It counts requests it
//   finished (`vllm:request_success_total`, by finished_reason) but has no failed-request
//   counter, so it cannot give an error rate: errors come from the traffic layer.
// - istio: the standard Istio metrics, reported by the destination's sidecar.
// - envoy: Envoy's cluster statistics with its default tag extraction.

export const SERIES_DIALECTS = ['gateway', 'haproxy', 'vllm', 'istio', 'envoy'] as const;
export type SeriesDialect = (typeof SERIES_DIALECTS)[number];

export type LabelSet = Record<string, string>;

/** A counter family whose series carry the response status; errors are the series whose status label matches. */
export interface ResponseCounter {
  metric: string;
  /** Fixed matchers, e.g. reporter="destination". */
  matchers?: LabelSet;
  statusLabel: string;
  /** Anchored regular expression over the status label's value (JS syntax, also valid RE2). */
  errorStatus: string;
  successStatus: string;
}

export interface HistogramSpec {
  /** Base name: the exporter writes `<metric>_bucket{le=…}`. */
  metric: string;
  matchers?: LabelSet;
  /** Milliseconds per unit of `le` (1000 for seconds, 1 for milliseconds). */
  msPerUnit: number;
}

export interface CounterSpec {
  metric: string;
  matchers?: LabelSet;
}

export interface DialectSpec {
  name: SeriesDialect;
  /** Requests and errors by status; absent where the exporter has no failure counter (vllm). */
  responses?: ResponseCounter;
  latency?: HistogramSpec;
  firstToken?: HistogramSpec;
  /** Counters of flagged successful answers (the gateway inspects answers; nobody else does). */
  flags?: { refusals: CounterSpec; jsonRequests: CounterSpec; invalidJson: CounterSpec };
  /** The label telling live from mirrored traffic, filled from the stage (gateway only). */
  modeLabel?: string;
  /** Why a capability is missing, for plan errors and verdicts. */
  lacks: { responses?: string; latency?: string; firstToken?: string };
}

const GATEWAY_BUCKET_UNIT = 1000;

export const DIALECTS: Record<SeriesDialect, DialectSpec> = {
  gateway: {
    name: 'gateway',
    responses: { metric: 'llm_gateway_requests_total', statusLabel: 'code', errorStatus: '5..', successStatus: '2..' },
    latency: { metric: 'llm_gateway_request_duration_seconds', msPerUnit: GATEWAY_BUCKET_UNIT },
    firstToken: { metric: 'llm_gateway_time_to_first_token_seconds', msPerUnit: GATEWAY_BUCKET_UNIT },
    flags: {
      refusals: { metric: 'llm_gateway_responses_flagged_total', matchers: { flag: 'refusal' } },
      jsonRequests: { metric: 'llm_gateway_json_requests_total' },
      invalidJson: { metric: 'llm_gateway_responses_flagged_total', matchers: { flag: 'invalid_json' } },
    },
    modeLabel: 'mode',
    lacks: {},
  },
  haproxy: {
    name: 'haproxy',
    responses: {
      metric: 'haproxy_server_http_responses_total',
      statusLabel: 'code',
      errorStatus: '5xx',
      successStatus: '2xx',
    },
    lacks: {
      latency: "HAProxy's exporter has no latency histograms (only averages, which cannot give a tail)",
      firstToken: "HAProxy's exporter has no time-to-first-token series",
    },
  },
  vllm: {
    name: 'vllm',
    latency: { metric: 'vllm:e2e_request_latency_seconds', msPerUnit: 1000 },
    firstToken: { metric: 'vllm:time_to_first_token_seconds', msPerUnit: 1000 },
    lacks: {
      responses:
        'vLLM exports no failed-request counter (vllm:request_success_total counts finished requests only), so it cannot give an error rate',
    },
  },
  istio: {
    name: 'istio',
    responses: {
      metric: 'istio_requests_total',
      matchers: { reporter: 'destination' },
      statusLabel: 'response_code',
      errorStatus: '5..',
      successStatus: '2..',
    },
    latency: { metric: 'istio_request_duration_milliseconds', matchers: { reporter: 'destination' }, msPerUnit: 1 },
    lacks: { firstToken: 'Istio has no time-to-first-token series' },
  },
  envoy: {
    name: 'envoy',
    // upstream_rq_<N>xx, tagged by Envoy's default tag extraction as envoy_response_code_class.
    responses: {
      metric: 'envoy_cluster_upstream_rq_xx',
      statusLabel: 'envoy_response_code_class',
      errorStatus: '5',
      successStatus: '2',
    },
    latency: { metric: 'envoy_cluster_upstream_rq_time', msPerUnit: 1 },
    lacks: { firstToken: 'Envoy has no time-to-first-token series' },
  },
};

/** Every latency-side dialect, plus 'none' (latency deliberately not judged from series). */
export type LatencyDialect = SeriesDialect | 'none';

/** The series a window is judged on: one dialect for requests and errors, one for latency. */
export interface SeriesSelection {
  traffic: { dialect: SeriesDialect; baseline: LabelSet; candidate: LabelSet };
  latency: { dialect: LatencyDialect; baseline: LabelSet; candidate: LabelSet };
  /** How far before a window the baseline's latency reference may be read (ms). */
  referenceLookbackMs: number;
}

export function describeSelector(metric: string, labels: LabelSet): string {
  return `${metric}{${Object.entries(labels)
    .map(([name, value]) => `${name}=${JSON.stringify(value)}`)
    .join(',')}}`;
}

// The series judge's pure parts: per-series differencing (resets, new and vanished series),
// histogram bucket math (threshold snapping, tolerance rate), window totals → MetricData, and
// the selectors each dialect reads.
import { describe, expect, it } from 'vitest';
import { seriesQueries } from '../../activities/metrics/series-queries';
import { judgeCanary } from '../../judge/canary-judge';
import { increments, readingsOf, resets, restartedProcesses, seriesKey, sumWhere } from '../../judge/series-counters';
import type { SeriesSelection } from '../../plan/series-dialects';
import { boundaryAtOrAbove, bucketsOf, countAbove, referenceFromBuckets } from '../../judge/series-histogram';
import {
  advanceSnapshot,
  seriesMetricData,
  startSnapshot,
  unjudgedFromSeries,
  vanishedFamilies,
  type SeriesLook,
} from '../../judge/series-window';
import { GATEWAY_METRICS } from '../../gateway/metric-names';
import { DIALECTS } from '../../plan/series-dialects';

const haproxyVllm: SeriesSelection = {
  traffic: {
    dialect: 'haproxy',
    baseline: { proxy: 'llm', server: 'current' },
    candidate: { proxy: 'llm', server: 'next' },
  },
  latency: { dialect: 'vllm', baseline: { model_name: 'sim-a' }, candidate: { model_name: 'sim-b' } },
  referenceLookbackMs: 600_000,
};

const codes = (server: string, counts: Record<string, number>, instance = 'hap:1') =>
  readingsOf(
    Object.entries(counts).map(([code, value]) => ({
      labels: { __name__: 'haproxy_server_http_responses_total', proxy: 'llm', server, code, job: 'haproxy', instance },
      value,
    })),
  );

/** Cumulative vLLM buckets in seconds for one model: counts per le. */
const buckets = (model: string, counts: Record<string, number>, instance = 'sim:1') =>
  readingsOf(
    Object.entries(counts).map(([le, value]) => ({ labels: { model_name: model, le, job: 'vllm', instance }, value })),
  );

describe('per-series differencing', () => {
  it('takes increments per series, a drop as a reset (the new value is the increment), and a new series whole', () => {
    const before = { a: 10, b: 5, gone: 7 };
    const after = { a: 15, b: 2, fresh: 4 };
    expect(increments(before, after)).toEqual({ a: 5, b: 2, fresh: 4 });
    expect(resets(before, after)).toBe(1);
    expect(increments(after, after)).toEqual({ a: 0, b: 0, fresh: 0 });
  });

  it('a restarted process resets all its series: a histogram is never half whole, half differenced', () => {
    // The gateway restarted and has already served more fast requests than before: its le=0.05
    // bucket is above its old value, the others below.
    const before = {
      ...buckets('m', { '0.05': 100, '0.1': 200, '+Inf': 200 }, 'gw:1'),
      ...buckets('m', { '0.05': 40, '0.1': 50, '+Inf': 50 }, 'gw:2'),
    };
    const after = {
      ...buckets('m', { '0.05': 150, '0.1': 160, '+Inf': 160 }, 'gw:1'),
      ...buckets('m', { '0.05': 45, '0.1': 60, '+Inf': 60 }, 'gw:2'),
    };
    const inc = increments(before, after);
    const of = (instance: string, le: string) => inc[seriesKey({ model_name: 'm', le, job: 'vllm', instance })];
    // gw:1 restarted: everything it counted since, whole (cumulative buckets stay ordered).
    expect([of('gw:1', '0.05'), of('gw:1', '0.1'), of('gw:1', '+Inf')]).toEqual([150, 160, 160]);
    // gw:2 did not: differenced as before.
    expect([of('gw:2', '0.05'), of('gw:2', '0.1'), of('gw:2', '+Inf')]).toEqual([5, 10, 10]);
    // Series without a scrape target group by their buckets.
    const bare = (counts: Record<string, number>) =>
      readingsOf(Object.entries(counts).map(([le, value]) => ({ labels: { le }, value })));
    expect(Object.values(increments(bare({ '1': 10, '+Inf': 20 }), bare({ '1': 12, '+Inf': 15 })))).toEqual([12, 15]);
    // A restart seen in one family (the counter went down) resets the same process's other families.
    const responses = readingsOf([{ labels: { code: '200', job: 'vllm', instance: 'gw:1' }, value: 90 }]);
    const responsesAfter = readingsOf([{ labels: { code: '200', job: 'vllm', instance: 'gw:1' }, value: 120 }]);
    expect(
      Object.values(
        increments(responses, responsesAfter, restartedProcesses([before, after], [responses, responsesAfter])),
      ),
    ).toEqual([120]);
  });

  it('keys series by their labels in name order, without the metric name, and skips non-finite values', () => {
    expect(seriesKey({ b: '2', a: '1', __name__: 'x' })).toBe(seriesKey({ a: '1', b: '2' }));
    expect(
      readingsOf([
        { labels: { a: '1' }, value: Number.NaN },
        { labels: { a: '2' }, value: 3 },
      ]),
    ).toEqual({ [seriesKey({ a: '2' })]: 3 });
  });

  it('sums a subset by labels (errors among responses)', () => {
    const values = codes('current', { '2xx': 90, '5xx': 10, '4xx': 3 });
    expect(sumWhere(values)).toBe(103);
    expect(sumWhere(values, (labels) => labels.code === '5xx')).toBe(10);
  });
});

describe('histogram bucket math', () => {
  // 1000 baseline requests: 900 ≤ 50 ms, 980 ≤ 100 ms, 995 ≤ 200 ms, all ≤ 400 ms.
  const baseline = bucketsOf(
    buckets('sim-a', { '0.05': 900, '0.1': 980, '0.2': 995, '0.4': 1000, '+Inf': 1000 }),
    1000,
  );

  it('sums series by boundary in milliseconds', () => {
    expect(baseline).toEqual({ '50': 900, '100': 980, '200': 995, '400': 1000, Infinity: 1000 });
    const two = bucketsOf(
      { ...buckets('sim-a', { '0.1': 3, '+Inf': 4 }, 'x:1'), ...buckets('sim-a', { '0.1': 1, '+Inf': 1 }, 'x:2') },
      1000,
    );
    expect(two).toEqual({ '100': 4, Infinity: 5 });
  });

  it('snaps the p99 threshold to the boundary at or just above it, and interpolates the tolerance rate inside the bucket', () => {
    const outcome = referenceFromBuckets(baseline, 0.99, 0.25, 50);
    // p99 lies in (100, 200]: threshold 200 ms, where the baseline exceeds 0.5 %.
    // 200 / 1.25 = 160 ms: 980 + 15 × 0.6 = 989 at or below → 1.1 % above; +0.6 points over 0.5 %.
    expect(outcome.reference).not.toBeNull();
    expect(outcome.reference!.threshold).toBe(200);
    expect(outcome.reference!.toleranceRate - 0.01).toBeCloseTo(0.011 - 0.005, 10);
    expect(countAbove(baseline, 200)).toBe(5);
    expect(countAbove(baseline, 150)).toBeNull();
    expect(boundaryAtOrAbove(baseline, 150)).toBe(200);
  });

  it('gives no reference with too few observations or a p99 beyond the last finite bucket', () => {
    expect(referenceFromBuckets(baseline, 0.99, 0.25, 2000)).toEqual({
      reference: null,
      reason: '1000 baseline observations, 2000 needed',
    });
    const tail = bucketsOf(buckets('sim-a', { '0.1': 900, '+Inf': 1000 }), 1000);
    expect(referenceFromBuckets(tail, 0.99, 0.25, 50)).toEqual({
      reference: null,
      reason: "the baseline's p99 is above the highest finite bucket",
    });
  });
});

describe('window totals from looks', () => {
  const lookAt = (
    atMs: number,
    b: Record<string, number>,
    c: Record<string, number>,
    bl: Record<string, number>,
    cl: Record<string, number>,
  ): SeriesLook => ({
    atMs,
    baseline: { responses: codes('current', b), latency: buckets('sim-a', bl) },
    candidate: { responses: codes('next', c), latency: buckets('sim-b', cl) },
  });

  it('adds each look’s increments, counting through a candidate restart, and builds counts and exceedance data', () => {
    let snapshot = startSnapshot(lookAt(0, { '2xx': 1000, '5xx': 10 }, {}, { '0.2': 1000, '+Inf': 1010 }, {}));
    snapshot = advanceSnapshot(
      haproxyVllm,
      snapshot,
      lookAt(
        1,
        { '2xx': 1100, '5xx': 11 },
        { '2xx': 80, '5xx': 20 },
        { '0.2': 1099, '+Inf': 1111 },
        { '0.2': 70, '+Inf': 100 },
      ),
    );
    // The candidate restarts: its counters start again from 0.
    snapshot = advanceSnapshot(
      haproxyVllm,
      snapshot,
      lookAt(
        2,
        { '2xx': 1200, '5xx': 12 },
        { '2xx': 8, '5xx': 2 },
        { '0.2': 1198, '+Inf': 1212 },
        { '0.2': 7, '+Inf': 10 },
      ),
    );
    expect(snapshot.totals.baseline).toMatchObject({ requests: 202, errors: 2, successes: 200 });
    expect(snapshot.totals.candidate).toMatchObject({ requests: 110, errors: 22, successes: 88 });
    expect(snapshot.resets).toEqual({ baseline: 0, candidate: 4 });
    const data = seriesMetricData(snapshot.totals, {
      latency: { quantile: 0.99, threshold: 200, toleranceRate: 0.02 },
      timeToFirstToken: null,
    });
    expect(data.errorRate).toEqual({
      type: 'counts',
      baseline: { events: 2, total: 202 },
      candidate: { events: 22, total: 110 },
    });
    expect(data.p99Latency).toEqual({
      type: 'exceedance',
      threshold: 200,
      baseline: { events: 4, total: 202 },
      candidate: { events: 33, total: 110 },
    });
    expect(data.timeToFirstToken).toBeUndefined();
  });

  it('reports required series that vanished since the last look (a target gone), not a zero', () => {
    const before = lookAt(0, { '2xx': 10 }, { '2xx': 5 }, { '+Inf': 10 }, { '+Inf': 5 });
    const after: SeriesLook = { ...before, atMs: 1, candidate: { responses: {}, latency: before.candidate.latency } };
    expect(vanishedFamilies(haproxyVllm, before, after)).toEqual(['candidate responses']);
    expect(vanishedFamilies(haproxyVllm, before, before)).toEqual([]);
  });

  it('feeds the same always-valid test: a 20 % error candidate fails, an equal one does not', () => {
    const guard = {
      alpha: 0.05,
      minSamples: 50,
      scoreThresholds: { pass: 75, marginal: 50 },
      metrics: [
        {
          name: 'errorRate',
          kind: 'proportion' as const,
          direction: 'higher_is_worse' as const,
          tolerance: 0.01,
          critical: true,
        },
      ],
    };
    const data = (cErrors: number) => ({
      errorRate: {
        type: 'counts' as const,
        baseline: { events: 2, total: 400 },
        candidate: { events: cErrors, total: 400 },
      },
    });
    expect(judgeCanary({ stage: 's', at: 'now', config: guard, data: data(80) }).verdict.outcome).toBe('fail');
    expect(judgeCanary({ stage: 's', at: 'now', config: guard, data: data(2) }).verdict.outcome).toBe('pass');
  });

  it('states what the series cannot judge', () => {
    const reasons = unjudgedFromSeries(haproxyVllm);
    expect(Object.keys(reasons).sort()).toEqual(['costPerRequest', 'length', 'refusalRate', 'schemaAdherence']);
    expect(reasons.length).toMatch(/mean without a variance/);
    const noLatency = unjudgedFromSeries({ ...haproxyVllm, latency: { dialect: 'none', baseline: {}, candidate: {} } });
    expect(noLatency.p99Latency).toBe('metrics.latency is none');
    const istio = unjudgedFromSeries({
      ...haproxyVllm,
      traffic: { dialect: 'istio', baseline: { destination_version: 'v1' }, candidate: { destination_version: 'v2' } },
      latency: { dialect: 'istio', baseline: { destination_version: 'v1' }, candidate: { destination_version: 'v2' } },
    });
    expect(istio.timeToFirstToken).toBe('Istio has no time-to-first-token series');
  });
});

describe('dialect selectors', () => {
  it('reads HAProxy responses per server and vLLM buckets per model', () => {
    expect(seriesQueries(haproxyVllm, 'candidate', 'canary')).toEqual({
      responses: 'haproxy_server_http_responses_total{proxy="llm",server="next"}',
      latency: 'vllm:e2e_request_latency_seconds_bucket{model_name="sim-b"}',
      firstToken: 'vllm:time_to_first_token_seconds_bucket{model_name="sim-b"}',
    });
  });

  it('reads the gateway by route, backend and the stage’s mode, flags included', () => {
    const gateway: SeriesSelection = {
      traffic: {
        dialect: 'gateway',
        baseline: { route: 'r', backend: 'baseline' },
        candidate: { route: 'r', backend: 'candidate' },
      },
      latency: {
        dialect: 'gateway',
        baseline: { route: 'r', backend: 'baseline' },
        candidate: { route: 'r', backend: 'candidate' },
      },
      referenceLookbackMs: 600_000,
    };
    const shadow = seriesQueries(gateway, 'candidate', 'shadow');
    expect(shadow.responses).toBe(`${GATEWAY_METRICS.requests}{route="r",backend="candidate",mode="shadow"}`);
    expect(shadow.latency).toBe(`${GATEWAY_METRICS.duration}_bucket{route="r",backend="candidate",mode="shadow"}`);
    expect(shadow.invalidJson).toBe(
      `${GATEWAY_METRICS.flagged}{flag="invalid_json",route="r",backend="candidate",mode="shadow"}`,
    );
    expect(seriesQueries(gateway, 'baseline', 'bake').responses).toBe(
      `${GATEWAY_METRICS.requests}{route="r",backend="baseline",mode="shadow"}`,
    );
  });

  it('reads Istio from the destination reporter in milliseconds, and Envoy by cluster', () => {
    const mesh = (dialect: 'istio' | 'envoy', label: string): SeriesSelection => ({
      traffic: { dialect, baseline: { [label]: 'v1' }, candidate: { [label]: 'v2' } },
      latency: { dialect, baseline: { [label]: 'v1' }, candidate: { [label]: 'v2' } },
      referenceLookbackMs: 600_000,
    });
    expect(seriesQueries(mesh('istio', 'destination_version'), 'baseline', 'canary')).toEqual({
      responses: 'istio_requests_total{reporter="destination",destination_version="v1"}',
      latency: 'istio_request_duration_milliseconds_bucket{reporter="destination",destination_version="v1"}',
    });
    expect(DIALECTS.istio.latency!.msPerUnit).toBe(1);
    expect(seriesQueries(mesh('envoy', 'envoy_cluster_name'), 'candidate', 'canary')).toEqual({
      responses: 'envoy_cluster_upstream_rq_xx{envoy_cluster_name="v2"}',
      latency: 'envoy_cluster_upstream_rq_time_bucket{envoy_cluster_name="v2"}',
    });
  });

  it('keeps the gateway dialect on the gateway’s own names', () => {
    expect(DIALECTS.gateway.responses!.metric).toBe(GATEWAY_METRICS.requests);
    expect(DIALECTS.gateway.latency!.metric).toBe(GATEWAY_METRICS.duration);
    expect(DIALECTS.gateway.firstToken!.metric).toBe(GATEWAY_METRICS.timeToFirstToken);
    expect(DIALECTS.gateway.flags!.jsonRequests.metric).toBe(GATEWAY_METRICS.jsonRequested);
  });
});

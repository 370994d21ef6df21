// Prometheus series for workflow tests of the series judge: every read of a selector returns a
// larger cumulative value (100 more requests per arm per read), so each look sees fresh traffic.
// A script may make the candidate fail a share of its requests.
import type { SeriesReader } from '../../activities/metrics/judge-series-window';
import type { PromSample } from '../../activities/metrics/prometheus-client';

export interface SeriesScript {
  /** Share of the candidate's responses that are 5xx (default 0). */
  candidateErrorShare?: number;
}

const TARGET = { job: 'scripted', instance: 'scripted:1' };

export function scriptedSeries(scriptFor: (query: string) => SeriesScript | undefined): SeriesReader {
  const reads = new Map<string, number>();
  return async ({ query }) => {
    if (query === 'up')
      return { resultType: 'vector', samples: [{ labels: { __name__: 'up', ...TARGET }, value: 1, timestampMs: 0 }] };
    const k = (reads.get(query) ?? 0) + 1;
    reads.set(query, k);
    const candidate = /server="next"|model_name="sim-candidate"/.test(query);
    const sample = (labels: Record<string, string>, value: number): PromSample => ({
      labels: { ...labels, ...TARGET },
      value,
      timestampMs: 0,
    });
    if (query.startsWith('haproxy_server_http_responses_total')) {
      const errors = candidate ? Math.round(100 * (scriptFor(query)?.candidateErrorShare ?? 0)) : 0;
      return {
        resultType: 'vector',
        samples: [sample({ code: '2xx' }, k * (100 - errors)), sample({ code: '5xx' }, k * errors)],
      };
    }
    if (query.startsWith('vllm:e2e_request_latency_seconds_bucket')) {
      const buckets: Array<[string, number]> = [
        ['0.05', 90],
        ['0.1', 99],
        ['0.2', 100],
        ['+Inf', 100],
      ];
      return { resultType: 'vector', samples: buckets.map(([le, n]) => sample({ le }, k * n)) };
    }
    // No streamed answers: no time-to-first-token series.
    return { resultType: 'vector', samples: [] };
  };
}

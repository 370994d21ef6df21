// The PromQL behind each canary figure, built from the gateway's series names
// (gateway/metric-names.ts). Pure string building so the exact queries can be unit-tested and
// returned as evidence alongside the figures.
//
// Every figure is one query evaluated at the window's end; a ratio is computed inside PromQL from
// the same evaluation, so its numerator and denominator cannot come from different scrapes.
// increase() extrapolates to the window edges, so counts may be fractional; ratios of series
// scraped together are exact because both sides are extrapolated by the same factor.
//
// "No data" versus zero:
// - A query that matches no series yields an empty vector, read as null (no data). So does a
//   ratio with a zero denominator (NaN or Inf in PromQL).
// - Errors and successes are `code` subsets of the requests counter, a family that counts every
//   response. When that family has series for the backend but none with a 5xx code, no 5xx was
//   served: the error count is a real 0, not missing data. The `or 0 * total` fallback encodes
//   exactly that, and still yields nothing when the family itself has no series.
// - Tokens, flags and JSON requests are separate counters; when their series are missing the
//   figure is null even if requests exist, since absence there cannot be told apart from "not
//   instrumented". The gateway creates them at 0 with the route, which increase() needs anyway:
//   it cannot see the first increment of a series born inside the window.
import { DURATION_BUCKETS_SECONDS, GATEWAY_METRICS } from '../../gateway/metric-names';
import type { Matcher } from './promql';
import { range, selector } from './promql';

export type GatewayMode = 'live' | 'shadow';

export interface SeriesScope {
  route: string;
  backend: string;
  /** 'shadow' selects mirrored copies (responses discarded); 'live' what clients received. */
  mode: GatewayMode;
}

export const FIGURE_NAMES = [
  'requestCount',
  'successCount',
  'errorCount',
  'errorRate',
  'latencyP50Ms',
  'latencyP99Ms',
  'timeToFirstTokenP99Ms',
  'meanPromptTokens',
  'meanCompletionTokens',
  'refusalRate',
  'invalidJsonRate',
] as const;
export type FigureName = (typeof FIGURE_NAMES)[number];

/** 5xx covers the gateway's own 502 for an unreachable upstream as well as upstream 5xx. */
const ERROR_CODES = '5..';
const SUCCESS_CODES = '2..';

function scopeMatchers(scope: SeriesScope): Matcher[] {
  return [
    ['route', '=', scope.route],
    ['backend', '=', scope.backend],
    ['mode', '=', scope.mode],
  ];
}

export function buildBackendQueries(scope: SeriesScope, windowSeconds: number): Record<FigureName, string> {
  const w = range(windowSeconds);
  const base = scopeMatchers(scope);
  const increaseOf = (metric: string, extra: Matcher[] = []) =>
    `sum(increase(${selector(metric, [...base, ...extra])}${w}))`;

  const requests = increaseOf(GATEWAY_METRICS.requests);
  const codeSubset = (codes: string) =>
    `(${increaseOf(GATEWAY_METRICS.requests, [['code', '=~', codes]])} or (0 * ${requests}))`;
  const successes = codeSubset(SUCCESS_CODES);
  const errors = codeSubset(ERROR_CODES);
  const quantileMs = (q: number, histogram: string = GATEWAY_METRICS.duration) =>
    `(histogram_quantile(${q}, sum by (le) (rate(${selector(`${histogram}_bucket`, base)}${w}))) * 1000)`;

  return {
    requestCount: requests,
    successCount: successes,
    errorCount: errors,
    errorRate: `(${errors} / ${requests})`,
    latencyP50Ms: quantileMs(0.5),
    latencyP99Ms: quantileMs(0.99),
    // Streamed answers only: no series (no data) while nothing was streamed.
    timeToFirstTokenP99Ms: quantileMs(0.99, GATEWAY_METRICS.timeToFirstToken),
    meanPromptTokens: `(${increaseOf(GATEWAY_METRICS.tokens, [['kind', '=', 'prompt']])} / ${successes})`,
    meanCompletionTokens: `(${increaseOf(GATEWAY_METRICS.tokens, [['kind', '=', 'completion']])} / ${successes})`,
    refusalRate: `(${increaseOf(GATEWAY_METRICS.flagged, [['flag', '=', 'refusal']])} / ${successes})`,
    invalidJsonRate: `(${increaseOf(GATEWAY_METRICS.flagged, [['flag', '=', 'invalid_json']])} / ${increaseOf(GATEWAY_METRICS.jsonRequested)})`,
  };
}

/**
 * histogram_quantile reports the upper bound of the highest finite bucket when the quantile falls
 * in +Inf; callers comparing p99 should know that ceiling.
 */
export const LATENCY_CEILING_MS = Math.max(...DURATION_BUCKETS_SECONDS) * 1000;

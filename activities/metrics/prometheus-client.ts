// A small typed client for Prometheus's instant-query API (/api/v1/query). Every query carries an
// explicit evaluation time, so a read is reproducible and two reads at the same time agree.
//
// Two error classes, because callers react differently:
// - PrometheusUnavailableError: could not get an answer (connection refused, timeout, non-API
//   response). Transient; the rollout counts it as a failed metrics read.
// - PrometheusQueryError: Prometheus answered and rejected the query. A bug in the query or an
//   overloaded server; carries Prometheus's own errorType and message plus the query.
import { z } from 'zod';

export interface PromSample {
  labels: Record<string, string>;
  /** Parsed as Prometheus wrote it: may be NaN or ±Infinity. Use finiteOrNull() for figures. */
  value: number;
  timestampMs: number;
}

export type InstantResult =
  { resultType: 'vector'; samples: PromSample[] } | { resultType: 'scalar'; value: number; timestampMs: number };

export interface InstantQuery {
  baseUrl: string;
  query: string;
  /** Evaluation time, epoch ms. */
  timeMs: number;
  /** Overall deadline for the HTTP exchange; default 10 s. */
  timeoutMs?: number;
  signal?: AbortSignal;
}

export class PrometheusUnavailableError extends Error {
  constructor(
    readonly baseUrl: string,
    readonly query: string,
    reason: string,
  ) {
    super(`Prometheus at ${baseUrl} unavailable (${reason}) for query: ${query}`);
    this.name = 'PrometheusUnavailableError';
  }
}

export class PrometheusQueryError extends Error {
  constructor(
    readonly query: string,
    readonly errorType: string,
    readonly prometheusError: string,
  ) {
    super(`Prometheus rejected query (${errorType}: ${prometheusError}): ${query}`);
    this.name = 'PrometheusQueryError';
  }
}

const sampleValue = z.tuple([z.number(), z.string()]);
const responseSchema = z.discriminatedUnion('status', [
  z.object({
    status: z.literal('success'),
    data: z.discriminatedUnion('resultType', [
      z.object({
        resultType: z.literal('vector'),
        result: z.array(z.object({ metric: z.record(z.string(), z.string()), value: sampleValue })),
      }),
      z.object({ resultType: z.literal('scalar'), result: sampleValue }),
      z.object({ resultType: z.literal('matrix'), result: z.array(z.unknown()) }),
      z.object({ resultType: z.literal('string'), result: sampleValue }),
    ]),
  }),
  z.object({ status: z.literal('error'), errorType: z.string(), error: z.string() }),
]);

/** Prometheus encodes sample values as strings, including "NaN", "+Inf" and "-Inf". */
export function parseSampleValue(text: string): number {
  if (text === '+Inf' || text === 'Inf') return Number.POSITIVE_INFINITY;
  if (text === '-Inf') return Number.NEGATIVE_INFINITY;
  if (text === 'NaN') return Number.NaN;
  const value = Number(text);
  if (text.trim() === '' || Number.isNaN(value))
    throw new Error(`not a Prometheus sample value: ${JSON.stringify(text)}`);
  return value;
}

/** Turns a decoded /api/v1/query body into an InstantResult, or throws PrometheusQueryError. */
export function parseQueryResponse(query: string, body: unknown): InstantResult {
  const parsed = responseSchema.safeParse(body);
  if (!parsed.success) {
    throw new PrometheusQueryError(
      query,
      'bad_response',
      `unexpected response shape: ${parsed.error.issues[0]?.message ?? 'invalid'}`,
    );
  }
  const response = parsed.data;
  if (response.status === 'error') throw new PrometheusQueryError(query, response.errorType, response.error);
  const data = response.data;
  switch (data.resultType) {
    case 'vector':
      return {
        resultType: 'vector',
        samples: data.result.map((series) => ({
          labels: series.metric,
          value: parseSampleValue(series.value[1]),
          timestampMs: Math.round(series.value[0] * 1000),
        })),
      };
    case 'scalar':
      return {
        resultType: 'scalar',
        value: parseSampleValue(data.result[1]),
        timestampMs: Math.round(data.result[0] * 1000),
      };
    default:
      // A range selector or string literal at the top level: never what a figure wants.
      throw new PrometheusQueryError(
        query,
        'unsupported_result',
        `instant query returned a ${data.resultType}, expected a vector or scalar`,
      );
  }
}

/** NaN and ±Inf (0/0, x/0, histogram_quantile over no observations) carry no information. */
export function finiteOrNull(value: number): number | null {
  return Number.isFinite(value) ? value : null;
}

/**
 * The single figure a query yields: null when the vector is empty (no series) or the value is not
 * finite. More than one series means the query is missing an aggregation, which is a bug.
 */
export function singleValue(query: string, result: InstantResult): number | null {
  if (result.resultType === 'scalar') return finiteOrNull(result.value);
  if (result.samples.length === 0) return null;
  if (result.samples.length > 1) {
    throw new PrometheusQueryError(
      query,
      'ambiguous_result',
      `expected at most one series, got ${result.samples.length}`,
    );
  }
  return finiteOrNull(result.samples[0]!.value);
}

export async function queryInstant(request: InstantQuery): Promise<InstantResult> {
  const { query, timeMs, timeoutMs = 10_000 } = request;
  const baseUrl = request.baseUrl.replace(/\/+$/, '');
  const timeout = AbortSignal.timeout(timeoutMs);
  const signal = request.signal ? AbortSignal.any([request.signal, timeout]) : timeout;
  // POST keeps long PromQL out of URLs and access logs; Prometheus accepts form-encoded params.
  const form = new URLSearchParams({ query, time: (timeMs / 1000).toFixed(3) });
  let res: Response;
  let text: string;
  try {
    res = await fetch(`${baseUrl}/api/v1/query`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: form,
      signal,
    });
    text = await res.text();
  } catch (err) {
    if (timeout.aborted) throw new PrometheusUnavailableError(baseUrl, query, `no answer within ${timeoutMs} ms`);
    if (request.signal?.aborted) throw err;
    throw new PrometheusUnavailableError(baseUrl, query, networkReason(err));
  }
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    // Not the query API talking (a proxy error page, a different service on the port).
    throw new PrometheusUnavailableError(
      baseUrl,
      query,
      `HTTP ${res.status} with a non-JSON body: ${text.slice(0, 200)}`,
    );
  }
  return parseQueryResponse(query, body);
}

function networkReason(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const cause = err.cause as { code?: string; message?: string } | undefined;
  return cause?.code ?? cause?.message ?? err.message;
}

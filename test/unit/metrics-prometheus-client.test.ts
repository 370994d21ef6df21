// Parsing of Prometheus query API responses, and how the client reports failures.
import type { Server } from 'node:http';
import { createServer } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveWindow } from '../../activities/metrics/canary-metrics';
import {
  PrometheusQueryError,
  PrometheusUnavailableError,
  finiteOrNull,
  parseQueryResponse,
  parseSampleValue,
  queryInstant,
  singleValue,
} from '../../activities/metrics/prometheus-client';

describe('parseSampleValue', () => {
  it('parses numbers and the special values Prometheus writes as strings', () => {
    expect(parseSampleValue('0.25')).toBe(0.25);
    expect(parseSampleValue('1e+03')).toBe(1000);
    expect(parseSampleValue('+Inf')).toBe(Number.POSITIVE_INFINITY);
    expect(parseSampleValue('-Inf')).toBe(Number.NEGATIVE_INFINITY);
    expect(parseSampleValue('NaN')).toBeNaN();
  });

  it('rejects text that is not a sample value', () => {
    expect(() => parseSampleValue('abc')).toThrow(/not a Prometheus sample value/);
    expect(() => parseSampleValue('')).toThrow();
  });
});

describe('parseQueryResponse', () => {
  it('parses a vector', () => {
    const result = parseQueryResponse('q', {
      status: 'success',
      data: { resultType: 'vector', result: [{ metric: { job: 'gateway' }, value: [1700000000.5, '1'] }] },
    });
    expect(result).toEqual({
      resultType: 'vector',
      samples: [{ labels: { job: 'gateway' }, value: 1, timestampMs: 1700000000500 }],
    });
  });

  it('parses a scalar', () => {
    expect(
      parseQueryResponse('q', { status: 'success', data: { resultType: 'scalar', result: [1700000000, '0.5'] } }),
    ).toEqual({
      resultType: 'scalar',
      value: 0.5,
      timestampMs: 1700000000000,
    });
  });

  it("raises Prometheus's own error with the query", () => {
    const body = { status: 'error', errorType: 'bad_data', error: '1:5: parse error: unclosed left parenthesis' };
    expect(() => parseQueryResponse('sum(up', body)).toThrow(PrometheusQueryError);
    expect(() => parseQueryResponse('sum(up', body)).toThrow(
      'Prometheus rejected query (bad_data: 1:5: parse error: unclosed left parenthesis): sum(up',
    );
  });

  it('refuses range results and malformed bodies', () => {
    expect(() =>
      parseQueryResponse('up[5m]', { status: 'success', data: { resultType: 'matrix', result: [] } }),
    ).toThrow(/returned a matrix/);
    expect(() =>
      parseQueryResponse('up', { status: 'success', data: { resultType: 'vector', result: 'nope' } }),
    ).toThrow(/unexpected response shape/);
  });
});

describe('singleValue', () => {
  const vector = (...values: string[]) =>
    parseQueryResponse('q', {
      status: 'success',
      data: {
        resultType: 'vector',
        result: values.map((value, i) => ({ metric: { i: String(i) }, value: [1, value] })),
      },
    });

  it('reads no series, NaN and Inf as no data, and a finite value (including 0) as itself', () => {
    expect(singleValue('q', vector())).toBeNull();
    expect(singleValue('q', vector('NaN'))).toBeNull();
    expect(singleValue('q', vector('+Inf'))).toBeNull();
    expect(singleValue('q', vector('0'))).toBe(0);
    expect(singleValue('q', vector('0.01'))).toBe(0.01);
    expect(finiteOrNull(-0.5)).toBe(-0.5);
  });

  it('rejects a vector with several series: the query lacks an aggregation', () => {
    expect(() => singleValue('rate(x[1m])', vector('1', '2'))).toThrow(
      /expected at most one series, got 2.*rate\(x\[1m\]\)/,
    );
  });
});

describe('resolveWindow', () => {
  it('takes seconds ending at endMs, or rounds [startMs, endMs] to whole seconds', () => {
    expect(resolveWindow({ endMs: 100_000, seconds: 30 })).toEqual({ startMs: 70_000, endMs: 100_000, seconds: 30 });
    expect(resolveWindow({ startMs: 10_000, endMs: 70_400 })).toEqual({
      startMs: 10_000 + 400,
      endMs: 70_400,
      seconds: 60,
    });
  });

  it('rejects windows shorter than a second', () => {
    expect(() => resolveWindow({ startMs: 1_000, endMs: 1_200 })).toThrow(/whole number of seconds ≥ 1/);
    expect(() => resolveWindow({ endMs: 1_000, seconds: 0 })).toThrow(RangeError);
  });
});

describe('queryInstant over HTTP', () => {
  let server: Server;
  let baseUrl: string;
  const received: Array<{ method: string; url: string; body: string }> = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        received.push({ method: req.method ?? '', url: req.url ?? '', body });
        const query = new URLSearchParams(body).get('query');
        if (query === 'slow') return void setTimeout(() => res.end('{}'), 2_000);
        if (query === 'proxy') return void res.writeHead(502).end('<html>Bad Gateway</html>');
        if (query === 'bad') {
          return void res
            .writeHead(400, { 'content-type': 'application/json' })
            .end(JSON.stringify({ status: 'error', errorType: 'bad_data', error: 'parse error' }));
        }
        res
          .writeHead(200, { 'content-type': 'application/json' })
          .end(JSON.stringify({ status: 'success', data: { resultType: 'scalar', result: [1, '42'] } }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('no address');
    baseUrl = `http://127.0.0.1:${address.port}/`;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('POSTs the query with an explicit evaluation time', async () => {
    const result = await queryInstant({ baseUrl, query: 'vector(42)', timeMs: 1_700_000_000_123 });
    expect(result).toEqual({ resultType: 'scalar', value: 42, timestampMs: 1000 });
    const last = received.at(-1)!;
    expect(last.method).toBe('POST');
    expect(last.url).toBe('/api/v1/query');
    expect(Object.fromEntries(new URLSearchParams(last.body))).toEqual({ query: 'vector(42)', time: '1700000000.123' });
  });

  it('reports a rejected query with errorType and message', async () => {
    const error = await queryInstant({ baseUrl, query: 'bad', timeMs: 0 }).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(PrometheusQueryError);
    expect(error).toMatchObject({ errorType: 'bad_data', prometheusError: 'parse error', query: 'bad' });
  });

  it('reports a non-API answer and a timeout as unavailable', async () => {
    await expect(queryInstant({ baseUrl, query: 'proxy', timeMs: 0 })).rejects.toThrow(
      /Prometheus at http:\/\/127\.0\.0\.1:\d+ unavailable \(HTTP 502 with a non-JSON body: <html>Bad Gateway<\/html>\) for query: proxy/,
    );
    const error = await queryInstant({ baseUrl, query: 'slow', timeMs: 0, timeoutMs: 200 }).catch(
      (err: unknown) => err,
    );
    expect(error).toBeInstanceOf(PrometheusUnavailableError);
    expect((error as Error).message).toContain('no answer within 200 ms');
  });
});

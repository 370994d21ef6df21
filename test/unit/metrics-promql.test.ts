// PromQL text building: escaping, selectors, and the exact queries behind each canary figure.
import { describe, expect, it } from 'vitest';
import { FIGURE_NAMES, buildBackendQueries } from '../../activities/metrics/canary-queries';
import { quote, range, selector } from '../../activities/metrics/promql';

describe('quote', () => {
  it('escapes backslashes, quotes and newlines', () => {
    expect(quote('plain')).toBe('"plain"');
    expect(quote('a"b')).toBe('"a\\"b"');
    expect(quote('back\\slash')).toBe('"back\\\\slash"');
    expect(quote('two\nlines')).toBe('"two\\nlines"');
    expect(quote('"} or vector(1) #')).toBe('"\\"} or vector(1) #"');
  });
});

describe('selector', () => {
  it('joins matchers with their operators', () => {
    expect(selector('up', [['job', '=', 'gateway']])).toBe('up{job="gateway"}');
    expect(
      selector('m', [
        ['code', '=~', '5..'],
        ['mode', '!=', 'shadow'],
      ]),
    ).toBe('m{code=~"5..",mode!="shadow"}');
    expect(selector('m', [])).toBe('m{}');
  });

  it('rejects label names that PromQL cannot express', () => {
    expect(() => selector('m', [['bad-name', '=', 'x']])).toThrow(/invalid Prometheus label name: "bad-name"/);
  });
});

describe('range', () => {
  it('formats whole seconds and rejects anything else', () => {
    expect(range(600)).toBe('[600s]');
    expect(() => range(0)).toThrow(RangeError);
    expect(() => range(1.5)).toThrow(/whole number of seconds/);
  });
});

describe('buildBackendQueries', () => {
  const queries = buildBackendQueries({ route: 'chat', backend: 'candidate', mode: 'shadow' }, 300);
  const scope = 'route="chat",backend="candidate",mode="shadow"';
  const total = `sum(increase(llm_gateway_requests_total{${scope}}[300s]))`;

  it('builds one query per figure', () => {
    expect(Object.keys(queries).sort()).toEqual([...FIGURE_NAMES].sort());
  });

  it('counts requests, and errors as 5xx with a 0 fallback only when the family has series', () => {
    expect(queries.requestCount).toBe(total);
    const errors = `(sum(increase(llm_gateway_requests_total{${scope},code=~"5.."}[300s])) or (0 * ${total}))`;
    expect(queries.errorCount).toBe(errors);
    expect(queries.errorRate).toBe(`(${errors} / ${total})`);
    expect(queries.successCount).toBe(
      `(sum(increase(llm_gateway_requests_total{${scope},code=~"2.."}[300s])) or (0 * ${total}))`,
    );
  });

  it('takes latency quantiles over bucket rates summed by le, in milliseconds', () => {
    expect(queries.latencyP99Ms).toBe(
      `(histogram_quantile(0.99, sum by (le) (rate(llm_gateway_request_duration_seconds_bucket{${scope}}[300s]))) * 1000)`,
    );
    expect(queries.latencyP50Ms).toContain('histogram_quantile(0.5, ');
  });

  it('divides tokens and refusals by successes, and invalid JSON by JSON requests, without a 0 fallback', () => {
    const successes = queries.successCount;
    expect(queries.meanPromptTokens).toBe(
      `(sum(increase(llm_gateway_tokens_total{${scope},kind="prompt"}[300s])) / ${successes})`,
    );
    expect(queries.meanCompletionTokens).toBe(
      `(sum(increase(llm_gateway_tokens_total{${scope},kind="completion"}[300s])) / ${successes})`,
    );
    expect(queries.refusalRate).toBe(
      `(sum(increase(llm_gateway_responses_flagged_total{${scope},flag="refusal"}[300s])) / ${successes})`,
    );
    expect(queries.invalidJsonRate).toBe(
      `(sum(increase(llm_gateway_responses_flagged_total{${scope},flag="invalid_json"}[300s])) / sum(increase(llm_gateway_json_requests_total{${scope}}[300s])))`,
    );
  });

  it('escapes route and backend names from plans', () => {
    const odd = buildBackendQueries({ route: 'a"b', backend: 'c\\d', mode: 'live' }, 60);
    expect(odd.requestCount).toBe(
      'sum(increase(llm_gateway_requests_total{route="a\\"b",backend="c\\\\d",mode="live"}[60s]))',
    );
  });
});

// Guardrails with nothing to measure: what the plan cannot give (no prices) is left out of the
// verdict and said once; what the traffic does not use in either arm (no JSON-mode requests, no
// streamed answers) is not applicable for the window; what should have data and has none is
// still no data. Both the records path and the series path.
import { describe, expect, it } from 'vitest';
import type { RequestRecord } from '../../gateway/admin-api';
import { formatVerdict } from '../../cli/format';
import { judgeCanary } from '../../judge/canary-judge';
import { judgeConfigFromPlan, unjudgedByPlan } from '../../judge/plan-judge-config';
import { emptyTotals, seriesMetricData } from '../../judge/series-window';
import { armTraffic, metricData, type ArmTraffic, type TailReferences } from '../../judge/traffic-window';
import { parsePlan } from '../../plan/schema';
import { requestRecord } from '../support/request-records';

const free = { inputPer1k: 0, outputPer1k: 0 };
const prices = { inputPer1k: 0.5, outputPer1k: 1 };
const START = Date.parse('2026-11-22T10:00:00.000Z');
const reference = { quantile: 0.99, threshold: 200, toleranceRate: 0.03 };
const withReferences: TailReferences = { latency: reference, timeToFirstToken: reference };

const plan = parsePlan({
  rollout: { id: 'x' },
  backends: { baseline: { baseUrl: 'http://a', model: 'a' }, candidate: { baseUrl: 'http://b', model: 'b' } },
  approvals: { approvers: ['a'] },
  // The references below have no body quantiles: the distribution guard (on by default) is not what this tests.
  guardrails: { minRequests: 50, latencyDistribution: { enabled: false } },
});

let spread = 0;
// Healthy answers with some spread in latency and length, the same on both arms.
function record(partial: Partial<RequestRecord>): RequestRecord {
  spread = (spread + 1) % 1000;
  return requestRecord({ latencyMs: 100 + (spread % 50), completionTokens: 40 + (spread % 20), ...partial });
}

function arm(backend: 'baseline' | 'candidate', n: number, partial: Partial<RequestRecord> = {}, pricing = free) {
  return armTraffic(
    Array.from({ length: n }, () => record({ backend, ...partial })),
    { backend, mode: 'live' },
    START,
    pricing,
  );
}

function judge(baseline: ArmTraffic, candidate: ArmTraffic, pricing = { baseline: free, candidate: free }) {
  return judgeCanary({
    stage: 'canary-1',
    at: 'now',
    config: judgeConfigFromPlan(plan.guardrails, withReferences, pricing),
    data: metricData(baseline, candidate, withReferences),
  }).verdict;
}

describe('a guardrail the plan gives nothing to measure with', () => {
  it('leaves costPerRequest out of the verdict when the plan gives no prices, and says so once', () => {
    const verdict = judge(arm('baseline', 600), arm('candidate', 600));
    expect(verdict.metrics.map((m) => m.metric)).not.toContain('costPerRequest');
    expect(verdict.notes).toEqual(['costPerRequest not judged: the plan gives no prices']);
    expect(verdict.outcome).toBe('pass');
  });

  it('names the arm without prices, and judges cost when both arms are priced', () => {
    expect(unjudgedByPlan(plan.guardrails, { baseline: prices, candidate: free })).toEqual({
      costPerRequest: 'the plan gives no prices for the candidate',
    });
    const priced = judge(arm('baseline', 600, {}, prices), arm('candidate', 600, {}, prices), {
      baseline: prices,
      candidate: prices,
    });
    expect(priced.metrics.find((m) => m.metric === 'costPerRequest')).toMatchObject({ classification: 'pass' });
    expect(priced.notes).toBeUndefined();
  });

  it('is not reported when the guardrail is off', () => {
    const off = parsePlan({ ...plan, guardrails: { ...plan.guardrails, costPerRequest: { enabled: false } } });
    expect(unjudgedByPlan(off.guardrails, { baseline: free, candidate: free })).toEqual({});
  });
});

describe('a guardrail the traffic does not use in either arm', () => {
  it('shows schemaAdherence and timeToFirstToken as not applicable, outside the score, never blocking', () => {
    const verdict = judge(arm('baseline', 600), arm('candidate', 600));
    for (const name of ['schemaAdherence', 'timeToFirstToken']) {
      const metric = verdict.metrics.find((m) => m.metric === name)!;
      expect(metric).toMatchObject({ status: 'not_applicable', classification: 'no_data', blocking: false });
      expect(metric.message).toContain('not applicable');
      expect(verdict.scoreBreakdown.groups.flatMap((g) => g.metrics)).not.toContain(name);
    }
    expect(verdict.outcome).toBe('pass');
    expect(verdict.reason).not.toContain('schemaAdherence');
  });

  it('is shown to people as n/a, with the plan note', () => {
    const text = formatVerdict(judge(arm('baseline', 600), arm('candidate', 600)));
    expect(text).toMatch(/^ {4}n\/a {5}schemaAdherence: not applicable in this window/m);
    expect(text).toContain('    note    costPerRequest not judged: the plan gives no prices');
  });

  it('is still no data, never a pass, when the candidate answered nothing while the baseline has data', () => {
    const verdict = judge(
      arm('baseline', 600, { validJson: true, ttftMs: 50 }),
      arm('candidate', 600, { status: 500 }),
    );
    for (const name of ['schemaAdherence', 'timeToFirstToken']) {
      expect(verdict.metrics.find((m) => m.metric === name)).toMatchObject({
        status: 'no_data',
        classification: 'no_data',
        blocking: true,
      });
    }
    expect(verdict.outcome).not.toBe('pass');
  });

  it('is still no data when only the candidate lost what the baseline has (JSON answers, streamed answers)', () => {
    const verdict = judge(arm('baseline', 600, { validJson: true, ttftMs: 50 }), arm('candidate', 600));
    expect(verdict.outcome).toBe('inconclusive');
    expect(verdict.reason).toContain('schemaAdherence (no data)');
    expect(verdict.reason).toContain('timeToFirstToken (no data)');
  });

  it('behaves the same on series: not applicable with no JSON or streaming in either arm, no data when one side is missing', () => {
    const answered = { ...emptyTotals(), requests: 600, successes: 600 };
    const none = seriesMetricData({ baseline: answered, candidate: answered }, withReferences);
    expect(none.schemaAdherence).toEqual({ type: 'not_applicable', reason: 'no JSON-mode request in either arm' });
    expect(none.timeToFirstToken).toEqual({ type: 'not_applicable', reason: 'no streamed answer in either arm' });
    const streamingBaseline = {
      ...answered,
      jsonRequests: 100,
      firstToken: { '200': 590, Infinity: 600 },
    };
    const oneSided = seriesMetricData({ baseline: streamingBaseline, candidate: answered }, withReferences);
    expect(oneSided.schemaAdherence).toMatchObject({ type: 'counts', candidate: { total: 0 } });
    expect(oneSided.timeToFirstToken).toBeUndefined();
    const silent = seriesMetricData(
      { baseline: answered, candidate: { ...emptyTotals(), requests: 600, errors: 600 } },
      withReferences,
    );
    expect(silent.schemaAdherence).toMatchObject({ type: 'counts' });
    expect(silent.timeToFirstToken).toBeUndefined();
  });
});

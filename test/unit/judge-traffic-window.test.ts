// From the gateway's per-request records to the judge's data: which records count for which arm,
// what each guardrail is computed over, and the plan → judge mapping.
import { describe, expect, it } from 'vitest';
import { judgeCanary } from '../../judge/canary-judge';
import { judgeConfigFromPlan } from '../../judge/plan-judge-config';
import { canaryPower, latencyToleranceRate } from '../../judge/plan-power';
import { armTraffic, firstTokenReference, latencyReference, metricData } from '../../judge/traffic-window';
import { parsePlan } from '../../plan/schema';
import { requestRecord } from '../support/request-records';

const free = { inputPer1k: 0, outputPer1k: 0 };
const unpriced = { baseline: free, candidate: free };
const record = requestRecord;
const START = Date.parse('2026-11-22T10:00:00.000Z');

describe('armTraffic', () => {
  it('counts only the arm, the mode and the window, and leaves client hang-ups out', () => {
    const records = [
      record({ status: 200 }),
      record({ status: 500 }),
      record({ status: 502, latencyMs: 5 }),
      record({ status: 499 }),
      record({ mode: 'shadow' }),
      record({ backend: 'baseline' }),
      record({ at: '2026-11-22T09:59:59.000Z' }),
      record({ refusal: true }),
      record({ validJson: true }),
      record({ validJson: false }),
    ];
    const arm = armTraffic(records, { backend: 'candidate', mode: 'live' }, START, free);
    expect(arm.requests).toBe(6);
    expect(arm.errors).toBe(2);
    expect(arm.successes).toBe(4);
    expect(arm.refusals).toBe(1);
    expect([arm.validJson, arm.jsonRequests]).toEqual([1, 2]);
    // The gateway's own 502 (no upstream answer) has no backend latency.
    expect(arm.latenciesMs).toHaveLength(5);
    expect(arm.completionTokens).toHaveLength(4);
    expect(arm.costs).toHaveLength(0);
  });

  it('prices each successful request when the plan has prices', () => {
    const arm = armTraffic(
      [record({ promptTokens: 1000, completionTokens: 2000 })],
      { backend: 'candidate', mode: 'live' },
      START,
      { inputPer1k: 0.5, outputPer1k: 1 },
    );
    expect(arm.costs).toEqual([2.5]);
  });
});

describe('metricData and the judge', () => {
  const plan = parsePlan({
    rollout: { id: 'x' },
    backends: { baseline: { baseUrl: 'http://a', model: 'a' }, candidate: { baseUrl: 'http://b', model: 'b' } },
    approvals: { approvers: ['a'] },
    guardrails: { minRequests: 50, costPerRequest: { enabled: false } },
  });

  it('gives counts for the proportions, samples for length, and no latency data before a reference exists', () => {
    const baseline = armTraffic(
      Array.from({ length: 100 }, () => record({ backend: 'baseline' })),
      { backend: 'baseline', mode: 'live' },
      START,
      free,
    );
    const candidate = armTraffic(
      Array.from({ length: 100 }, (_, i) => record({ status: i < 20 ? 500 : 200 })),
      { backend: 'candidate', mode: 'live' },
      START,
      free,
    );
    const none = { latency: null, timeToFirstToken: null };
    const data = metricData(baseline, candidate, none);
    expect(data.errorRate).toEqual({
      type: 'counts',
      baseline: { events: 0, total: 100 },
      candidate: { events: 20, total: 100 },
    });
    expect(data.p99Latency).toBeUndefined();
    expect(data.length).toMatchObject({ type: 'samples' });
    expect(judgeConfigFromPlan(plan.guardrails, none, unpriced).metrics.map((m) => m.name)).toEqual([
      'errorRate',
      'refusalRate',
      'schemaAdherence',
      'length',
    ]);
    const { verdict } = judgeCanary({
      stage: 'canary-1',
      at: 'now',
      config: judgeConfigFromPlan(plan.guardrails, none, unpriced),
      data,
    });
    expect(verdict.outcome).toBe('fail');
    expect(verdict.reason).toContain('errorRate up');
  });

  it('judges latency as the share above the shadow p99 once a reference exists', () => {
    const latencies = Array.from({ length: 200 }, (_, i) => 50 + i);
    const shadowBaseline = armTraffic(
      latencies.map((ms) => record({ backend: 'baseline', latencyMs: ms })),
      { backend: 'baseline', mode: 'live' },
      START,
      free,
    );
    const reference = latencyReference(shadowBaseline, 0.25, 50)!;
    expect(reference.threshold).toBeGreaterThan(245);
    const slow = armTraffic(
      latencies.map((ms) => record({ latencyMs: ms * 2 })),
      { backend: 'candidate', mode: 'live' },
      START,
      free,
    );
    const data = metricData(shadowBaseline, slow, { latency: reference, timeToFirstToken: null });
    expect(data.p99Latency).toMatchObject({ type: 'exceedance', threshold: reference.threshold });
    const exceed = data.p99Latency as { baseline: { events: number }; candidate: { events: number } };
    expect(exceed.baseline.events).toBeLessThanOrEqual(2);
    expect(exceed.candidate.events).toBeGreaterThan(100);
    expect(latencyReference(armTraffic([], { backend: 'baseline', mode: 'live' }, START, free), 0.25, 50)).toBeNull();
  });

  it('judges time to first token on streamed answers only, against the shadow p99 of the baseline', () => {
    // Same total latency on both sides; the candidate's first token comes twice as late.
    const ttfts = Array.from({ length: 200 }, (_, i) => 20 + i / 2);
    const streamed = (backend: string, scale: number) => [
      ...ttfts.map((ms) => record({ backend, latencyMs: 400, ttftMs: ms * scale })),
      // Unstreamed answers and failures have no first token to time.
      ...Array.from({ length: 30 }, () => record({ backend, latencyMs: 400, ttftMs: null })),
      record({ backend, status: 500, ttftMs: null }),
    ];
    const baseline = armTraffic(streamed('baseline', 1), { backend: 'baseline', mode: 'live' }, START, free);
    const candidate = armTraffic(streamed('candidate', 2), { backend: 'candidate', mode: 'live' }, START, free);
    expect(baseline.ttftsMs).toHaveLength(200);
    const references = {
      latency: latencyReference(baseline, 0.25, 50),
      timeToFirstToken: firstTokenReference(baseline, 0.25, 50),
    };
    expect(references.timeToFirstToken!.threshold).toBeGreaterThan(115);
    const config = judgeConfigFromPlan(plan.guardrails, references, unpriced);
    expect(config.metrics.map((m) => m.name)).toEqual([
      'errorRate',
      'refusalRate',
      'schemaAdherence',
      'p99Latency',
      'timeToFirstToken',
      'length',
    ]);
    const data = metricData(baseline, candidate, references);
    expect(data.timeToFirstToken).toMatchObject({
      type: 'exceedance',
      baseline: { total: 200 },
      candidate: { total: 200 },
    });
    const { verdict } = judgeCanary({ stage: 'canary-1', at: 'now', config, data });
    expect(verdict.outcome).toBe('fail');
    expect(verdict.reason).toContain('critical regression: timeToFirstToken (share above p99) up');
    expect(verdict.reason).not.toContain('p99Latency');
  });

  it('leaves time to first token out when too few answers were streamed to measure the baseline', () => {
    const few = armTraffic(
      Array.from({ length: 10 }, () => record({ backend: 'baseline', ttftMs: 30 })),
      { backend: 'baseline', mode: 'live' },
      START,
      free,
    );
    expect(firstTokenReference(few, 0.25, 50)).toBeNull();
    const config = judgeConfigFromPlan(plan.guardrails, { latency: null, timeToFirstToken: null }, unpriced);
    expect(config.metrics.map((m) => m.name)).not.toContain('timeToFirstToken');
  });

  it('reads a plan parsed before a guardrail existed as that guardrail being off', () => {
    const { timeToFirstToken: _dropped, ...older } = plan.guardrails;
    const reference = { quantile: 0.99, threshold: 100, toleranceRate: 0.03 };
    const config = judgeConfigFromPlan(
      older as typeof plan.guardrails,
      {
        latency: reference,
        timeToFirstToken: reference,
      },
      unpriced,
    );
    expect(config.metrics.map((m) => m.name)).toEqual([
      'errorRate',
      'refusalRate',
      'schemaAdherence',
      'p99Latency',
      'length',
    ]);
  });
});

describe('canary power from the plan', () => {
  it('is absent without expected traffic, and needs longer windows at smaller weights', () => {
    const base = {
      rollout: { id: 'x' },
      backends: { baseline: { baseUrl: 'http://a', model: 'a' }, candidate: { baseUrl: 'http://b', model: 'b' } },
      approvals: { approvers: ['a'] },
    };
    expect(canaryPower(parsePlan(base))).toBeNull();
    const steps = canaryPower(
      parsePlan({
        ...base,
        stages: {
          canary: {
            steps: [
              { weight: 5, window: '15m' },
              { weight: 50, window: '15m' },
            ],
            expected: { requestsPerMinute: 1000 },
          },
        },
      }),
    )!;
    expect(steps).toHaveLength(2);
    expect(steps[0]!.neededMinutes).toBeGreaterThan(steps[1]!.neededMinutes);
    expect(Number.isFinite(steps[1]!.neededMinutes)).toBe(true);
  });

  it('turns a relative p99 tolerance into an exceedance rate under a log-normal body', () => {
    // No tolerance: the share above p99 is 1 %; a +25 % p99 with σ = 0.5 moves it to about 3.5 %.
    expect(latencyToleranceRate(0, 0.5)).toBeCloseTo(0.01, 6);
    expect(latencyToleranceRate(0.25, 0.5)).toBeGreaterThan(0.03);
    expect(latencyToleranceRate(0.25, 0.5)).toBeLessThan(0.04);
  });
});

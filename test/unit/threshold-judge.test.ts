// The threshold judge decides whether a canary window passes on plain Prometheus figures (any
// router). Each test pins one of its rules with exact numbers and the words a release owner reads.
import { describe, expect, it } from 'vitest';
import { classify, deltaOf, judgeByThresholds, type ThresholdJudgeInput } from '../../judge/threshold-judge';
import type { TrafficFigures } from '../../judge/traffic-figures';
import type { MetricEvidence } from '../../judge/verdict';
import { parsePlan, type RolloutPlan } from '../../plan/schema';
import { noTraffic } from '../support/scripted-figures';

type Guardrails = RolloutPlan['guardrails'];
type Pricing = RolloutPlan['backends']['baseline']['pricing'];

const FREE: Pricing = { inputPer1k: 0, outputPer1k: 0 };
const AT = '2025-01-01T00:00:00.000Z';

/** The plan's default guardrails, optionally overridden the way a plan file would. */
function guardrails(overrides: Record<string, unknown> = {}): Guardrails {
  return parsePlan({
    rollout: { id: 'judge-test' },
    backends: {
      baseline: { baseUrl: 'http://127.0.0.1:1/v1', model: 'a' },
      candidate: { baseUrl: 'http://127.0.0.1:2/v1', model: 'b' },
    },
    approvals: { approvers: ['alice'] },
    guardrails: overrides,
  }).guardrails;
}

/** 100 requests of an ordinary, healthy backend. */
function figures(overrides: Partial<TrafficFigures> = {}): TrafficFigures {
  return {
    requests: 100,
    errors: 1,
    errorRate: 0.01,
    p50LatencySeconds: 0.2,
    p99LatencySeconds: 0.5,
    p99TimeToFirstTokenSeconds: 0.15,
    promptTokensPerRequest: 100,
    completionTokensPerRequest: 200,
    refusalRate: 0.01,
    schemaAdherence: 0.99,
    ...overrides,
  };
}

function judge(input: Partial<ThresholdJudgeInput> & { candidate: TrafficFigures }) {
  return judgeByThresholds({
    stage: 'canary-1',
    baseline: figures(),
    guardrails: guardrails(),
    pricing: { baseline: FREE, candidate: FREE },
    at: AT,
    ...input,
  });
}

function metric(metrics: MetricEvidence[], name: string): MetricEvidence {
  const found = metrics.find((m) => m.metric === name);
  if (!found) throw new Error(`no evidence for ${name}; have ${metrics.map((m) => m.metric).join(', ')}`);
  return found;
}

describe('judgeByThresholds: enough evidence first', () => {
  it('is inconclusive while either side is below minRequests, even with a glaring breach', () => {
    // Protects "a handful of requests proves nothing": 49 requests must not fail or pass a canary.
    const bad = figures({ requests: 49, errorRate: 0.5 });
    const low = judge({ candidate: bad });
    expect(low.outcome).toBe('inconclusive');
    expect(low.reason).toBe('not enough requests yet (baseline 100, candidate 49; each needs 50)');

    const lowBaseline = judge({ baseline: figures({ requests: 10 }), candidate: figures({ requests: 500 }) });
    expect(lowBaseline.outcome).toBe('inconclusive');
    expect(lowBaseline.reason).toBe('not enough requests yet (baseline 10, candidate 500; each needs 50)');
  });

  it('reads null requests (no series at all) as zero, never as enough', () => {
    const verdict = judge({ baseline: figures({ requests: null }), candidate: figures({ requests: null }) });
    expect(verdict.outcome).toBe('inconclusive');
    expect(verdict.reason).toBe('not enough requests yet (baseline 0, candidate 0; each needs 50)');
    expect(verdict.metrics.every((m) => m.samples.baseline === 0 && m.samples.candidate === 0)).toBe(true);
  });

  it('passes at exactly minRequests on both sides', () => {
    const verdict = judge({ guardrails: guardrails({ minRequests: 100 }), candidate: figures() });
    expect(verdict.outcome).toBe('pass');
  });
});

describe('judgeByThresholds: outcomes', () => {
  it('passes identical backends with every guardrail classified pass', () => {
    const verdict = judge({ candidate: figures() });
    expect(verdict).toMatchObject({ stage: 'canary-1', outcome: 'pass', at: AT });
    // The plan gives no prices here: cost is left out, not counted as missing.
    expect(verdict.reason).toBe('all 6 guardrails within tolerance over 100 candidate requests');
    expect(verdict.notes).toEqual(['costPerRequest not judged: the plan gives no prices']);
    expect(verdict.metrics.map((m) => [m.metric, m.classification])).toEqual([
      ['errorRate', 'pass'],
      ['p99Latency', 'pass'],
      ['timeToFirstToken', 'pass'],
      ['refusalRate', 'pass'],
      ['schemaAdherence', 'pass'],
      ['length', 'pass'],
    ]);
  });

  it('fails on a critical metric beyond tolerance and names it with the delta', () => {
    // Protects the rollback trigger: errorRate is critical by default.
    const verdict = judge({ candidate: figures({ errorRate: 0.05 }) });
    expect(verdict.outcome).toBe('fail');
    expect(verdict.reason).toBe('errorRate up 4.00 pts (tolerance 1.00 pts)');
    const evidence = metric(verdict.metrics, 'errorRate');
    expect(evidence).toMatchObject({
      classification: 'high',
      critical: true,
      baseline: 0.01,
      candidate: 0.05,
      deltaKind: 'absolute',
      tolerance: 0.01,
      test: 'threshold',
    });
    expect(evidence.delta).toBeCloseTo(0.04, 12);
    expect(evidence.samples).toEqual({ baseline: 100, candidate: 100 });
  });

  it('names every critical breach in the failure reason', () => {
    const verdict = judge({ candidate: figures({ errorRate: 0.05, refusalRate: 0.1 }) });
    expect(verdict.outcome).toBe('fail');
    expect(verdict.reason).toBe(
      'errorRate up 4.00 pts (tolerance 1.00 pts); refusalRate up 9.00 pts (tolerance 2.00 pts)',
    );
  });

  it('is inconclusive (not failed) on a non-critical breach, and says it is non-critical', () => {
    // length is non-critical by default: different answers are not proven worse.
    const verdict = judge({ candidate: figures({ completionTokensPerRequest: 300 }) });
    expect(verdict.outcome).toBe('inconclusive');
    expect(verdict.reason).toBe('non-critical difference: length up 50.0% (tolerance 30%)');
  });

  it('fails on the same breach when the plan marks the guardrail critical', () => {
    const verdict = judge({
      guardrails: guardrails({ length: { critical: true } }),
      candidate: figures({ completionTokensPerRequest: 300 }),
    });
    expect(verdict.outcome).toBe('fail');
    expect(verdict.reason).toBe('length up 50.0% (tolerance 30%)');
  });

  it('lets a critical breach win over a non-critical one', () => {
    const verdict = judge({ candidate: figures({ completionTokensPerRequest: 300, errorRate: 0.03 }) });
    expect(verdict.outcome).toBe('fail');
    expect(verdict.reason).toBe('errorRate up 2.00 pts (tolerance 1.00 pts)');
  });
});

describe('judgeByThresholds: deltas and directions', () => {
  it('compares rates as absolute differences in points', () => {
    // 0.1% → 0.5% is five times the baseline but only 0.4 points: within the 1-point tolerance.
    const verdict = judge({ baseline: figures({ errorRate: 0.001 }), candidate: figures({ errorRate: 0.005 }) });
    const evidence = metric(verdict.metrics, 'errorRate');
    expect(evidence.deltaKind).toBe('absolute');
    expect(evidence.delta).toBeCloseTo(0.004, 12);
    expect(evidence.classification).toBe('pass');
    expect(evidence.message).toBe('errorRate: 0.40 pts (within ±1.00 pts)');
  });

  it('compares latency as a relative change', () => {
    // +0.1 s is small in absolute terms but +20 % relative; +0.2 s is +40 % and breaches 25 %.
    const within = judge({ candidate: figures({ p99LatencySeconds: 0.6 }) });
    expect(metric(within.metrics, 'p99Latency')).toMatchObject({
      deltaKind: 'relative',
      classification: 'pass',
      message: 'p99Latency: 20.0% (within ±25%)',
    });
    const beyond = judge({ candidate: figures({ p99LatencySeconds: 0.7 }) });
    expect(beyond.outcome).toBe('fail');
    expect(beyond.reason).toBe('p99Latency up 40.0% (tolerance 25%)');
    expect(metric(beyond.metrics, 'p99Latency').delta).toBeCloseTo(0.4, 12);
  });

  it('ignores improvements on higher_is_worse metrics', () => {
    const verdict = judge({ baseline: figures({ errorRate: 0.08, p99LatencySeconds: 2 }), candidate: figures() });
    expect(metric(verdict.metrics, 'errorRate').classification).toBe('pass');
    expect(metric(verdict.metrics, 'p99Latency').classification).toBe('pass');
    expect(verdict.outcome).toBe('pass');
  });

  it('fails a drop in schema adherence (lower_is_worse) and ignores a rise', () => {
    const drop = judge({ candidate: figures({ schemaAdherence: 0.95 }) });
    expect(drop.outcome).toBe('fail');
    expect(drop.reason).toBe('schemaAdherence down 4.00 pts (tolerance 2.00 pts)');
    expect(metric(drop.metrics, 'schemaAdherence')).toMatchObject({
      direction: 'lower_is_worse',
      classification: 'low',
    });

    const rise = judge({ baseline: figures({ schemaAdherence: 0.9 }), candidate: figures({ schemaAdherence: 0.99 }) });
    expect(metric(rise.metrics, 'schemaAdherence').classification).toBe('pass');
  });

  it('flags length changes both ways (direction either)', () => {
    const longer = judge({ candidate: figures({ completionTokensPerRequest: 300 }) });
    expect(metric(longer.metrics, 'length')).toMatchObject({ direction: 'either', classification: 'high' });
    const shorter = judge({ candidate: figures({ completionTokensPerRequest: 100 }) });
    expect(metric(shorter.metrics, 'length')).toMatchObject({ direction: 'either', classification: 'low' });
    expect(shorter.reason).toBe('non-critical difference: length down 50.0% (tolerance 30%)');
    const similar = judge({ candidate: figures({ completionTokensPerRequest: 150 }) });
    expect(metric(similar.metrics, 'length').classification).toBe('pass');
  });

  it('uses the tolerance as an inclusive bound', () => {
    // Exactly at the tolerance is within it; only beyond it is a breach.
    expect(classify(0.25, 'higher_is_worse', 0.25)).toBe('pass');
    expect(classify(0.2500001, 'higher_is_worse', 0.25)).toBe('high');
    expect(classify(-0.25, 'lower_is_worse', 0.25)).toBe('pass');
    expect(classify(-0.2500001, 'lower_is_worse', 0.25)).toBe('low');
    expect(classify(-1, 'higher_is_worse', 0.25)).toBe('pass');
    expect(classify(1, 'lower_is_worse', 0.25)).toBe('pass');
    expect(classify(null, 'either', 0.25)).toBe('no_data');
  });

  it('computes deltas, with a zero baseline giving 0 or +infinity, never NaN', () => {
    expect(deltaOf(0.01, 0.03, 'absolute')).toBeCloseTo(0.02, 12);
    expect(deltaOf(2, 3, 'relative')).toBe(0.5);
    expect(deltaOf(0, 0, 'relative')).toBe(0);
    expect(deltaOf(0, 0.1, 'relative')).toBe(Number.POSITIVE_INFINITY);
    expect(deltaOf(null, 1, 'absolute')).toBeNull();
    expect(deltaOf(1, null, 'relative')).toBeNull();
  });
});

describe('judgeByThresholds: missing data and configuration', () => {
  it('does not let one ratio without data block a pass', () => {
    // No request asked for JSON on the candidate side: schema adherence is unknown, the rest is fine.
    const verdict = judge({ candidate: figures({ schemaAdherence: null }) });
    expect(metric(verdict.metrics, 'schemaAdherence')).toMatchObject({
      classification: 'no_data',
      candidate: null,
      delta: null,
      message: 'schemaAdherence: no data',
    });
    expect(verdict.outcome).toBe('pass');
    expect(verdict.reason).toBe(
      '5 of 6 guardrails within tolerance over 100 candidate requests (no data: schemaAdherence)',
    );
  });

  it('does not pass when no guardrail could be measured at all', () => {
    // Enough requests, but not one figure to compare: that is no evidence, not a clean bill.
    const { requests: _requests, ...empty } = noTraffic;
    const verdict = judge({ baseline: figures(empty), candidate: figures(empty) });
    expect(verdict.outcome).toBe('inconclusive');
    expect(verdict.reason).toBe(
      'no guardrail could be measured over 100 candidate requests (no data: errorRate, p99Latency, timeToFirstToken, refusalRate, schemaAdherence, length)',
    );
  });

  it('judges time to first token only where answers were streamed', () => {
    // No streamed answers on either side (a non-chat or non-streaming service): no data, no block.
    const unstreamed = judge({
      baseline: figures({ p99TimeToFirstTokenSeconds: null }),
      candidate: figures({ p99TimeToFirstTokenSeconds: null }),
    });
    expect(metric(unstreamed.metrics, 'timeToFirstToken')).toMatchObject({ classification: 'no_data' });
    expect(unstreamed.outcome).toBe('pass');
    // Same total latency, first token twice as late: a critical regression of its own.
    const slowStart = judge({ candidate: figures({ p99TimeToFirstTokenSeconds: 0.3 }) });
    expect(metric(slowStart.metrics, 'timeToFirstToken')).toMatchObject({
      classification: 'high',
      critical: true,
      deltaKind: 'relative',
    });
    expect(slowStart.outcome).toBe('fail');
    expect(slowStart.reason).toBe('timeToFirstToken up 100.0% (tolerance 25%)');
  });

  it('leaves cost out, with a note, when an arm has no prices, and computes it when both are priced', () => {
    const unpriced = judge({ candidate: figures() });
    expect(unpriced.metrics.map((m) => m.metric)).not.toContain('costPerRequest');
    expect(unpriced.notes).toEqual(['costPerRequest not judged: the plan gives no prices']);
    const halfPriced = judge({
      candidate: figures(),
      pricing: { baseline: { inputPer1k: 0.001, outputPer1k: 0.002 }, candidate: FREE },
    });
    expect(halfPriced.metrics.map((m) => m.metric)).not.toContain('costPerRequest');
    expect(halfPriced.notes).toEqual(['costPerRequest not judged: the plan gives no prices for the candidate']);

    // Baseline: (100 × 0.001 + 200 × 0.002) / 1000 = $0.0005; candidate twice the price: $0.001.
    const priced = judge({
      candidate: figures(),
      pricing: {
        baseline: { inputPer1k: 0.001, outputPer1k: 0.002 },
        candidate: { inputPer1k: 0.002, outputPer1k: 0.004 },
      },
    });
    const cost = metric(priced.metrics, 'costPerRequest');
    expect(cost.baseline).toBeCloseTo(0.0005, 12);
    expect(cost.candidate).toBeCloseTo(0.001, 12);
    expect(cost.delta).toBeCloseTo(1, 12);
    expect(cost).toMatchObject({ classification: 'high', critical: false, deltaKind: 'relative' });
    // Cost is non-critical by default: a human decides whether the price is worth it.
    expect(priced.outcome).toBe('inconclusive');
    expect(priced.reason).toBe('non-critical difference: costPerRequest up 100.0% (tolerance 50%)');
  });

  it('omits disabled guardrails from the evidence and from the decision', () => {
    const verdict = judge({
      guardrails: guardrails({
        length: { enabled: false },
        costPerRequest: { enabled: false },
        errorRate: { enabled: false },
        timeToFirstToken: { enabled: false },
      }),
      candidate: figures({ errorRate: 0.5, completionTokensPerRequest: 1_000 }),
    });
    expect(verdict.metrics.map((m) => m.metric)).toEqual(['p99Latency', 'refusalRate', 'schemaAdherence']);
    expect(verdict.outcome).toBe('pass');
    expect(verdict.reason).toBe('all 3 guardrails within tolerance over 100 candidate requests');
  });

  it('never reports judgeScore: that guardrail belongs to the golden eval', () => {
    const verdict = judge({ candidate: figures() });
    expect(verdict.metrics.some((m) => m.metric === 'judgeScore')).toBe(false);
  });

  it('takes direction, tolerance and criticality from the plan', () => {
    // A plan that says shorter answers are the only worry, within 10 %, and critical.
    const rails = guardrails({ length: { direction: 'lower_is_worse', tolerance: 0.1, critical: true } });
    expect(judge({ guardrails: rails, candidate: figures({ completionTokensPerRequest: 400 }) }).outcome).toBe('pass');
    const shorter = judge({ guardrails: rails, candidate: figures({ completionTokensPerRequest: 170 }) });
    expect(shorter.outcome).toBe('fail');
    expect(shorter.reason).toBe('length down 15.0% (tolerance 10%)');
  });
});

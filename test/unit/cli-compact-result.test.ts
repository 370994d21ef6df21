import { describe, expect, it } from 'vitest';
import { COMPACT_TIMELINE_EVENTS, compactResult, compactStatus } from '../../cli/compact-result';
import type { MetricEvidence, Verdict } from '../../judge/verdict';
import type { RolloutResult, StageRecord, TimelineEvent } from '../../workflows/rollout-state';
import { rolloutStatus } from '../support/rollout-status';

const errorRate: MetricEvidence = {
  metric: 'errorRate',
  direction: 'higher_is_worse',
  critical: true,
  baseline: 0.01,
  candidate: 0.12,
  delta: 0.11,
  deltaKind: 'absolute',
  tolerance: 0.01,
  interval: [0.05, 0.17],
  test: 'always-valid difference of proportions',
  pValue: 0.0029,
  samples: { baseline: 900, candidate: 100 },
  classification: 'high',
  message: 'errorRate up +11.00 pts (always-valid +5.00 pts to +17.00 pts; tolerance +1.00 pts; p = 0.0029)',
};
const cost: MetricEvidence = {
  metric: 'costPerRequest',
  direction: 'higher_is_worse',
  critical: false,
  baseline: null,
  candidate: null,
  delta: null,
  deltaKind: 'relative',
  tolerance: 0.1,
  samples: { baseline: 0, candidate: 0 },
  classification: 'no_data',
  message: 'costPerRequest (no data)',
};
const failed: Verdict = {
  stage: 'canary-1',
  outcome: 'fail',
  reason: 'errorRate regressed',
  score: 12,
  metrics: [errorRate, cost],
  at: '2026-12-02T10:05:00.000Z',
  report: '/var/reports/canary-1.md',
};
const stages: StageRecord[] = [
  { id: 'shadow', kind: 'shadow', status: 'passed', candidateWeight: 0, windowMs: 60_000, verdict: 'pass' },
  { id: 'canary-1', kind: 'canary', status: 'failed', candidateWeight: 5, windowMs: 60_000, verdict: 'fail' },
];
const timeline: TimelineEvent[] = Array.from({ length: 40 }, (_, i) => ({
  at: `2026-12-02T10:${String(i).padStart(2, '0')}:00.000Z`,
  type: 'verdict',
  message: `event ${i}`,
}));

function resultWith(verdict: Verdict): RolloutResult {
  return {
    rolloutId: 'r1',
    outcome: 'rolled_back',
    reason: 'x',
    trafficRestored: true,
    stages,
    timeline,
    verdicts: [verdict],
  };
}

describe('the compact --json result', () => {
  it('keeps outcome, reason and stages, and each verdict with its figures but not its evidence text', () => {
    // A field the verdict type does not know (evidence a newer worker adds) stays out too.
    const verdict = { ...failed, shadowFindings: ['x'.repeat(10_000)] } as Verdict;
    const result: RolloutResult = {
      rolloutId: 'r1',
      outcome: 'rolled_back',
      reason: 'canary-1 failed: errorRate regressed',
      trafficRestored: true,
      stages,
      timeline,
      verdicts: [verdict],
    };
    const compact = compactResult(result);
    expect(compact).toEqual({
      rolloutId: 'r1',
      outcome: 'rolled_back',
      reason: 'canary-1 failed: errorRate regressed',
      trafficRestored: true,
      stages,
      timeline: timeline.slice(-COMPACT_TIMELINE_EVENTS),
      verdicts: [
        {
          stage: 'canary-1',
          outcome: 'fail',
          reason: 'errorRate regressed',
          score: 12,
          at: '2026-12-02T10:05:00.000Z',
          report: '/var/reports/canary-1.md',
          metrics: [
            {
              metric: 'errorRate',
              classification: 'high',
              critical: true,
              baseline: 0.01,
              candidate: 0.12,
              delta: 0.11,
              deltaKind: 'absolute',
              tolerance: 0.01,
              interval: [0.05, 0.17],
              test: 'always-valid difference of proportions',
              pValue: 0.0029,
            },
            {
              metric: 'costPerRequest',
              classification: 'no_data',
              critical: false,
              baseline: null,
              candidate: null,
              delta: null,
              deltaKind: 'relative',
              tolerance: 0.1,
            },
          ],
        },
      ],
    });
    // Absent figures stay absent rather than appearing as undefined keys.
    expect(Object.keys(compact.verdicts[0]?.metrics[1] ?? {})).not.toContain('interval');
    expect(JSON.stringify(compact)).not.toContain('xxxx');
    // The full result is left as it was, for --full and --out.
    expect(result.timeline).toHaveLength(40);
    expect(result.verdicts[0]?.metrics[0]?.message).toBe(errorRate.message);
  });

  it("compacts the status the same way, the open gate's evidence included, and keeps decisions", () => {
    const status = rolloutStatus({
      rolloutId: 'r2',
      phase: 'awaiting_approval',
      stages,
      gate: {
        id: 'g1',
        before: 'canary-2',
        reason: 'inconclusive',
        openedAt: '2026-12-02T10:06:00.000Z',
        deadline: '2026-12-03T10:06:00.000Z',
        evidence: failed,
      },
      verdicts: [failed, failed],
      decisions: [
        { decision: 'approved', by: 'alice', at: '2026-12-02T10:01:00.000Z', gateId: 'g0', before: 'canary-1' },
      ],
      timeline: timeline.slice(0, 3),
      windowElapsedMs: 30_000,
    });
    const compact = compactStatus(status);
    expect(compact.gate?.evidence?.metrics[0]).not.toHaveProperty('message');
    expect(compact.gate?.deadline).toBe('2026-12-03T10:06:00.000Z');
    expect(compact.verdicts).toHaveLength(2);
    expect(compact.verdicts.every((v) => v.metrics.every((m) => !('message' in m) && !('samples' in m)))).toBe(true);
    expect(compact.decisions).toEqual(status.decisions);
    expect(compact.timeline).toEqual(status.timeline);
    expect(compact.phase).toBe('awaiting_approval');
    expect(compactStatus({ ...status, gate: null }).gate).toBeNull();
  });

  it("keeps the judge's notes and a not-applicable metric's status, so a guardrail left out never reads as measured", () => {
    const judged = {
      ...failed,
      notes: ['costPerRequest not judged: the plan gives no prices'],
      metrics: [
        { ...errorRate, status: 'ok' },
        { ...cost, metric: 'schemaAdherence', status: 'not_applicable' },
      ],
    } as unknown as Verdict;
    const [verdict] = compactResult(resultWith(judged)).verdicts;
    expect(verdict?.notes).toEqual(['costPerRequest not judged: the plan gives no prices']);
    expect(verdict?.metrics.map((m) => m.status)).toEqual(['ok', 'not_applicable']);
    expect(compactResult(resultWith(failed)).verdicts[0]).not.toHaveProperty('notes');
  });
});

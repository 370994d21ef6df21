// Live canary verdicts per segment: a regression confined to one tenant fails the window (naming
// the segment and its figures) while the whole dilutes it inside the tolerances; segments with too
// little data say so; a healthy candidate split into many segments passes (the segments' own α).
import { describe, expect, it } from 'vitest';
import type { RecordsReader } from '../../activities/metrics/gateway-records';
import { createCanaryJudgeActivities } from '../../activities/metrics/judge-canary-window';
import type { RequestRecord } from '../../gateway/admin-api';
import type { JudgeState } from '../../judge/canary-judge';
import { mulberry32 } from '../../lib/seeded-random';
import { parsePlan } from '../../plan/schema';
import { requestRecord } from '../support/request-records';

const START = Date.parse('2026-11-22T10:00:00.000Z');
const plan = parsePlan({
  rollout: { id: 'segments' },
  backends: {
    baseline: { baseUrl: 'http://127.0.0.1:1/v1', model: 'sim-a' },
    candidate: { baseUrl: 'http://127.0.0.1:2/v1', model: 'sim-b' },
  },
  approvals: { approvers: ['alice'] },
});
const SETTINGS = { maxSegments: 8, minRequests: 50, describe: 'the x-tenant header' };

/** Per arm: `perSegment` requests for each segment, the candidate failing `errorRate[segment]` of its own. */
function traffic(perSegment: Record<string, number>, errorRate: Record<string, number>, seed = 1): RequestRecord[] {
  const random = mulberry32(seed);
  const out: RequestRecord[] = [];
  for (const [segment, n] of Object.entries(perSegment))
    for (const backend of ['baseline', 'candidate'] as const)
      for (let i = 0; i < n; i++) {
        const failed = backend === 'candidate' && random() < (errorRate[segment] ?? 0);
        out.push(
          requestRecord({
            backend,
            segment,
            status: failed ? 500 : 200,
            latencyMs: 80 + Math.floor(random() * 40),
            completionTokens: 40 + Math.floor(random() * 20),
          }),
        );
      }
  return out;
}

async function judge(
  records: RequestRecord[],
  states: Record<string, JudgeState> | null = null,
  segments: typeof SETTINGS | null = SETTINGS,
) {
  const reader: RecordsReader = async () => ({
    records,
    lastSeq: records.at(-1)?.seq ?? 0,
    epoch: 'e1',
    restarted: false,
    lost: 0,
  });
  return createCanaryJudgeActivities(reader, () => START + 60_000).judgeCanaryWindow({
    rolloutId: 'segments',
    stage: 'canary-1',
    mode: 'canary',
    route: 'chat',
    windowStartMs: START,
    guardrails: plan.guardrails,
    pricing: { baseline: plan.backends.baseline.pricing, candidate: plan.backends.candidate.pricing },
    adminUrl: 'http://127.0.0.1:3',
    sinceSeq: 0,
    judgeState: null,
    latencyReference: null,
    ...(segments && { segments, segmentStates: states }),
  });
}

describe('judgeCanaryWindow per segment', () => {
  // One tenant of 40: its candidate fails 30 % of its requests, about 0.75 points over the whole.
  const perSegment = Object.fromEntries([
    ['acme', 800],
    ...Array.from({ length: 39 }, (_, i) => [`tenant-${i}`, 800]),
    ['tiny', 20],
  ]);

  it('fails a regression confined to one segment, naming it and its figures, where the whole passes', async () => {
    const records = traffic(perSegment, { acme: 0.3 });
    const whole = await judge(records, null, null);
    expect(whole.verdict.outcome, whole.verdict.reason).not.toBe('fail');
    const { verdict, segmentStates } = await judge(records);
    expect(verdict.outcome).toBe('fail');
    expect(verdict.reason).toMatch(/^segment acme: /);
    expect(verdict.reason).toContain('errorRate');
    const evidence = verdict.metrics.find((metric) => metric.metric === 'errorRate@acme');
    expect(evidence?.classification).toBe('high');
    expect(evidence?.samples).toEqual({ baseline: 800, candidate: 800 });
    expect(evidence!.candidate!).toBeGreaterThan(0.2);
    // Eight segments tracked (the plan's maxSegments), acme first (ties by traffic go by name).
    expect(Object.keys(segmentStates!)).toHaveLength(8);
    expect(Object.keys(segmentStates!)).toContain('acme');
    const notes = verdict.notes ?? [];
    expect(notes).toContain('per segment of the x-tenant header: 8 judged apart at α/8 each (of 41 seen)');
    expect(notes.some((note) => note.startsWith('segment acme: fail (800 baseline, 800 candidate requests): '))).toBe(
      true,
    );
    expect(notes).toContain(
      'too little data to judge apart (fewer than 50 requests on an arm): tiny (20 baseline, 20 candidate requests)',
    );
    expect(notes).toContain("32 more segments not judged apart: the plan's maxSegments (8) are tracked");
  });

  it('keeps tracking the segments it started with, with their own sequential state', async () => {
    const first = await judge(traffic({ a: 200, b: 200, c: 200 }, {}), null, { ...SETTINGS, maxSegments: 2 });
    expect(Object.keys(first.segmentStates!).sort()).toEqual(['a', 'b']);
    // c now has the most traffic, but a and b stay the tracked ones.
    const second = await judge(traffic({ a: 210, b: 210, c: 2_000 }, {}, 2), first.segmentStates!, {
      ...SETTINGS,
      maxSegments: 2,
    });
    expect(Object.keys(second.segmentStates!).sort()).toEqual(['a', 'b']);
    expect(second.segmentStates!.a!.looks).toBe(2);
  });

  it('passes a healthy candidate over many segments (false alarms held by α/maxSegments per segment)', async () => {
    let failures = 0;
    for (let seed = 1; seed <= 20; seed++) {
      const { verdict } = await judge(
        traffic({ a: 400, b: 400, c: 400, d: 400, e: 400, f: 400, g: 400, h: 400 }, {}, seed),
      );
      if (verdict.outcome === 'fail') failures += 1;
    }
    expect(failures).toBeLessThanOrEqual(1);
  });
});

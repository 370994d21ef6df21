// The canary's sample-ratio check counts what the router assigns: sticky keys (their buckets),
// and keyless requests one by one. The activity hands the judge that split against the weight.
import { describe, expect, it } from 'vitest';
import type { RecordsReader } from '../../activities/metrics/gateway-records';
import { createCanaryJudgeActivities } from '../../activities/metrics/judge-canary-window';
import type { RequestRecord } from '../../gateway/admin-api';
import { assignedUnits } from '../../judge/traffic-window';
import { parsePlan } from '../../plan/schema';
import { requestRecord } from '../support/request-records';

const START = Date.parse('2026-11-22T10:00:00.000Z');
const candidate = { backend: 'candidate', mode: 'live' } as const;

describe('assignedUnits', () => {
  it('counts each sticky bucket once and each keyless request on its own, in the arm and the window', () => {
    const records = [
      // A power user: a thousand requests, one assignment.
      ...Array.from({ length: 1_000 }, () => requestRecord({ stickyBucket: 42 })),
      requestRecord({ stickyBucket: 43 }),
      requestRecord({ stickyBucket: null }),
      requestRecord({ stickyBucket: null }),
      requestRecord({ stickyBucket: 44, backend: 'baseline' }),
      requestRecord({ stickyBucket: 45, mode: 'shadow' }),
      requestRecord({ stickyBucket: 46, at: '2026-11-22T09:59:59.000Z' }),
    ];
    expect(assignedUnits(records, candidate, START)).toBe(4);
  });

  it('cannot count records from a gateway that does not say its bucket', () => {
    expect(assignedUnits([requestRecord({ stickyBucket: 1 }), requestRecord()], candidate, START)).toBeNull();
  });
});

describe('judgeCanaryWindow: the split against the weight', () => {
  const plan = parsePlan({
    rollout: { id: 'srm' },
    backends: {
      baseline: { baseUrl: 'http://127.0.0.1:1/v1', model: 'sim-a' },
      candidate: { baseUrl: 'http://127.0.0.1:2/v1', model: 'sim-b' },
    },
    approvals: { approvers: ['alice'] },
    guardrails: { minRequests: 50 },
  });
  /** `users` sticky users at 25 % to the candidate, or a router that sends it only `candidateUsers` of them. */
  function records(users: number, candidateUsers: number, requestsPerCandidateUser = 1): RequestRecord[] {
    const out: RequestRecord[] = [];
    for (let user = 0; user < users; user++) {
      const onCandidate = user < candidateUsers;
      const times = onCandidate ? requestsPerCandidateUser : 1;
      for (let i = 0; i < times; i++)
        out.push(
          requestRecord({
            backend: onCandidate ? 'candidate' : 'baseline',
            stickyBucket: user,
            latencyMs: 100 + (user % 50),
          }),
        );
    }
    return out;
  }
  const judge = (window: RequestRecord[], expectedCandidateShare?: number) => {
    const reader: RecordsReader = async () => ({
      records: window,
      lastSeq: window.at(-1)?.seq ?? 0,
      epoch: 'e1',
      restarted: false,
      lost: 0,
    });
    return createCanaryJudgeActivities(reader, () => START + 60_000).judgeCanaryWindow({
      rolloutId: 'srm',
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
      ...(expectedCandidateShare !== undefined && { expectedCandidateShare }),
    });
  };

  it('makes the verdict inconclusive when the router gives the candidate far fewer users than its weight', async () => {
    const { verdict } = await judge(records(2_000, 100), 0.25);
    expect(verdict.outcome).toBe('inconclusive');
    expect(verdict.reason).toMatch(/^SRM: planned 25(\.0)? ?% candidate, observed 5(\.0)? ?%/);
  });

  it('does not cry mismatch when a few heavy users make up much of the candidate’s requests', async () => {
    // 500 of 2,000 users (25 %) on the candidate, each sending 6 requests: 67 % of the requests.
    const { verdict } = await judge(records(2_000, 500, 6), 0.25);
    expect(verdict.reason).not.toMatch(/SRM/);
    expect(verdict.sampleRatio?.mismatch).toBe(false);
  });

  it('is not checked without the planned share (rollouts that predate the check, shadow soaks)', async () => {
    const { verdict } = await judge(records(2_000, 100));
    expect(verdict.sampleRatio).toBeUndefined();
  });
});

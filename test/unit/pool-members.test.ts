// A pooled side: the plan's pool validated with clear errors and shown by plan check, and each
// member's figures in the verdict's notes (shown, not judged apart).
import { describe, expect, it } from 'vitest';
import { describePlan } from '../../cli/plan-check';
import { resolveBackend } from '../../activities/traffic/index';
import { poolMembers, poolNote } from '../../judge/pool-members';
import type { RequestRecord } from '../../lib/request-record';
import { parsePlan, type RolloutPlanInput } from '../../plan/schema';
import { HAPROXY_ROUTER, problemsOf } from '../support/plans';

const plan = (pool: unknown, router: unknown = { kind: 'gateway' }): RolloutPlanInput =>
  ({
    rollout: { id: 'pooled' },
    backends: {
      baseline: { baseUrl: 'http://127.0.0.1:9001/v1', model: 'bot-v1' },
      candidate: { baseUrl: 'http://127.0.0.1:9002/v1', model: 'bot-v2', pool },
    },
    router,
    stages: { shadow: { enabled: false } },
    approvals: { approvers: ['alice'] },
  }) as RolloutPlanInput;

const POOL = [
  { name: 'us-east', baseUrl: 'http://10.0.0.1:8000/v1', weight: 1, apiKeyEnv: 'EAST_KEY' },
  { name: 'eu-west', baseUrl: 'http://10.0.0.2:8000/v1', model: 'bot-v2-eu', weight: 3 },
];

describe('a pooled side in the plan', () => {
  it('is shown by plan check, and its members get their own API keys on the worker', () => {
    const parsed = parsePlan(plan(POOL));
    expect(describePlan(parsed)).toContain(
      '  candidate pool: us-east 25% (bot-v2 at http://10.0.0.1:8000/v1), eu-west 75% (bot-v2-eu at http://10.0.0.2:8000/v1); judged as one side, each member shown in the verdicts',
    );
    expect(resolveBackend(parsed.backends.candidate, { EAST_KEY: 'sk-east' }).members).toEqual([
      { name: 'us-east', baseUrl: 'http://10.0.0.1:8000/v1', weight: 1, apiKey: 'sk-east' },
      { name: 'eu-west', baseUrl: 'http://10.0.0.2:8000/v1', model: 'bot-v2-eu', weight: 3 },
    ]);
    expect(() => resolveBackend(parsed.backends.candidate, {})).toThrow(/EAST_KEY/);
  });

  it('is refused with the field named: duplicate names, no weight, too many, another router', () => {
    expect(problemsOf(plan([POOL[0], { ...POOL[1], name: 'us-east' }]))).toEqual([
      "backends.candidate.pool[1].name: duplicate member name 'us-east'",
    ]);
    expect(problemsOf(plan(POOL.map((m) => ({ ...m, weight: 0 }))))).toEqual([
      'backends.candidate.pool: at least one member needs a weight above 0',
    ]);
    expect(problemsOf(plan([]))).toEqual(['backends.candidate.pool: list at least one member, or leave pool out']);
    const haproxy = HAPROXY_ROUTER;
    expect(problemsOf(plan(POOL, haproxy))).toEqual([
      "backends.candidate.pool: a pool is split by the llm-rollout gateway; haproxy routes to one backend per side: use router.kind gateway, or put the pool behind the backend's own balancer",
    ]);
  });
});

describe('pool members in the verdict', () => {
  const record = (member: string | undefined, status: number, latencyMs: number): RequestRecord =>
    ({
      seq: 1,
      epoch: 'e',
      route: 'r',
      backend: 'candidate',
      model: 'bot-v2',
      mode: 'live',
      status,
      latencyMs,
      ttftMs: null,
      promptTokens: 10,
      completionTokens: 10,
      refusal: false,
      validJson: null,
      requestId: 'x',
      cohort: false,
      at: '2026-12-04T10:00:00.000Z',
      ...(member && { member }),
    }) as RequestRecord;

  it('shows each member’s requests, errors and p99, and nothing for a side that is not a pool', () => {
    const records = [
      ...Array.from({ length: 99 }, (_, i) => record('eu-west', 200, 100 + i)),
      record('eu-west', 503, 5),
      record('us-east', 200, 900),
      record(undefined, 200, 50),
    ];
    const members = poolMembers(records, { backend: 'candidate', mode: 'live' }, 0);
    expect(members.map((m) => [m.member, m.requests, m.errors])).toEqual([
      ['eu-west', 100, 1],
      ['us-east', 1, 0],
    ]);
    expect(poolNote('candidate', members)).toMatch(
      /^candidate pool, each member \(shown, not judged apart\): eu-west 100 requests, 1\.0 % errors, p99 19\d ms; us-east 1 request, 0\.0 % errors, p99 900 ms$/,
    );
    expect(poolMembers(records, { backend: 'baseline', mode: 'live' }, 0)).toEqual([]);
    expect(poolNote('baseline', [])).toBeNull();
  });
});

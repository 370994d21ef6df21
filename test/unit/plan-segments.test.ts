// A plan's live segments: validated with clear errors, kept to the gateway router and the
// statistical judge on its records, and described by `rollout plan check`.
import { describe, expect, it } from 'vitest';
import { describePlan } from '../../cli/plan-check';
import { parsePlan, type RolloutPlanInput } from '../../plan/schema';
import { HAPROXY_ROUTER, problemsOf } from '../support/plans';

function segmentsPlan(segments: unknown, extra: object = {}): RolloutPlanInput {
  return {
    rollout: { id: 'segments-plan' },
    backends: {
      baseline: { baseUrl: 'http://127.0.0.1:9001/v1', model: 'bot-v1' },
      candidate: { baseUrl: 'http://127.0.0.1:9002/v1', model: 'bot-v2' },
    },
    stages: { canary: { steps: [{ weight: 10, window: '10m' }], segments } },
    approvals: { approvers: ['alice'] },
    ...extra,
  } as RolloutPlanInput;
}

describe('plan segments', () => {
  it('takes a header, a metadata tag or the language, with defaults', () => {
    expect(parsePlan(segmentsPlan({ by: { header: 'x-tenant' } })).stages.canary.segments).toEqual({
      by: { header: 'x-tenant' },
      maxSegments: 8,
    });
    expect(
      parsePlan(segmentsPlan({ by: { metadata: 'tier' }, maxSegments: 3, minRequests: 80 })).stages.canary.segments,
    ).toEqual({
      by: { metadata: 'tier' },
      maxSegments: 3,
      minRequests: 80,
    });
    const text = describePlan(parsePlan(segmentsPlan({ by: { language: true }, maxSegments: 4 })));
    expect(text).toContain(
      'segments  per the language of the last user message, at every check of each canary step: the first 4 segments with 50 requests on each arm are judged apart at α/4 each',
    );
  });

  it('refuses a bad rule or bound with a clear error', () => {
    expect(problemsOf(segmentsPlan({ by: { header: 'X-Tenant' } }))).toEqual([
      'stages.canary.segments.by.header: a lower-case HTTP header name',
    ]);
    expect(problemsOf(segmentsPlan({ by: { header: 'x-tenant' }, maxSegments: 40 }))).toEqual([
      'stages.canary.segments.maxSegments: maxSegments must be 1–16',
    ]);
    expect(problemsOf(segmentsPlan({ by: { language: false } }))[0]).toMatch(/^stages\.canary\.segments\.by/);
  });

  it('needs the gateway router and the statistical judge on its records', () => {
    const refusal =
      'stages.canary.segments: live segments are tagged on each request by the llm-rollout gateway and judged from its per-request records: use router.kind gateway and guardrails.judge statistical with metrics.source records, or remove stages.canary.segments';
    expect(
      problemsOf(
        segmentsPlan(
          { by: { header: 'x-tenant' } },
          {
            router: HAPROXY_ROUTER,
            stages: {
              shadow: { enabled: false },
              canary: { steps: [{ weight: 10, window: '10m' }], segments: { by: { header: 'x-tenant' } } },
            },
          },
        ),
      ),
    ).toEqual([refusal]);
    expect(problemsOf(segmentsPlan({ by: { header: 'x-tenant' } }, { guardrails: { judge: 'threshold' } }))).toEqual([
      refusal,
    ]);
  });
});

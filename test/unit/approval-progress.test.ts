// A gate needing several approvers says where it stands wherever a rollout is shown: `rollout
// status`, `/rollout status` in Slack and `plan check`.
import { describe, expect, it } from 'vitest';
import { statusText } from '../../block-kit/rollout-blocks';
import { formatStatus } from '../../cli/format';
import { describePlan } from '../../cli/plan-check';
import { parsePlan } from '../../plan/schema';
import type { RolloutStatus } from '../../workflows/rollout-state';
import { rolloutStatus } from '../support/rollout-status';

function waitingAtGate(approvedBy: string[]): RolloutStatus {
  return rolloutStatus({
    phase: 'awaiting_approval',
    stage: 'shadow',
    weights: { baseline: 100, candidate: 0 },
    gate: {
      id: 'g1',
      before: 'canary-1',
      reason: 'plan',
      openedAt: '2026-12-04T10:00:00.000Z',
      deadline: '2026-12-04T14:00:00.000Z',
      required: 2,
      approvals: approvedBy.map((by) => ({ decision: 'approved', by, at: '2026-12-04T10:05:00.000Z' })),
    },
  });
}

describe('a gate needing two approvers', () => {
  it('rollout status prints how many have approved, who, and how many more are needed', () => {
    expect(formatStatus(waitingAtGate([]))).toContain('approvals 0 of 2; 2 more needed');
    expect(formatStatus(waitingAtGate(['alice']))).toContain('approvals 1 of 2: alice; 1 more needed');
  });

  it('/rollout status in Slack says the same', () => {
    expect(statusText(waitingAtGate(['U0ALICE']))).toContain('1 of 2 approvals (<@U0ALICE>); 1 more needed');
  });

  it('plan check names the count; a single-approver plan reads as before', () => {
    const plan = (approvals: object) =>
      parsePlan({
        rollout: { id: 'r1', requestedBy: 'carol' },
        backends: {
          baseline: { baseUrl: 'http://127.0.0.1:9001/v1', model: 'a' },
          candidate: { baseUrl: 'http://127.0.0.1:9002/v1', model: 'b' },
        },
        approvals,
      });
    expect(describePlan(plan({ approvers: ['alice', 'bob'], required: 2 }))).toContain(
      'approvals 2 distinct of alice, bob;',
    );
    expect(describePlan(plan({ approvers: ['alice', 'bob'] }))).toContain('approvals alice, bob;');
  });
});

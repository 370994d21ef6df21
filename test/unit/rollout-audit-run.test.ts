// auditRun on a hand-built history: the evidence a gate showed is found wherever its notice sits,
// including after the decision (the gate opens, its report is written, then owners are told, so a
// quick approver's decision can come first in the history).
import { defaultPayloadConverter } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import { auditRun } from '../../client/rollout-audit';
import type { HistoryEvent, PayloadDecoder, Payloads } from '../../lib/temporal-history';

const payloads = (value: unknown) => ({ payloads: [defaultPayloadConverter.toPayload(value)] });
const decode: PayloadDecoder = <T>(list: Payloads) => {
  const first = list?.payloads?.[0];
  return first ? defaultPayloadConverter.fromPayload<T>(first) : undefined;
};

const started: HistoryEvent = {
  workflowExecutionStartedEventAttributes: {
    input: payloads({ plan: { approvals: { approvers: ['alice'] } }, requestedBy: 'carol' }),
  },
};
const accepted: HistoryEvent = {
  workflowExecutionUpdateAcceptedEventAttributes: {
    acceptedRequest: {
      meta: { updateId: 'u1' },
      input: { name: 'approve', args: payloads({ by: 'alice', reason: 'ok' }) },
    },
  },
};
const completed: HistoryEvent = {
  workflowExecutionUpdateCompletedEventAttributes: {
    meta: { updateId: 'u1' },
    outcome: { success: payloads({ gateId: 'g1', before: 'canary-1', decision: 'approved', by: 'alice' }) },
  },
};
const notice: HistoryEvent = {
  activityTaskScheduledEventAttributes: {
    activityType: { name: 'notify' },
    input: payloads({
      event: { type: 'gate_opened', gate: { id: 'g1', before: 'canary-1' }, verdict: { reason: 'length up 31%' } },
    }),
  },
};

describe('auditRun', () => {
  it.each([
    ['before the decision', [started, notice, accepted, completed]],
    ['after the decision', [started, accepted, completed, notice]],
  ])('finds the evidence a gate showed with its notice %s', (_where, events) => {
    const [entry] = auditRun('r1', 'run-1', events, decode);
    expect(entry).toMatchObject({
      kind: 'decision',
      action: 'approved',
      by: 'alice',
      reason: 'ok',
      before: 'canary-1',
      evidence: 'length up 31%',
    });
  });
});

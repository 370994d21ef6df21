// The audit trail across rollouts: every gate decision (who, through which approver group, when,
// why, and the evidence summary they were shown) and every rollback (who and why, or the rollout
// itself on a breach). It is read from Temporal's histories, not from a worker, so it answers for
// finished rollouts and for running ones whose worker is gone. Only accepted decisions are in a
// history: a refused one (a stranger, a stale button) never changed anything, so it is not audited.
import type { Client } from '@temporalio/client';
import type { NotifyInput } from '../activities/contract';
import type { RolloutPlanInput } from '../plan/schema';
import type {
  DecisionReceipt,
  DecisionRequest,
  RevertReceipt,
  RollbackRequest,
} from '../workflows/model-rollout-messages';
import { approveUpdate, rejectUpdate, revertUpdate, rollbackSignal } from '../workflows/model-rollout-messages';
import type { ModelRolloutInput } from '../workflows/model-rollout';
import type { RolloutResult } from '../workflows/rollout-state';
import {
  eventTime,
  listRuns,
  payloadDecoder,
  runHistory,
  type HistoryEvent,
  type PayloadDecoder,
} from '../lib/temporal-history';

export interface AuditEntry {
  at: string;
  rolloutId: string;
  runId: string;
  kind: 'decision' | 'rollback';
  /**
   * decision: 'approved' | 'rejected'; rollback: 'requested' (someone asked), 'reverted' (a
   * promotion undone) or 'automatic' (the judge or a timeout).
   */
  action: 'approved' | 'rejected' | 'requested' | 'reverted' | 'automatic';
  by: string;
  /** The plan's approver group through which `by` decided, when not an approver by name. */
  viaGroup?: string;
  reason?: string;
  /** The gate decided: its id and the stage it stood before. */
  gateId?: string;
  before?: string;
  /** What the approvers were shown at the gate (the verdict's reason), when the gate had evidence. */
  evidence?: string;
}

export interface AuditQuery {
  /** Only what happened at or after this time (ms since epoch). */
  sinceMs?: number;
  /** Only the decisions of this person (rollbacks they asked for included). */
  approver?: string;
  /** How many rollouts' histories are read at once (default 8). */
  concurrency?: number;
}

/** Who the trail names when the rollout rolled itself back. */
export const AUTOMATIC = 'llm-rollout (automatic)';

/** Gate id → the verdict reason its approvers were shown, from the run's gate notices. */
function gateEvidence(events: HistoryEvent[], decode: PayloadDecoder): Map<string, string> {
  const evidence = new Map<string, string>();
  for (const event of events) {
    const scheduled = event.activityTaskScheduledEventAttributes;
    if (scheduled?.activityType?.name !== 'notify') continue;
    const notice = decode<NotifyInput>(scheduled.input)?.event;
    if (notice?.type === 'gate_opened' && notice.gate && notice.verdict)
      evidence.set(notice.gate.id, notice.verdict.reason);
  }
  return evidence;
}

/** The audit entries of one run, oldest first. */
export function auditRun(
  rolloutId: string,
  runId: string,
  events: HistoryEvent[],
  decode: PayloadDecoder,
): AuditEntry[] {
  const entries: AuditEntry[] = [];
  const requests = new Map<string, DecisionRequest>();
  const reverts = new Set<string>();
  // Collected first: an approval can land before the gate's notice is sent (the gate opens, then
  // its report is written, then owners are told), so the notice may follow the decision in history.
  const evidence = gateEvidence(events, decode);
  let approvers: string[] = [];
  let rollbackAsked = false;
  let rejected = false;
  for (const event of events) {
    const started = event.workflowExecutionStartedEventAttributes;
    if (started) {
      const input = decode<ModelRolloutInput>(started.input);
      const plan = (input?.resume?.plan ?? input?.plan) as RolloutPlanInput | undefined;
      approvers = plan?.approvals?.approvers ?? [];
      rollbackAsked = input?.resume?.rollbackRequest != null;
      continue;
    }
    const accepted = event.workflowExecutionUpdateAcceptedEventAttributes;
    if (accepted) {
      const name = accepted.acceptedRequest?.input?.name;
      const id = accepted.acceptedRequest?.meta?.updateId ?? accepted.protocolInstanceId;
      if (id && name === revertUpdate.name) reverts.add(id);
      if (id && (name === approveUpdate.name || name === rejectUpdate.name)) {
        const request = decode<DecisionRequest>(accepted.acceptedRequest?.input?.args);
        if (request) requests.set(id, request);
      }
      continue;
    }
    const completed = event.workflowExecutionUpdateCompletedEventAttributes;
    if (completed && reverts.has(completed.meta?.updateId ?? '')) {
      const receipt = completed.outcome?.success ? decode<RevertReceipt>(completed.outcome.success) : undefined;
      if (receipt) {
        rollbackAsked = true;
        entries.push({
          at: eventTime(event),
          rolloutId,
          runId,
          kind: 'rollback',
          action: 'reverted',
          by: receipt.by,
          reason: receipt.reason,
        });
      }
      continue;
    }
    if (completed) {
      const request = requests.get(completed.meta?.updateId ?? '');
      const receipt = completed.outcome?.success ? decode<DecisionReceipt>(completed.outcome.success) : undefined;
      if (!request || !receipt) continue;
      const viaGroup = request.viaGroup && !approvers.includes(receipt.by) ? request.viaGroup : undefined;
      const reason = request.reason?.trim();
      const shown = evidence.get(receipt.gateId);
      if (receipt.decision === 'rejected') rejected = true;
      entries.push({
        at: eventTime(event),
        rolloutId,
        runId,
        kind: 'decision',
        action: receipt.decision,
        by: receipt.by,
        ...(viaGroup && { viaGroup }),
        ...(reason && { reason }),
        gateId: receipt.gateId,
        before: receipt.before,
        ...(shown && { evidence: shown }),
      });
      continue;
    }
    const signaled = event.workflowExecutionSignaledEventAttributes;
    // The rollout acts on the first rollback request only; later ones change nothing.
    if (signaled?.signalName === rollbackSignal.name && !rollbackAsked) {
      rollbackAsked = true;
      const request = decode<RollbackRequest>(signaled.input);
      entries.push({
        at: eventTime(event),
        rolloutId,
        runId,
        kind: 'rollback',
        action: 'requested',
        by: typeof request?.by === 'string' && request.by ? request.by : 'unknown',
        reason:
          typeof request?.reason === 'string' && request.reason.trim() ? request.reason.trim() : 'no reason given',
      });
      continue;
    }
    const done = event.workflowExecutionCompletedEventAttributes;
    if (done) {
      const result = decode<RolloutResult>(done.result);
      // Ended by the rollout itself (a breach, a timeout): a rejection or a request is already listed.
      if (result && result.outcome !== 'promoted' && !rollbackAsked && !rejected)
        entries.push({
          at: eventTime(event),
          rolloutId,
          runId,
          kind: 'rollback',
          action: 'automatic',
          by: AUTOMATIC,
          reason: `${result.outcome}: ${result.reason}`,
        });
    }
  }
  return entries;
}

function matches(entry: AuditEntry, query: AuditQuery): boolean {
  if (query.sinceMs !== undefined && Date.parse(entry.at) < query.sinceMs) return false;
  return query.approver === undefined || entry.by === query.approver;
}

/** Every decision and rollback across rollouts (each run of each), oldest first. */
export async function auditRollouts(client: Client, query: AuditQuery = {}): Promise<AuditEntry[]> {
  const since = query.sinceMs !== undefined ? new Date(query.sinceMs).toISOString() : undefined;
  // A rollout started long ago may still be deciding now: running ones are always read.
  const visibility = `WorkflowType = 'ModelRolloutWorkflow'${since ? ` AND (ExecutionStatus = 'Running' OR CloseTime >= '${since}')` : ''}`;
  const runs = await listRuns(client, visibility);
  const decode = payloadDecoder(client);
  const entries: AuditEntry[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.max(1, query.concurrency ?? 8) }, async () => {
      while (next < runs.length) {
        const { workflowId, runId } = runs[next++]!;
        const events = await runHistory(client, { workflowId, runId });
        entries.push(...auditRun(workflowId, runId, events, decode).filter((e) => matches(e, query)));
      }
    }),
  );
  return entries.sort((a, b) => a.at.localeCompare(b.at) || a.rolloutId.localeCompare(b.rolloutId));
}

// Messages of ModelRolloutWorkflow, imported by the workflow, the CLI and the Slack bot so all
// of them use the same names and payload types.
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { ApprovalGate, RolloutStatus } from './rollout-state';

export interface DecisionRequest {
  /** Who decides; must be one of the plan's approvers. */
  by: string;
  reason?: string;
  /** The gate being decided; when given it must be the open gate (guards against stale buttons). */
  gateId?: string;
  /**
   * The approver group through which `by` may decide, when the plan names a group
   * (`approvers: ["group:S0123"]`). The caller checks membership (the Slack bot asks Slack);
   * the workflow checks that the group is one of the plan's approvers.
   */
  viaGroup?: string;
}

export interface DecisionReceipt {
  gateId: string;
  before: string;
  decision: 'approved' | 'rejected';
  by: string;
  /**
   * A gate needing several approvers: who has approved so far (this one included) and how many
   * it needs. The gate is decided once `approvedBy.length` reaches `required`, or on a rejection.
   */
  approvedBy?: string[];
  required?: number;
}

/** Whether this receipt is an approval that still leaves the gate open, waiting for more. */
export function awaitsMoreApprovals(receipt: DecisionReceipt): boolean {
  return (
    receipt.decision === 'approved' &&
    receipt.required !== undefined &&
    (receipt.approvedBy?.length ?? 0) < receipt.required
  );
}

export interface RollbackRequest {
  reason: string;
  by: string;
}

/** Puts the previous baseline back after promotion, within the plan's revert window. */
export interface RevertRequest {
  /** Who reverts; recorded in the timeline, the status and the result. */
  by: string;
  /** Why; required. */
  reason: string;
}

export interface RevertReceipt {
  by: string;
  reason: string;
  at: string;
  /** The model back on the route at 100 %. */
  baselineModel: string;
  route: string;
}

export interface PauseRequest {
  by: string;
  reason?: string;
}

export const approveUpdate = defineUpdate<DecisionReceipt, [DecisionRequest]>('approve');
export const rejectUpdate = defineUpdate<DecisionReceipt, [DecisionRequest]>('reject');
export const revertUpdate = defineUpdate<RevertReceipt, [RevertRequest]>('revert');
export const rollbackSignal = defineSignal<[RollbackRequest]>('rollback');
export const pauseSignal = defineSignal<[PauseRequest]>('pause');
export const resumeSignal = defineSignal<[PauseRequest]>('resume');
export const statusQuery = defineQuery<RolloutStatus>('status');

export type { ApprovalGate, RolloutStatus };

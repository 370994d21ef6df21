// What the Slack bot and the Alertmanager receiver do to rollouts, on a Temporal client: find a
// rollout and its plan, decide a gate (an Update with a deterministic id), signal rollback, pause
// and resume, and revert a promotion (an Update). Every refusal comes back as a value with a stable kind and a sentence for a
// human; only an unreachable Temporal throws.
import {
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  WorkflowUpdateRPCTimeoutOrCancelledError,
  type Client,
} from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { restoreTrafficNow, type BreakGlassResult } from './break-glass';
import { planOfRun } from './rollout-plan';
import { listRollouts, rolloutHandle, type RolloutHandle, type RolloutSummary } from './rollouts';
import type { RolloutPlan } from '../plan/schema';
import {
  approveUpdate,
  pauseSignal,
  rejectUpdate,
  resumeSignal,
  revertUpdate,
  rollbackSignal,
  statusQuery,
  type DecisionRequest,
  type DecisionReceipt,
  type PauseRequest,
  type RevertReceipt,
  type RevertRequest,
  type RollbackRequest,
} from '../workflows/model-rollout-messages';
import type { RolloutStatus } from '../workflows/rollout-state';
import { ROLLOUT_OUTCOME } from '../workflows/search-attributes';
import { FailureType } from '../workflows/failure-types';

export const ROLLOUT_ID = /^[a-z0-9][a-z0-9._-]{0,62}$/;

export type RolloutLookup =
  | { kind: 'invalid_id'; message: string }
  | { kind: 'unknown'; message: string }
  | { kind: 'finished'; message: string; status?: RolloutStatus }
  /** `status` is null when the workflow does not answer its query (no worker): signals still work. */
  | { kind: 'running'; status: RolloutStatus | null; plan: RolloutPlan; runId: string };

export type DecisionResult =
  { ok: true; receipt: DecisionReceipt; duplicate: boolean } | { ok: false; kind: string; message: string };

export type SignalResult = { ok: true } | { ok: false; kind: string; message: string };
/** A rollback also puts the baseline back on the traffic layer directly (break-glass.ts). */
export type RollbackResult = { ok: true; traffic: BreakGlassResult } | { ok: false; kind: string; message: string };

export type RevertResult = { ok: true; receipt: RevertReceipt } | { ok: false; kind: string; message: string };

/**
 * The update id of a gate's decision: one per gate, whoever clicks and whichever button; on a gate
 * needing several approvers, one per gate and approver, so each approval is its own.
 */
export function decisionUpdateId(gateId: string, by?: string): string {
  return by === undefined ? `decision:${gateId}` : `decision:${gateId}:${by}`;
}

/** How long a query or an Update may take before the caller is told the rollout is not answering. */
const QUERY_DEADLINE_MS = 3_000;
const UPDATE_DEADLINE_MS = 10_000;
/** A revert's Update answers once the traffic layer has the baseline back, which may take a few retries. */
const REVERT_DEADLINE_MS = 30_000;

export class RolloutService {
  private readonly plans = new Map<string, RolloutPlan>();

  constructor(readonly client: Client) {}

  /** The rollout, its status and its plan, or why there is nothing to act on. */
  async lookup(id: string): Promise<RolloutLookup> {
    if (!ROLLOUT_ID.test(id))
      return {
        kind: 'invalid_id',
        message: `\`${id.slice(0, 80)}\` is not a rollout id (lowercase letters, digits, ".", "_", "-")`,
      };
    const handle = rolloutHandle(this.client, id);
    let description;
    try {
      description = await handle.describe();
    } catch (error) {
      if (error instanceof WorkflowNotFoundError) return { kind: 'unknown', message: `no rollout with id \`${id}\`` };
      throw error;
    }
    if (description.type !== 'ModelRolloutWorkflow')
      return { kind: 'unknown', message: `\`${id}\` is a ${description.type} workflow, not a rollout` };
    if (description.status.name !== 'RUNNING') {
      const status = await this.status(handle);
      const outcome = status?.outcome
        ? `${status.outcome}${status.reason ? `: ${status.reason}` : ''}`
        : description.status.name.toLowerCase();
      return { kind: 'finished', message: `rollout \`${id}\` has finished (${outcome})`, status: status ?? undefined };
    }
    // The plan comes from the server (the start event); the status needs the worker, so a rollout
    // whose worker is down can still be rolled back.
    const [plan, status] = await Promise.all([this.plan(id, description.runId), this.status(handle)]);
    if (status?.phase === 'finished')
      return {
        kind: 'finished',
        message: `rollout \`${id}\` has finished (${status.outcome}${status.reason ? `: ${status.reason}` : ''})`,
        status,
      };
    return { kind: 'running', status, plan, runId: description.runId };
  }

  /** The status query, or null when nobody answers it in time. */
  private async status(handle: RolloutHandle): Promise<RolloutStatus | null> {
    try {
      return await this.client.withDeadline(Date.now() + QUERY_DEADLINE_MS, () => handle.query(statusQuery));
    } catch {
      return null;
    }
  }

  /**
   * The run's plan, from its start event (the status query does not carry approvers or the
   * channel). A continued run carries the validated plan in `resume`; a first run has the plan
   * as written, which the workflow validated the same way.
   */
  async plan(id: string, runId: string): Promise<RolloutPlan> {
    const cached = this.plans.get(runId);
    if (cached) return cached;
    const plan = await planOfRun(this.client, id, runId);
    this.plans.set(runId, plan);
    if (this.plans.size > 500) this.plans.delete(this.plans.keys().next().value!);
    return plan;
  }

  /**
   * Decides gate `gateId` as an Update whose id is the gate's: a second click (any button, anyone)
   * or a retried request gets the first decision's receipt back instead of deciding again. Without
   * a gate id (the CLI's `approve` without --gate) it decides whichever gate is open. A gate that
   * needs several approvers (`required`, from the caller's status, else asked here) takes one
   * Update per approver.
   */
  async decide(
    id: string,
    decision: 'approve' | 'reject',
    request: DecisionRequest,
    gate?: { required?: number },
  ): Promise<DecisionResult> {
    const wanted = decision === 'approve' ? 'approved' : 'rejected';
    const handle = rolloutHandle(this.client, id);
    let updateId: string | undefined;
    if (request.gateId) {
      const required =
        gate?.required ??
        (await this.status(handle).then((status) =>
          status?.gate?.id === request.gateId ? status?.gate?.required : undefined,
        ));
      updateId = decisionUpdateId(request.gateId, (required ?? 1) > 1 ? request.by : undefined);
    }
    try {
      const receipt = await this.client.withDeadline(Date.now() + UPDATE_DEADLINE_MS, () =>
        handle.executeUpdate(decision === 'approve' ? approveUpdate : rejectUpdate, {
          ...(updateId ? { updateId } : {}),
          args: [request],
        }),
      );
      return { ok: true, receipt, duplicate: receipt.by !== request.by || receipt.decision !== wanted };
    } catch (error) {
      if (error instanceof WorkflowUpdateFailedError) {
        const cause = error.cause;
        const kind = cause instanceof ApplicationFailure && cause.type ? cause.type : 'UpdateFailed';
        return { ok: false, kind, message: cause?.message ?? error.message };
      }
      if (error instanceof WorkflowNotFoundError)
        return { ok: false, kind: FailureType.RolloutFinished, message: `rollout \`${id}\` has finished` };
      if (error instanceof WorkflowUpdateRPCTimeoutOrCancelledError) {
        // Same update id next time: trying again cannot decide twice.
        return {
          ok: false,
          kind: 'Timeout',
          message: `rollout \`${id}\` did not answer within ${UPDATE_DEADLINE_MS / 1000} s (is its worker running?); the decision may still be applied: check its status before trying again`,
        };
      }
      throw error;
    }
  }

  /**
   * Puts a promoted rollout's previous baseline back on the route (the revert Update, which answers
   * once traffic is back). Refused with the workflow's own failure type; a rollout whose workflow
   * has closed is refused as its last status says (window closed, already reverted, not promoted).
   */
  async revert(id: string, request: RevertRequest): Promise<RevertResult> {
    try {
      const receipt = await this.client.withDeadline(Date.now() + REVERT_DEADLINE_MS, () =>
        rolloutHandle(this.client, id).executeUpdate(revertUpdate, { args: [request] }),
      );
      return { ok: true, receipt };
    } catch (error) {
      if (error instanceof WorkflowUpdateFailedError) {
        const cause = error.cause;
        const kind = cause instanceof ApplicationFailure && cause.type ? cause.type : 'UpdateFailed';
        return { ok: false, kind, message: cause?.message ?? error.message };
      }
      if (error instanceof WorkflowNotFoundError) return this.closedToRevert(id);
      if (error instanceof WorkflowUpdateRPCTimeoutOrCancelledError)
        return {
          ok: false,
          kind: 'Timeout',
          message: `rollout \`${id}\` did not answer within ${REVERT_DEADLINE_MS / 1000} s (is its worker running?); the revert may still be applied: check its status before trying again`,
        };
      throw error;
    }
  }

  /** Why a rollout whose workflow has closed cannot be reverted. */
  private async closedToRevert(id: string): Promise<RevertResult> {
    const found = await this.lookup(id);
    if (found.kind === 'invalid_id' || found.kind === 'unknown')
      return { ok: false, kind: 'UnknownRollout', message: found.message };
    const status = found.status;
    if (status?.outcome === 'promoted')
      return {
        ok: false,
        kind: FailureType.RevertWindowClosed,
        message: status.revertibleUntil
          ? `rollout \`${id}\`'s revert window closed at ${status.revertibleUntil}; roll the previous model out again instead`
          : `rollout \`${id}\` kept no revert window (stages.cutover.revertWindow); roll the previous model out again instead`,
      };
    if (status?.outcome === 'reverted')
      return {
        ok: false,
        kind: FailureType.AlreadyReverted,
        message: `rollout \`${id}\` was already reverted${status.reverted ? ` by ${status.reverted.by}: ${status.reverted.reason}` : ''}`,
      };
    const why = found.kind === 'finished' ? found.message : `rollout \`${id}\` is not promoted`;
    return { ok: false, kind: FailureType.NotPromoted, message: `${why}; there is nothing to revert` };
  }

  /** Signals rollback (the durable record), then restores the traffic layer directly, needing no worker. */
  async rollback(id: string, request: RollbackRequest): Promise<RollbackResult> {
    const handle = rolloutHandle(this.client, id);
    // A promoted rollout (in its revert window) has nothing to roll back, and the kill switch
    // would find the route "already restored": the promoted model is its baseline now. The search
    // attribute answers without a worker.
    const description = await handle.describe().catch((error: unknown) => {
      if (error instanceof WorkflowNotFoundError) return null;
      throw error;
    });
    if (description?.status.name === 'RUNNING' && description.typedSearchAttributes.get(ROLLOUT_OUTCOME) === 'promoted')
      return {
        ok: false,
        kind: FailureType.RolloutFinished,
        message: `rollout \`${id}\` has been promoted; to put the previous model back, revert it (\`rollout revert ${id} --reason …\`)`,
      };
    // The plan is read while the signal is on its way: on a loaded server each round trip is tens
    // to hundreds of ms, and the signal must land before the traffic moves, so the workflow never
    // puts a canary back that someone has just rolled back. A run that continued as new since
    // carries the same plan.
    const planned = description ? this.plan(id, description.runId).catch(() => null) : Promise.resolve(null);
    const signalled = await this.signal(id, () => handle.signal(rollbackSignal, request));
    if (!signalled.ok) return signalled;
    const plan = (await planned) ?? (await this.plan(id, (await handle.describe()).runId));
    return { ok: true, traffic: await restoreTrafficNow(plan) };
  }

  async pause(id: string, request: PauseRequest): Promise<SignalResult> {
    return this.signal(id, () => rolloutHandle(this.client, id).signal(pauseSignal, request));
  }

  async resume(id: string, request: PauseRequest): Promise<SignalResult> {
    return this.signal(id, () => rolloutHandle(this.client, id).signal(resumeSignal, request));
  }

  private async signal(id: string, send: () => Promise<void>): Promise<SignalResult> {
    try {
      await send();
      return { ok: true };
    } catch (error) {
      // The run ended between the lookup and the signal.
      if (error instanceof WorkflowNotFoundError)
        return { ok: false, kind: FailureType.RolloutFinished, message: `rollout \`${id}\` has finished` };
      throw error;
    }
  }

  /** Running rollouts, newest first. */
  async listRunning(limit = 20): Promise<RolloutSummary[]> {
    return listRollouts(this.client, "ExecutionStatus = 'Running'", limit);
  }
}

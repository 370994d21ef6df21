// Whether a revert may be accepted now: the revert Update's validator. Pure, over the rollout's
// state, so the refusals (each a registered failure type) read the same wherever they are raised.
import { ApplicationFailure } from '@temporalio/workflow';
import { FailureType } from './failure-types';
import { checkUpdateFields, MAX_BY_CHARS, MAX_REASON_CHARS } from './message-input';
import type { RevertRequest } from './model-rollout-messages';
import type { RolloutState } from './rollout-state';

export function validateRevert(state: RolloutState, request: RevertRequest): void {
  const id = state.plan.rollout.id;
  checkUpdateFields(request, { by: MAX_BY_CHARS, reason: MAX_REASON_CHARS }, '{"by": "alice", "reason": "…"}');
  if (typeof request?.by !== 'string' || !request.by.trim())
    throw ApplicationFailure.nonRetryable('`by` (who reverts) is required', FailureType.InvalidDecision);
  if (typeof request.reason !== 'string' || !request.reason.trim())
    throw ApplicationFailure.nonRetryable('a reason is required to revert', FailureType.ReasonRequired);
  if (state.reverted)
    throw ApplicationFailure.nonRetryable(
      `rollout ${id} was already reverted by ${state.reverted.by} at ${state.reverted.at}: ${state.reverted.reason}`,
      FailureType.AlreadyReverted,
    );
  if (state.revertRequest)
    throw ApplicationFailure.nonRetryable(
      `a revert of rollout ${id} by ${state.revertRequest.by} is under way`,
      FailureType.AlreadyReverted,
    );
  if (state.phase === 'promoted') return;
  if (state.phase === 'finished' && state.outcome === 'promoted')
    throw ApplicationFailure.nonRetryable(
      state.revertWindow
        ? `rollout ${id}'s revert window closed at ${state.revertWindow.until}; roll the previous model out again instead`
        : `rollout ${id} kept no revert window (stages.cutover.revertWindow); roll the previous model out again instead`,
      FailureType.RevertWindowClosed,
    );
  throw ApplicationFailure.nonRetryable(
    state.phase === 'finished'
      ? `rollout ${id} was not promoted (${state.outcome}); there is nothing to revert`
      : `rollout ${id} is not promoted yet (phase ${state.phase}); roll it back instead`,
    FailureType.NotPromoted,
  );
}

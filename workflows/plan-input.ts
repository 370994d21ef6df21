// A rollout's plan input, parsed: the one way a plan becomes the RolloutPlan a run holds. It is
// called by the normalizePlan local activity (recorded in history) and, for runs started before
// that activity existed, by the workflow itself (the old branch of the 'plan-normalized-once' patch).
import { ApplicationFailure } from '@temporalio/common';
import { parsePlan, PlanValidationError, type RolloutPlan } from '../plan/schema';
import { FailureType } from './failure-types';

/** The parsed plan, or a non-retryable InvalidPlan failure that names every bad field. */
export function parsePlanOrFail(plan: unknown): RolloutPlan {
  try {
    return parsePlan(plan);
  } catch (error) {
    if (error instanceof PlanValidationError) {
      throw ApplicationFailure.create({
        type: FailureType.InvalidPlan,
        message: error.message,
        nonRetryable: true,
        details: [error.problems],
      });
    }
    throw error;
  }
}

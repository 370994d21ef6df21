// The plan a rollout runs on, validated and normalized (defaults filled in) once, by a local
// activity at the rollout's start. Its result is recorded in the workflow's history, so a later
// change to plan/ (a new default, a stricter field) never alters what a running rollout computes
// on replay, and a plan started from the `temporal` CLI or the UI is checked like one from ours.
import type { RolloutPlan } from '../plan/schema';
import { parsePlanOrFail } from '../workflows/plan-input';

export interface NormalizePlanInput {
  /** The plan as written: YAML parsed to an object, or JSON. */
  plan: unknown;
}

export function createPlanActivities() {
  return {
    async normalizePlan({ plan }: NormalizePlanInput): Promise<RolloutPlan> {
      return parsePlanOrFail(plan);
    },
  };
}

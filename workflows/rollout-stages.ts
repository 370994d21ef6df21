// The ordered stages a plan expands to. Pure: the workflow and the CLI (`rollout plan check`)
// both derive the same list from a plan.
import type { CohortJudging } from '../lib/cohort-match';
import type { GatePoint, RolloutPlan } from '../plan/schema';

export type StageKind = 'shadow' | 'golden_eval' | 'canary' | 'experiment' | 'cutover';

export interface StageSpec {
  /** Stable id: 'shadow', 'golden_eval', 'replay', 'cohort-1'…, 'canary-1'…, 'experiment', 'cutover'. */
  id: string;
  kind: StageKind;
  /**
   * Candidate weight (percent of the traffic outside the cohort, if the plan has one) while the
   * stage runs; 0 for shadow, golden eval and the cohort's own steps.
   */
  candidateWeight: number;
  /**
   * The candidate's share of the cohort's traffic, from the first cohort step on: the step's own
   * weight in a cohort step, the last cohort step's in the random steps after it, 100 at the cutover.
   * Absent when the plan has no cohort (and before it is reached).
   */
  cohortWeight?: number;
  /**
   * Observation window; 0 for the golden eval, which ends when its run ends; the longest duration
   * for the experiment, which ends sooner at its planned sample size.
   */
  windowMs: number;
  /** Human approval required before the stage starts. */
  approvalBefore: boolean;
}

function gateBefore(plan: RolloutPlan, point: GatePoint): boolean {
  return plan.approvals.requiredBefore.includes(point);
}

export function stagesOf(plan: RolloutPlan): StageSpec[] {
  const stages: StageSpec[] = [];
  const { shadow, goldenEval, replay, canary, cutover } = plan.stages;
  if (shadow.enabled) {
    stages.push({
      id: 'shadow',
      kind: 'shadow',
      candidateWeight: 0,
      windowMs: shadow.window,
      approvalBefore: gateBefore(plan, 'shadow'),
    });
  }
  if (goldenEval.enabled) {
    stages.push({
      id: 'golden_eval',
      kind: 'golden_eval',
      candidateWeight: 0,
      windowMs: 0,
      approvalBefore: gateBefore(plan, 'golden_eval'),
    });
  }
  // Captured traffic judged like the golden eval (the same activity), on its own dataset.
  // (Plans written before the replay existed have it disabled by default.)
  if (replay?.enabled) {
    stages.push({
      id: 'replay',
      kind: 'golden_eval',
      candidateWeight: 0,
      windowMs: 0,
      approvalBefore: gateBefore(plan, 'replay'),
    });
  }
  // The plan's canary gate comes before its first step, the cohort's if it has one.
  const cohortSteps = canary.cohort?.steps ?? [];
  cohortSteps.forEach((step, index) => {
    stages.push({
      id: `cohort-${index + 1}`,
      kind: 'canary',
      candidateWeight: 0,
      cohortWeight: step.weight,
      windowMs: step.window,
      approvalBefore: step.requireApproval || (index === 0 && gateBefore(plan, 'canary')),
    });
  });
  const pinned = cohortSteps.at(-1)?.weight;
  canary.steps.forEach((step, index) => {
    stages.push({
      id: `canary-${index + 1}`,
      kind: 'canary',
      candidateWeight: step.weight,
      ...(pinned !== undefined && { cohortWeight: pinned }),
      windowMs: step.window,
      approvalBefore: step.requireApproval || (index === 0 && cohortSteps.length === 0 && gateBefore(plan, 'canary')),
    });
  });
  // (Plans written before experiments existed have none.)
  const experiment = plan.stages.experiment;
  if (experiment?.enabled) {
    stages.push({
      id: 'experiment',
      kind: 'experiment',
      candidateWeight: experiment.share,
      windowMs: experiment.maxDuration,
      approvalBefore: experiment.requireApproval || gateBefore(plan, 'experiment'),
    });
  }
  stages.push({
    id: 'cutover',
    kind: 'cutover',
    candidateWeight: 100,
    ...(pinned !== undefined && { cohortWeight: 100 }),
    windowMs: cutover.bake,
    // The experiment always ends at a gate where a person ships the candidate: that is the cutover's approval.
    approvalBefore: gateBefore(plan, 'cutover') && !experiment?.enabled,
  });
  return stages;
}

/** In a cohort plan, what a canary stage's candidate traffic is judged against (lib/cohort-match.ts). */
export function cohortJudging(spec: StageSpec): CohortJudging | null {
  if (spec.kind !== 'canary' || spec.cohortWeight === undefined) return null;
  if (spec.candidateWeight > 0) return 'all';
  return spec.cohortWeight < 100 ? 'cohort_baseline' : 'route_baseline';
}

// The ordered stages a plan expands to. Pure: the workflow and the CLI (`rollout plan check`)
// both derive the same list from a plan.
import type { GatePoint, RolloutPlan } from '../plan/schema';

export type StageKind = 'shadow' | 'golden_eval' | 'canary' | 'cutover';

export interface StageSpec {
  /** Stable id: 'shadow', 'golden_eval', 'canary-1'…, 'cutover'. */
  id: string;
  kind: StageKind;
  /** Candidate weight (percent) while the stage runs; 0 for shadow and golden eval. */
  candidateWeight: number;
  /** Observation window; 0 for the golden eval, which ends when its run ends. */
  windowMs: number;
  /** Human approval required before the stage starts. */
  approvalBefore: boolean;
}

function gateBefore(plan: RolloutPlan, point: GatePoint): boolean {
  return plan.approvals.requiredBefore.includes(point);
}

export function stagesOf(plan: RolloutPlan): StageSpec[] {
  const stages: StageSpec[] = [];
  const { shadow, goldenEval, canary, cutover } = plan.stages;
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
  canary.steps.forEach((step, index) => {
    stages.push({
      id: `canary-${index + 1}`,
      kind: 'canary',
      candidateWeight: step.weight,
      windowMs: step.window,
      approvalBefore: step.requireApproval || (index === 0 && gateBefore(plan, 'canary')),
    });
  });
  stages.push({
    id: 'cutover',
    kind: 'cutover',
    candidateWeight: 100,
    windowMs: cutover.bake,
    approvalBefore: gateBefore(plan, 'cutover'),
  });
  return stages;
}

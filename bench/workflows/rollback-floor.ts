// The floor bench:rollback compares a rollout's rollback with: the least a workflow can do on a
// rollback signal. Its handler runs one activity that makes the same weight change at the gateway
// (baseline 100 %), with the rollout's compensation options, and nothing else.
import { condition, defineSignal, proxyActivities, setHandler } from '@temporalio/workflow';
import { COMPENSATION } from '../../workflows/activity-options';
import type { RollbackFloorActivities } from '../rollback-floor-activities';

export const floorRollbackSignal = defineSignal('rollback');

const { restoreFloorWeights } = proxyActivities<RollbackFloorActivities>(COMPENSATION);

export async function RollbackFloorWorkflow(input: { route: string }): Promise<void> {
  let restored = false;
  setHandler(floorRollbackSignal, async () => {
    await restoreFloorWeights({ route: input.route });
    restored = true;
  });
  await condition(() => restored);
}

// The floor workflow's one activity: the weight change a rollout's restore makes, through the same
// router the rollout uses.
import { GatewayRouter } from '../activities/traffic/gateway-router';
import { GatewayAdminClient } from '../gateway/admin-client';

export interface RollbackFloorActivities {
  restoreFloorWeights(input: { route: string }): Promise<void>;
}

export function createRollbackFloorActivities(gateway: { adminUrl: string; token: string }): RollbackFloorActivities {
  const client = new GatewayAdminClient(gateway);
  return {
    async restoreFloorWeights({ route }) {
      await new GatewayRouter(client, route).setWeights({ baseline: 100, candidate: 0 });
    },
  };
}

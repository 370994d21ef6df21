// The floor of bench/rollback.ts, measured on the same stack in the same run: a worker in the same
// process as the rollout worker runs RollbackFloorWorkflow (bench/workflows/rollback-floor.ts);
// each sample puts a route at the rollouts' canary weight, starts the workflow, waits until it
// waits for the signal, sends `rollback` and polls the gateway until the baseline has 100 % again,
// exactly as a rollout's rollback is timed.
import type { Client } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { GatewayAdminClient } from '../gateway/admin-client';
import { CANARY_WEIGHT, untilBaselineRestored } from './rollback-measure';
import { createRollbackFloorActivities } from './rollback-floor-activities';
import { RollbackFloorWorkflow, floorRollbackSignal } from './workflows/rollback-floor';

const workflowsPath = fileURLToPath(new URL('./workflows/index.ts', import.meta.url));
const READY_TIMEOUT_MS = 30_000;
const RESTORE_TIMEOUT_MS = 30_000;

interface FloorStack {
  temporalAddress: string;
  namespace: string;
  gatewayAdminUrl: string;
  gatewayAdminToken: string;
}

export async function startFloorWorker(stack: FloorStack, taskQueue: string) {
  const connection = await NativeConnection.connect({ address: stack.temporalAddress });
  const worker = await Worker.create({
    connection,
    namespace: stack.namespace,
    taskQueue,
    workflowsPath,
    activities: createRollbackFloorActivities({ adminUrl: stack.gatewayAdminUrl, token: stack.gatewayAdminToken }),
  });
  const done = worker.run().finally(() => connection.close());
  return {
    async stop() {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await done;
    },
  };
}

/** One floor sample: signal sent → the gateway shows baseline 100 / candidate 0, in ms. */
export async function measureFloor(options: {
  client: Client;
  stack: FloorStack;
  taskQueue: string;
  id: string;
  pollMs: number;
}): Promise<number> {
  const { client, stack, id } = options;
  const gateway = new GatewayAdminClient({ adminUrl: stack.gatewayAdminUrl, token: stack.gatewayAdminToken });
  // The route as a rollout's canary leaves it; no traffic is sent.
  await gateway.defineRoute(id, {
    backends: [
      { name: 'baseline', baseUrl: 'http://127.0.0.1:9/v1', model: 'bench-baseline' },
      { name: 'candidate', baseUrl: 'http://127.0.0.1:9/v1', model: 'bench-candidate' },
    ],
  });
  await gateway.setWeights(id, { weights: { baseline: 100 - CANARY_WEIGHT, candidate: CANARY_WEIGHT } });
  const handle = await client.workflow.start(RollbackFloorWorkflow, {
    taskQueue: options.taskQueue,
    workflowId: id,
    args: [{ route: id }],
  });
  // Waiting for its signal: the first workflow task has completed (started, scheduled, started, completed).
  const deadline = performance.now() + READY_TIMEOUT_MS;
  while ((await handle.describe()).historyLength < 4) {
    if (performance.now() > deadline) throw new Error(`${id}: the floor workflow never ran its first task`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  const sentAt = performance.now();
  await handle.signal(floorRollbackSignal);
  await untilBaselineRestored(gateway, id, RESTORE_TIMEOUT_MS, options.pollMs);
  const ms = performance.now() - sentAt;
  await handle.result();
  await gateway.deleteRoute(id);
  return ms;
}

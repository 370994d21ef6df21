// The rollout worker: runs ModelRolloutWorkflow and its activities on one task queue.
import { NativeConnection, Worker } from '@temporalio/worker';
import { fileURLToPath } from 'node:url';
import { createActivities, type ActivityDependencies } from '../activities';
import { temporalConnectionOptions } from '../client/connection';
import type { TemporalConfig } from '../client/temporal-config';

export const workflowsPath = fileURLToPath(new URL('../workflows/index.ts', import.meta.url));

export interface RolloutWorkerOptions extends Pick<TemporalConfig, 'address' | 'tls' | 'apiKey' | 'metadata'> {
  namespace: string;
  taskQueue: string;
  activities?: ActivityDependencies;
}

export interface RunningWorker {
  worker: Worker;
  /** Resolves when the worker has stopped. */
  done: Promise<void>;
  stop(): Promise<void>;
}

export async function startRolloutWorker(options: RolloutWorkerOptions): Promise<RunningWorker> {
  const connection = await NativeConnection.connect(temporalConnectionOptions(options));
  const worker = await Worker.create({
    connection,
    namespace: options.namespace,
    taskQueue: options.taskQueue,
    workflowsPath,
    activities: createActivities(options.activities),
    // On SIGINT/SIGTERM the SDK's runtime shuts workers down; in-flight activities get this long.
    shutdownGraceTime: '10s',
  });
  const done = worker.run().finally(() => connection.close());
  return {
    worker,
    done,
    async stop() {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await done;
    },
  };
}

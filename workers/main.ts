// `npm run worker`: the rollout worker as its own process. Configuration from the environment
// (TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, ROLLOUT_TASK_QUEUE) or the running embedded stack.
// SIGINT/SIGTERM shut it down gracefully: in-flight activities finish, nothing new is taken.
import { temporalConfig } from '../client/temporal-config';
import { startRolloutWorker } from './rollout-worker';

const config = temporalConfig();
const running = await startRolloutWorker(config);
console.log(
  `rollout worker polling task queue "${config.taskQueue}" on ${config.address} (namespace ${config.namespace})`,
);
await running.done;
console.log('rollout worker stopped');

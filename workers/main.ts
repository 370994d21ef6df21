// `npm run worker`: the rollout worker as its own process. Temporal from Temporal's environment
// configuration (TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_PROFILE / TEMPORAL_CONFIG_FILE,
// TLS and API key; client/temporal-config.ts) or the running embedded stack; ROLLOUT_TASK_QUEUE.
// SIGINT/SIGTERM shut it down gracefully: in-flight activities finish, nothing new is taken.
import { describeTemporal, temporalConfig, TemporalConfigError } from '../client/temporal-config';
import { startRolloutWorker } from './rollout-worker';

let config;
try {
  config = temporalConfig();
} catch (error) {
  if (!(error instanceof TemporalConfigError)) throw error;
  console.error(`rollout worker: ${error.message}`);
  process.exit(1);
}
const running = await startRolloutWorker(config);
console.log(`rollout worker polling task queue "${config.taskQueue}" on ${describeTemporal(config)}`);
await running.done;
console.log('rollout worker stopped');

// Where every Temporal client (the CLI, the Slack bot, the incident receiver, the demo) and the
// worker find Temporal. Environment first, then the file `rollout up` writes, then the embedded
// stack's defaults.
import { readStackFile } from './stack-file';

export interface TemporalConfig {
  address: string;
  namespace: string;
  taskQueue: string;
  uiUrl?: string;
}

export const DEFAULT_TASK_QUEUE = 'llm-rollout';

export function temporalConfig(env: NodeJS.ProcessEnv = process.env): TemporalConfig {
  const stack = readStackFile();
  return {
    address: env.TEMPORAL_ADDRESS ?? stack?.temporalAddress ?? '127.0.0.1:7233',
    namespace: env.TEMPORAL_NAMESPACE ?? stack?.namespace ?? 'default',
    taskQueue: env.ROLLOUT_TASK_QUEUE ?? stack?.taskQueue ?? DEFAULT_TASK_QUEUE,
    uiUrl: env.TEMPORAL_UI_URL ?? stack?.uiUrl,
  };
}

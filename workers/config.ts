// Where the worker and the CLI find Temporal. Environment first, then the file `rollout up`
// writes, then the embedded stack's defaults.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface TemporalConfig {
  address: string;
  namespace: string;
  taskQueue: string;
  uiUrl?: string;
}

export const DEFAULT_TASK_QUEUE = 'llm-rollout';
export const STACK_FILE = join(process.cwd(), '.rollout', 'stack.json');

export interface StackFile {
  temporalAddress: string;
  namespace: string;
  taskQueue: string;
  uiUrl: string;
  prometheusUrl: string;
  /** The gateway's data plane. */
  gatewayUrl: string;
  /** The gateway's admin plane and the file holding its token (mode 0600). */
  gatewayAdminUrl: string;
  gatewayAdminTokenFile: string;
  pid: number;
}

/** The running embedded stack's addresses; null when none runs (a stale file is ignored). */
export function readStackFile(path = STACK_FILE): StackFile | null {
  if (!existsSync(path)) return null;
  try {
    const stack = JSON.parse(readFileSync(path, 'utf8')) as StackFile;
    process.kill(stack.pid, 0);
    return stack;
  } catch {
    return null;
  }
}

export function temporalConfig(env: NodeJS.ProcessEnv = process.env): TemporalConfig {
  const stack = readStackFile();
  return {
    address: env.TEMPORAL_ADDRESS ?? stack?.temporalAddress ?? '127.0.0.1:7233',
    namespace: env.TEMPORAL_NAMESPACE ?? stack?.namespace ?? 'default',
    taskQueue: env.ROLLOUT_TASK_QUEUE ?? stack?.taskQueue ?? DEFAULT_TASK_QUEUE,
    uiUrl: env.TEMPORAL_UI_URL ?? stack?.uiUrl,
  };
}

// The file `rollout up` writes while the embedded stack runs: where its Temporal, Prometheus and
// gateway are, so every other process finds them without being told.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

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

// The gateway CLI (gateway/main.ts) as real child processes (with --processes N the pid is the
// primary's), holding the admin token every child is started with.
import { readFileSync } from 'node:fs';
import { TsxProcesses, type RunningTsxProcess } from './tsx-processes';

export type RunningGateway = RunningTsxProcess;

export class GatewayCli extends TsxProcesses {
  constructor(token: string) {
    super('gateway/main.ts', '[gateway] admin plane', { GATEWAY_ADMIN_TOKEN: token });
  }
}

/** The data-plane worker processes of a gateway primary: its children running gateway/main.ts. */
export function workerPids(primaryPid: number): number[] {
  let children: string;
  try {
    children = readFileSync(`/proc/${primaryPid}/task/${primaryPid}/children`, 'utf8');
  } catch {
    return [];
  }
  return children
    .trim()
    .split(/\s+/)
    .filter((pid) => pid !== '')
    .map(Number)
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('gateway/main.ts');
      } catch {
        return false;
      }
    });
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

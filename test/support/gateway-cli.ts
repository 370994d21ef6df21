// The gateway CLI (gateway/main.ts) as real child processes, started with node and tsx's loader
// directly (no npx, so the child's pid is the gateway's own: the primary, with --processes N).
// Keeps every child and its output, so a test can kill what is left and check what was printed.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

export interface RunningGateway {
  child: ChildProcess;
  /** Everything it printed so far (stdout and stderr). */
  output: () => string;
  exited: Promise<number | null>;
  /** kill -9, as a crash would; resolves once the process is gone. */
  kill9(): Promise<void>;
}

export class GatewayCli {
  private readonly children: ChildProcess[] = [];
  private readonly outputs: Array<() => string> = [];

  constructor(private readonly token: string) {}

  /** Resolves once the gateway says where both planes listen; rejects if it exits first. */
  /** `env` is added to the gateway's environment (its workers inherit it). */
  start(
    args: string[],
    env: Record<string, string> = {},
  ): Promise<RunningGateway> & { spawnedAt: number; child: ChildProcess; output: () => string } {
    const spawnedAt = performance.now();
    const child = spawn(process.execPath, ['--import', 'tsx', 'gateway/main.ts', ...args], {
      cwd: repoRoot,
      env: { ...process.env, ...env, GATEWAY_ADMIN_TOKEN: this.token },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.children.push(child);
    let text = '';
    const output = () => text;
    this.outputs.push(output);
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const kill9 = async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    };
    const ready = new Promise<RunningGateway>((resolve, reject) => {
      const onData = (chunk: Buffer) => {
        text += chunk.toString();
        if (text.includes('[gateway] admin plane')) resolve({ child, output, exited, kill9 });
      };
      child.stdout!.on('data', onData);
      child.stderr!.on('data', onData);
      void exited.then((code) => reject(new Error(`gateway exited with ${code} before it was ready:\n${text}`)));
    });
    return Object.assign(ready, { spawnedAt, child, output });
  }

  /** Everything every child printed so far. */
  allOutput(): string {
    return this.outputs.map((output) => output()).join('\n');
  }

  killAll(): void {
    for (const child of this.children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
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

// A TypeScript entry point of this repository (the gateway CLI, the rollout worker) as real child
// processes, started with node and tsx's loader directly (no npx, so the child's pid is the
// program's own). Keeps every child and its output, so a test or a bench can kill what is left and
// check what was printed.
import { spawn, type ChildProcess } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

const repoRoot = fileURLToPath(new URL('..', import.meta.url));

export interface RunningTsxProcess {
  child: ChildProcess;
  /** Everything it printed so far (stdout and stderr). */
  output: () => string;
  exited: Promise<number | null>;
  /** kill -9, as a crash would; resolves once the process is gone. */
  kill9(): Promise<void>;
}

export class TsxProcesses {
  private readonly children: ChildProcess[] = [];
  private readonly outputs: Array<() => string> = [];

  /**
   * `script` is relative to the repository root; a child counts as ready once its output contains
   * `readyText`; `env` is added to every child's environment.
   */
  constructor(
    private readonly script: string,
    private readonly readyText: string,
    private readonly env: Record<string, string> = {},
  ) {}

  /** Resolves once the child prints its ready text; rejects if it exits first. `env` is added to its environment. */
  start(
    args: string[],
    env: Record<string, string> = {},
  ): Promise<RunningTsxProcess> & { spawnedAt: number; child: ChildProcess; output: () => string } {
    const spawnedAt = performance.now();
    const child = spawn(process.execPath, ['--import', 'tsx', this.script, ...args], {
      cwd: repoRoot,
      env: { ...process.env, ...env, ...this.env },
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
    const ready = new Promise<RunningTsxProcess>((resolve, reject) => {
      const onData = (chunk: Buffer) => {
        text += chunk.toString();
        if (text.includes(this.readyText)) resolve({ child, output, exited, kill9 });
      };
      child.stdout!.on('data', onData);
      child.stderr!.on('data', onData);
      void exited.then((code) => reject(new Error(`${this.script} exited with ${code} before it was ready:\n${text}`)));
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

// The gateway CLI (gateway/main.ts) as a real child process, started with node directly (no npx),
// so a test can kill -9 it and start it again on the same ports, as a supervisor would.
import { spawn, type ChildProcess } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

export interface GatewayProcess {
  child: ChildProcess;
  /** Everything it printed so far (stdout and stderr). */
  output: () => string;
  exited: Promise<number | null>;
  /** kill -9, resolving once the process is gone. */
  kill9(): Promise<void>;
}

/** Every gateway child started in this test file, for afterAll to make sure none outlives it. */
export const gatewayChildren: ChildProcess[] = [];

/** Resolves once the gateway says where both planes listen; rejects if it exits before that. */
export function startGatewayProcess(args: string[], adminToken: string): Promise<GatewayProcess> & { spawnedAt: number; output: () => string } {
  const spawnedAt = performance.now();
  const child = spawn(process.execPath, ['--import', 'tsx', 'gateway/main.ts', ...args], {
    cwd: repoRoot,
    env: { ...process.env, GATEWAY_ADMIN_TOKEN: adminToken },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  gatewayChildren.push(child);
  let text = '';
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const kill9 = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
  };
  const ready = new Promise<GatewayProcess>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      text += chunk.toString();
      if (text.includes('[gateway] admin plane')) resolve({ child, output: () => text, exited, kill9 });
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    void exited.then((code) => reject(new Error(`gateway exited with ${code} before it was ready:\n${text}`)));
  });
  return Object.assign(ready, { spawnedAt, output: () => text });
}

/** kill -9 every gateway child still running. */
export function killGatewayChildren(): void {
  for (const child of gatewayChildren) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
}

// Simulated backends for the eval benchmark, each in its own process (`simulator/main.ts`), as
// real inference servers would be: their HTTP handling and timers then do not share an event loop
// with the eval being measured. Stopped in order by stack/managed-process.ts.
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, httpProbe, startManagedProcess, type ManagedProcess } from '../stack/managed-process';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

export interface BenchBackend {
  url: string;
  model: string;
  process: ManagedProcess;
}

export async function startBenchBackend(options: {
  model: string;
  logDir: string;
  flags: Record<string, string | number>;
}): Promise<BenchBackend> {
  const port = await freePort();
  const root = `http://127.0.0.1:${port}`;
  const args = ['--import', 'tsx', join(ROOT, 'simulator/main.ts'), '--port', String(port), '--model', options.model];
  for (const [flag, value] of Object.entries(options.flags)) args.push(`--${flag}`, String(value));
  const process = await startManagedProcess({
    name: options.model,
    command: globalThis.process.execPath,
    args,
    cwd: ROOT,
    logFile: join(options.logDir, `${options.model}.log`),
    ready: [httpProbe(`${root}/healthz`)],
    readyTimeoutMs: 60_000,
  });
  return {
    url: `${root}/v1`,
    model: options.model,
    process,
  };
}

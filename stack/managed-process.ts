// A long-running child process (Temporal, Prometheus, Alertmanager) with its output in a log file,
// a bounded readiness wait, and an orderly stop. Every failure message names the process and ends
// with the tail of its log, because "did not become ready" alone is never enough to act on.
import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { track, untrack } from './child-registry';
import { logTail } from './log-tail';
import type { Probe } from './readiness';
import { describeError, waitForProbes } from './readiness';

export { freePort } from './free-port';
export { httpJsonProbe, httpProbe, tcpProbe, unixSocketProbe } from './readiness';
export type { Probe } from './readiness';

export interface ManagedProcessOptions {
  /** Short name used in errors and logs, e.g. "prometheus". */
  name: string;
  command: string;
  args: string[];
  /** stdout and stderr are appended here. */
  logFile: string;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** All must pass, in order, for the process to count as ready. */
  ready: Probe[];
  readyTimeoutMs?: number;
  /** Time between SIGTERM and SIGKILL on stop. */
  stopGraceMs?: number;
}

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface ManagedProcess {
  readonly name: string;
  readonly pid: number;
  readonly logFile: string;
  /** null while running. */
  exitInfo(): ExitInfo | null;
  /** SIGTERM, then SIGKILL after the grace period; resolves once the process has exited. Idempotent. */
  stop(): Promise<void>;
  logTail(lines?: number): string;
}

export class ManagedProcessError extends Error {
  constructor(name: string, problem: string, logFile: string) {
    super(`${name}: ${problem}\n--- last lines of ${logFile} ---\n${logTail(logFile)}`);
    this.name = 'ManagedProcessError';
  }
}

function describeExit(exit: ExitInfo): string {
  return exit.signal ? `killed by ${exit.signal}` : `exit code ${exit.code}`;
}

export async function startManagedProcess(options: ManagedProcessOptions): Promise<ManagedProcess> {
  const { name, command, args, logFile, readyTimeoutMs = 30_000, stopGraceMs = 5_000 } = options;
  mkdirSync(dirname(logFile), { recursive: true });
  const fd = openSync(logFile, 'a');
  writeSync(fd, `--- ${new Date().toISOString()} starting: ${command} ${args.join(' ')}\n`);
  // detached: own process group, so stop() can signal the whole group (no stray grandchildren)
  // and a terminal's Ctrl-C reaches only us; child-registry then shuts the group down in order.
  const child = spawn(command, args, {
    cwd: options.cwd,
    env: options.env ?? process.env,
    stdio: ['ignore', fd, fd],
    detached: true,
  });
  closeSync(fd);

  const pid = child.pid;
  if (pid === undefined) {
    const err = await new Promise<Error>((resolve) => child.once('error', resolve));
    throw new ManagedProcessError(name, `could not spawn ${command}: ${err.message}`, logFile);
  }

  // Later 'error' events (failed signal delivery) must not crash the parent; keep them as a note.
  child.on('error', (err) => writeLog(logFile, `--- ${name}: ${err.message}\n`));

  let exit: ExitInfo | null = null;
  const exited = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      exit = { code, signal };
      untrack(tracked);
      resolve();
    });
  });

  const signalGroup = (signal: NodeJS.Signals) => {
    try {
      process.kill(-pid, signal);
    } catch {
      // ESRCH: the group is already gone.
    }
  };

  let stopping: Promise<void> | null = null;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      if (exit === null) {
        signalGroup('SIGTERM');
        let timer: NodeJS.Timeout | undefined;
        const inTime = await Promise.race([
          exited.then(() => true),
          new Promise<boolean>((resolve) => {
            timer = setTimeout(() => resolve(false), stopGraceMs);
          }),
        ]);
        clearTimeout(timer);
        if (!inTime) {
          writeLog(logFile, `--- ${name} ignored SIGTERM for ${stopGraceMs} ms; sending SIGKILL\n`);
          signalGroup('SIGKILL');
          await exited;
        }
      }
      // The leader is gone; take down anything it left behind in its group.
      signalGroup('SIGKILL');
    })();
    return stopping;
  };

  const tracked = { stop, killNow: () => signalGroup('SIGKILL') };
  track(tracked);

  const outcome = await waitForProbes({
    probes: options.ready,
    timeoutMs: readyTimeoutMs,
    giveUp: () => (exit ? `exited before becoming ready (${describeExit(exit)})` : null),
  });
  if (!outcome.ready) {
    await stop();
    throw new ManagedProcessError(name, `did not become ready: ${outcome.reason}`, logFile);
  }

  return {
    name,
    pid,
    logFile,
    exitInfo: () => exit,
    stop,
    logTail: (lines?: number) => logTail(logFile, lines),
  };
}

function writeLog(logFile: string, line: string): void {
  try {
    const fd = openSync(logFile, 'a');
    writeSync(fd, line);
    closeSync(fd);
  } catch (err) {
    // The note is only a diagnostic aid; never let it mask the stop itself.
    console.warn(`could not append to ${logFile}: ${describeError(err)}`);
  }
}

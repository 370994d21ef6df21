// ManagedProcess against real child processes: readiness, failures that show the log tail, stop
// escalation, process-group cleanup, and children dying with their parent.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { ManagedProcessError, freePort, httpProbe, startManagedProcess, tcpProbe } from '../../stack/managed-process';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const managedProcessModule = join(repoRoot, 'stack', 'managed-process.ts');
const dir = mkdtempSync(join(tmpdir(), 'llm-rollout-mp-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Alive means running: a zombie (exited, not yet reaped by init) counts as dead. */
function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

async function waitUntilDead(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!isAlive(pid)) return true;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return !isAlive(pid);
}

const node = process.execPath;

describe('startManagedProcess', () => {
  it('waits for an HTTP probe, then stops the process with SIGTERM', async () => {
    const port = await freePort();
    const script = `setTimeout(() => require('node:http').createServer((q, s) => s.end('ok')).listen(${port}, '127.0.0.1'), 300)`;
    const child = await startManagedProcess({
      name: 'http child',
      command: node,
      args: ['-e', script],
      logFile: join(dir, 'http.log'),
      ready: [tcpProbe('127.0.0.1', port), httpProbe(`http://127.0.0.1:${port}/`)],
      readyTimeoutMs: 10_000,
    });
    expect(child.exitInfo()).toBeNull();
    expect(isAlive(child.pid)).toBe(true);
    await child.stop();
    expect(child.exitInfo()).toEqual({ code: null, signal: 'SIGTERM' });
    await child.stop(); // idempotent
  });

  it('fails fast with the exit code and log tail when the process dies before it is ready', async () => {
    const port = await freePort();
    const start = Date.now();
    const error = await startManagedProcess({
      name: 'doomed child',
      command: node,
      args: ['-e', "console.error('config invalid: no such file'); process.exit(3)"],
      logFile: join(dir, 'doomed.log'),
      ready: [tcpProbe('127.0.0.1', port)],
      readyTimeoutMs: 20_000,
    }).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(ManagedProcessError);
    expect((error as Error).message).toMatch(
      /^doomed child: did not become ready: exited before becoming ready \(exit code 3\)/,
    );
    expect((error as Error).message).toContain('config invalid: no such file');
    expect(Date.now() - start).toBeLessThan(10_000);
  });

  it('times out with the probe, the last failure and the log tail, and kills the process', async () => {
    const port = await freePort();
    const error = await startManagedProcess({
      name: 'silent child',
      command: node,
      args: ['-e', "console.log('child pid ' + process.pid); setInterval(() => {}, 1000)"],
      logFile: join(dir, 'silent.log'),
      ready: [tcpProbe('127.0.0.1', port)],
      readyTimeoutMs: 800,
    }).catch((err: unknown) => err);
    const message = (error as Error).message;
    expect(message).toMatch(
      /^silent child: did not become ready: not ready within 800 ms; last check: TCP connect to 127\.0\.0\.1:\d+: .*ECONNREFUSED/,
    );
    const pid = Number(/child pid (\d+)/.exec(message)?.[1]);
    expect(pid).toBeGreaterThan(0);
    expect(await waitUntilDead(pid, 2_000)).toBe(true);
  });

  it('reports a missing executable', async () => {
    const error = await startManagedProcess({
      name: 'ghost',
      command: join(dir, 'no-such-binary'),
      args: [],
      logFile: join(dir, 'ghost.log'),
      ready: [],
    }).catch((err: unknown) => err);
    expect((error as Error).message).toMatch(/^ghost: could not spawn .*no-such-binary: .*ENOENT/);
  });

  it('escalates to SIGKILL and cleans up grandchildren that ignore SIGTERM', async () => {
    // The shell ignores nothing, but its background child (and so the sleep it execs) ignores TERM.
    const child = await startManagedProcess({
      name: 'stubborn group',
      command: 'sh',
      args: ['-c', "(trap '' TERM; exec sleep 60) & echo grandchild $!; trap '' TERM; while :; do sleep 0.1; done"],
      logFile: join(dir, 'stubborn.log'),
      ready: [],
      stopGraceMs: 300,
    });
    await new Promise((resolve) => setTimeout(resolve, 200));
    const grandchild = Number(/grandchild (\d+)/.exec(child.logTail())?.[1]);
    expect(isAlive(grandchild)).toBe(true);
    const start = Date.now();
    await child.stop();
    expect(Date.now() - start).toBeGreaterThanOrEqual(250);
    expect(child.exitInfo()?.signal).toBe('SIGKILL');
    expect(child.logTail()).toContain('stubborn group ignored SIGTERM for 300 ms; sending SIGKILL');
    expect(await waitUntilDead(grandchild, 2_000)).toBe(true);
  });
});

describe('children of an exiting parent', () => {
  // A separate Node parent (run with tsx) starts a child, prints its pid, then leaves as told.
  // .mts: the temp dir has no package.json saying "type": "module", and the script uses top-level await.
  const parentScript = join(dir, 'parent.mts');
  writeFileSync(
    parentScript,
    `import { startManagedProcess } from ${JSON.stringify(managedProcessModule)};
const child = await startManagedProcess({
  name: 'orphan candidate', command: process.execPath, args: ['-e', 'setInterval(() => {}, 1000)'],
  logFile: ${JSON.stringify(join(dir, 'orphan.log'))}, ready: [],
});
console.log('CHILD ' + child.pid);
if (process.argv[2] === 'exit') process.exit(0);
setInterval(() => {}, 1000);
`,
  );

  async function runParent(
    how: 'exit' | 'sigterm',
  ): Promise<{ childPid: number; parentExit: { code: number | null; signal: string | null } }> {
    const parent = spawn(node, ['--import', 'tsx', parentScript, how], {
      cwd: repoRoot,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    parent.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) =>
      parent.once('exit', (code, signal) => resolve({ code, signal })),
    );
    const childPid = await new Promise<number>((resolve, reject) => {
      const fail = (why: string) =>
        reject(new Error(`parent ${why} before printing its child's pid\nstdout: ${out}\nstderr: ${err}`));
      const timer = setTimeout(() => {
        parent.kill('SIGKILL');
        fail('hung for 20 s');
      }, 20_000);
      void exited.then(({ code }) => {
        clearTimeout(timer);
        fail(`exited with code ${code}`);
      });
      parent.stdout.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        const match = /CHILD (\d+)/.exec(out);
        if (match) {
          clearTimeout(timer);
          resolve(Number(match[1]));
        }
      });
    });
    if (how === 'sigterm') parent.kill('SIGTERM');
    return { childPid, parentExit: await exited };
  }

  /** Asserts the orphan died; if it did not, kills it so a failing run leaves nothing behind. */
  async function expectDeadThenCleanUp(childPid: number): Promise<void> {
    const dead = await waitUntilDead(childPid, 3_000);
    if (!dead) process.kill(childPid, 'SIGKILL');
    expect(dead, `child ${childPid} outlived its parent`).toBe(true);
  }

  it('kills the child when the parent calls process.exit()', async () => {
    const { childPid, parentExit } = await runParent('exit');
    expect(parentExit.code).toBe(0);
    await expectDeadThenCleanUp(childPid);
  });

  it('stops the child and still dies of SIGTERM when the parent is sent SIGTERM', async () => {
    const { childPid, parentExit } = await runParent('sigterm');
    expect(parentExit.signal).toBe('SIGTERM');
    await expectDeadThenCleanUp(childPid);
  });
});

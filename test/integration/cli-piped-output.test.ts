// The CLI's output arrives whole through a pipe that its reader drains slowly: a command that exited
// before stdout drained cut `rollout status --json | …` at the pipe's 64 KB. The real `rollout`
// entry against a real dev server, worker and gateway, with a rollout whose status is large, and
// `run --wait --json` to a rollout's end (compact on stdout, full in --out FILE).
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createActivities } from '../../activities';
import { startRollout, type RolloutHandle } from '../../client/rollouts';
import { startGateway, type GatewayHandle } from '../../gateway/server';
import { parsePlan } from '../../plan/schema';
import { compactResult } from '../../cli/compact-result';
import { EXIT_CODES } from '../../cli/format';
import type { RolloutResult, RolloutStatus } from '../../workflows/rollout-state';
import { eventually } from '../support/eventually';
import { adminOf } from '../support/gateway-over-pair';
import { createDevServerEnv, workflowBundle } from '../support/temporal';

const TASK_QUEUE = 'cli-piped-output-test';
const ROLLOUT_ID = 'cli-piped-output';
// The status carries the plan's name, so a long one makes a status far past the pipe's 64 KB
// without waiting for hundreds of verdicts.
const LONG_NAME = `release ${'n'.repeat(300_000)}`;

const dir = mkdtempSync(join(tmpdir(), 'llm-rollout-cli-pipe-'));
const cleanups: Array<() => Promise<unknown>> = [];
let env: TestWorkflowEnvironment;
let gateway: GatewayHandle;
let handle: RolloutHandle;

beforeAll(async () => {
  [env, gateway] = await Promise.all([createDevServerEnv(), startGateway({ port: 0 })]);
  cleanups.push(
    () => env.teardown(),
    () => gateway.close(),
  );
  process.env.GATEWAY_ADMIN_TOKEN = gateway.adminToken;
  cleanups.push(async () => {
    delete process.env.GATEWAY_ADMIN_TOKEN;
  });
  const worker = await Worker.create({
    connection: env.nativeConnection,
    namespace: env.namespace ?? 'default',
    taskQueue: TASK_QUEUE,
    workflowBundle: await workflowBundle(),
    activities: createActivities({ slack: false }),
  });
  const done = worker.run();
  cleanups.push(async () => {
    worker.shutdown();
    await done;
  });
  const plan = parsePlan({
    rollout: { id: ROLLOUT_ID, name: LONG_NAME, requestedBy: 'carol' },
    backends: {
      baseline: { baseUrl: 'http://127.0.0.1:9/v1', model: 'sim-base' },
      candidate: { baseUrl: 'http://127.0.0.1:9/v1', model: 'sim-candidate' },
    },
    router: { kind: 'gateway', adminUrl: gateway.adminUrl, route: ROLLOUT_ID },
    // A long 25% canary, judged only after the test is over.
    stages: {
      shadow: { enabled: false },
      canary: { steps: [{ weight: 25, window: '10m' }], checkInterval: '10m' },
      cutover: { bake: '10m' },
    },
    approvals: { requiredBefore: [], approvers: ['alice'] },
    guardrails: { judge: 'threshold' },
  });
  handle = await startRollout(env.client, plan, { taskQueue: TASK_QUEUE, requestedBy: 'carol' });
  cleanups.push(() => handle.terminate('test over'));
  await eventually(
    'the rollout at 25%',
    async () => (await adminOf(gateway).getRoute(ROLLOUT_ID))?.weights.candidate === 25,
  );
}, 120_000);

afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  rmSync(dir, { recursive: true, force: true });
});

/**
 * Runs `rollout …` as a shell pipeline does (`rollout … | reader`), its stdout (or stderr) into a
 * real pipe. The default reader sleeps before it reads: the pipe fills at 64 KB and stays full a while.
 */
function rolloutThroughPipe(
  args: string[],
  {
    stream = 'stdout',
    reader = '{ sleep 1.5; cat; }',
    env: extraEnv = {},
  }: { stream?: 'stdout' | 'stderr'; reader?: string; env?: Record<string, string> } = {},
): Promise<{ code: number | null; output: string; stderr: string }> {
  const redirect = stream === 'stdout' ? '' : '2>&1 >/dev/null';
  const child = spawn(
    'bash',
    ['-o', 'pipefail', '-c', `"$0" bin/rollout.mjs "$@" ${redirect} | ${reader}`, process.execPath, ...args],
    {
      env: {
        ...process.env,
        TEMPORAL_ADDRESS: env.address,
        TEMPORAL_NAMESPACE: env.namespace ?? 'default',
        ...extraEnv,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
  child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) =>
      resolve({ code, output: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() }),
    );
  });
}

describe('rollout output through a slowly read pipe', () => {
  it('status --json --full arrives whole, and --out FILE holds the same full JSON', async () => {
    const outFile = join(dir, 'status.json');
    const full = await rolloutThroughPipe(['status', ROLLOUT_ID, '--json', '--full', '--out', outFile]);
    expect(full.stderr).toBe('');
    expect(full.code).toBe(0);
    expect(full.output.length).toBeGreaterThan(300_000);
    const status = JSON.parse(full.output) as RolloutStatus;
    expect(status.name).toBe(LONG_NAME);
    expect(status.phase).toBe('observing');
    expect(status.timeline.length).toBeGreaterThan(0);
    expect(JSON.parse(readFileSync(outFile, 'utf8'))).toEqual(status);

    const compact = await rolloutThroughPipe(['status', ROLLOUT_ID, '--json']);
    expect(compact.code).toBe(0);
    const shown = JSON.parse(compact.output) as RolloutStatus;
    expect(shown.name).toBe(LONG_NAME);
    expect(shown.stages).toEqual(status.stages);
    expect(shown.weights).toEqual({ baseline: 75, candidate: 25 });
  }, 60_000);

  it('an error message arrives whole on stderr, with exit code 1', async () => {
    // Node on Linux writes stderr into a pipe before the write call returns (only stdout was cut),
    // so this guards the error path through the same exit: the whole message, and exit code 1.
    const command = 'x'.repeat(100_000);
    const failed = await rolloutThroughPipe([command], { stream: 'stderr' });
    expect(failed.code).toBe(1);
    // Not toContain: its failure message would print the 100 KB twice.
    expect(failed.output.startsWith(`rollout: unknown command "${command}"`)).toBe(true);
    expect(failed.output.trimEnd().endsWith('127.0.0.1:7233.')).toBe(true);
  }, 30_000);

  it("a reader that stops early ends the output quietly; the exit code is still the command's", async () => {
    const planFile = join(dir, 'long-plan.json');
    // 300 KB of output from a command that needs no server: the plan's description comes back.
    const minimal = JSON.parse(readFileSync('examples/minimal.json', 'utf8')) as object;
    writeFileSync(
      planFile,
      JSON.stringify({ ...minimal, rollout: { id: 'long-plan', description: 'd'.repeat(300_000) } }),
    );
    const early = await rolloutThroughPipe(['plan', 'check', planFile, '--json'], { reader: 'head -c 100' });
    expect(early.stderr).toBe('');
    expect(early.code).toBe(0);
    expect(early.output).toHaveLength(100);
  }, 30_000);

  it('run --wait --json prints the compact result of the finished rollout; --out FILE holds the full one', async () => {
    const id = 'cli-piped-run';
    const planFile = join(dir, 'run-plan.json');
    // No traffic: the judge has no data, and the plan rolls back on an inconclusive window.
    writeFileSync(
      planFile,
      JSON.stringify({
        rollout: { id, requestedBy: 'carol' },
        backends: {
          baseline: { baseUrl: 'http://127.0.0.1:9/v1', model: 'sim-base' },
          candidate: { baseUrl: 'http://127.0.0.1:9/v1', model: 'sim-candidate' },
        },
        router: { kind: 'gateway', adminUrl: gateway.adminUrl, route: id },
        stages: {
          shadow: { enabled: false },
          canary: { steps: [{ weight: 5, window: '3s' }], checkInterval: '1s' },
          cutover: { bake: '1s' },
        },
        approvals: { requiredBefore: [], approvers: ['alice'] },
        guardrails: { judge: 'statistical', onInconclusive: 'rollback' },
      }),
    );
    const outFile = join(dir, 'run-result.json');
    const run = await rolloutThroughPipe(['run', planFile, '--wait', '--json', '--out', outFile], {
      env: { ROLLOUT_TASK_QUEUE: TASK_QUEUE },
    });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(EXIT_CODES.rolled_back);
    const full = JSON.parse(readFileSync(outFile, 'utf8')) as RolloutResult;
    expect(full.outcome).toBe('rolled_back');
    expect(full.verdicts.length).toBeGreaterThan(0);
    expect(full.verdicts.some((verdict) => verdict.metrics.some((metric) => metric.message))).toBe(true);
    expect(JSON.parse(run.output)).toEqual(compactResult(full));
  }, 60_000);
});

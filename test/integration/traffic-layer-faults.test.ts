// The traffic layer (and Temporal) failing under a live rollout, on real processes: the Temporal
// dev server on its database file (killed with SIGKILL and started again), the gateway CLI as a
// child process (killed with SIGKILL and started again on the same ports, with or without its
// state file), simulated backends under live load, and a rollout worker the test stops and
// starts. Each case ends the rollout promoted or rolled back, never Failed, with the route left
// in the state the outcome says.
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createActivities } from '../../activities';
import { startRollout, watchRollout } from '../../client/rollouts';
import type { RouteState } from '../../gateway/admin-api';
import { GatewayAdminClient } from '../../gateway/admin-client';
import type { JudgeVerdict } from '../../judge/canary-judge';
import { parsePlan } from '../../plan/schema';
import { runLoad, type LoadResponse } from '../../simulator/load-generator';
import { startSimulatedBackend, type SimulatedBackend } from '../../simulator/sim-backend';
import { freePort } from '../../stack/free-port';
import { startTemporalDevServer, type TemporalDevServer } from '../../stack/temporal-dev-server';
import { statusQuery } from '../../workflows/model-rollout';
import type { RolloutResult, TimelineEvent } from '../../workflows/rollout-state';
import { eventually } from '../support/eventually';
import { GatewayCli, type RunningGateway } from '../../stack/gateway-cli';
import { workflowBundle } from '../support/temporal';
import { ROLLOUT_SEARCH_ATTRIBUTES } from '../../workflows/search-attributes';

const TOKEN = 'traffic-faults-admin-token-0123456789';
const TASK_QUEUE = 'traffic-layer-faults';
const RATE = 50; // requests/s of live load on the route under test
const CHECK_INTERVAL_MS = 1_000;
const PRICING = { inputPer1k: 0.0002, outputPer1k: 0.0006 };
const run = promisify(execFile);

let dir: string;
let temporal: TemporalDevServer;
let temporalPorts: { port: number; uiPort: number };
let client: Client;
let connection: Connection;
let nativeConnection: NativeConnection;
let sims: { baseline: SimulatedBackend; candidate: SimulatedBackend };
let ports: { data: number; admin: number };
let stateFile: string;
let gateway: RunningGateway | null = null;
let worker: { stop(): Promise<void> } | null = null;
const gateways = new GatewayCli(TOKEN);

const dataUrl = () => `http://127.0.0.1:${ports.data}`;
const adminUrl = () => `http://127.0.0.1:${ports.admin}`;
const admin = () => new GatewayAdminClient({ adminUrl: adminUrl(), token: TOKEN, timeoutMs: 2_000 });

/** Starts the gateway CLI on the test's two ports; resolves once both planes listen, with that moment. */
async function startGateway(flags: string[]): Promise<number> {
  gateway = await gateways.start(['--port', String(ports.data), '--admin-port', String(ports.admin), ...flags]);
  return Date.now();
}

/** The dev server on its fixed ports, its database (temporal.db) in the test's directory, so a restart keeps every workflow. */
function startTemporal(): Promise<TemporalDevServer> {
  return startTemporalDevServer({
    dataDir: join(dir, 'temporal'),
    logDir: join(dir, 'logs'),
    ...temporalPorts,
    searchAttributes: Object.fromEntries(ROLLOUT_SEARCH_ATTRIBUTES.map((key) => [key.name, 'Keyword' as const])),
  });
}

/** kill -9 the running gateway; resolves with the moment it was killed. */
async function killGateway(): Promise<number> {
  const killedAt = Date.now();
  await gateway!.kill9();
  gateway = null;
  return killedAt;
}

async function startWorker(): Promise<void> {
  const created = await Worker.create({
    connection: nativeConnection,
    namespace: temporal.namespace,
    taskQueue: TASK_QUEUE,
    workflowBundle: await workflowBundle(),
    activities: createActivities({ slack: false }),
  });
  const done = created.run();
  worker = {
    async stop() {
      created.shutdown();
      await done;
    },
  };
}

async function stopWorker(): Promise<void> {
  await worker?.stop();
  worker = null;
}

interface Answer extends LoadResponse {
  sentAt: number;
  doneAt: number;
}

/** Live load on one route, every answer kept with when it was sent and answered (wall clock). */
function liveLoad(route: string) {
  const answers: Answer[] = [];
  const abort = new AbortController();
  const done = runLoad({
    gatewayUrl: dataUrl(),
    routes: [route],
    ratePerSecond: RATE,
    durationMs: 120_000,
    users: 200,
    jsonShare: 0.5,
    requestTimeoutMs: 5_000,
    signal: abort.signal,
    onResponse: (answer) => {
      if (abort.signal.aborted) return;
      const doneAt = Date.now();
      answers.push({ ...answer, doneAt, sentAt: doneAt - answer.latencyMs });
    },
  });
  return {
    answers,
    async stop() {
      abort.abort();
      await done;
    },
  };
}

/** Shadow soak (optional), one 50 % canary step, a bake; every check 1 s apart; no human in the loop. */
function plan(id: string, options: { shadow: boolean; canaryWindow: string; maxMetricFailures: number }) {
  return parsePlan({
    rollout: { id, name: `traffic faults: ${id}`, requestedBy: 'carol' },
    backends: {
      baseline: { baseUrl: sims.baseline.url, model: sims.baseline.model, pricing: PRICING },
      candidate: { baseUrl: sims.candidate.url, model: sims.candidate.model, pricing: PRICING },
    },
    router: { kind: 'gateway', adminUrl: adminUrl(), route: id },
    stages: {
      shadow: { enabled: options.shadow, share: 0.5, window: '5s' },
      goldenEval: { enabled: false },
      canary: { checkInterval: `${CHECK_INTERVAL_MS}ms`, steps: [{ weight: 50, window: options.canaryWindow }] },
      cutover: { bake: '5s' },
    },
    approvals: { requiredBefore: [], approvers: ['alice'] },
    // minRequests sized for seconds-long windows (as the end-to-end test does); an inconclusive
    // window rolls back rather than waiting for a human, so no case can stall on a gate.
    guardrails: { minRequests: 20, maxMetricFailures: options.maxMetricFailures, onInconclusive: 'rollback' },
  });
}

/** The route at baseline only, before the load starts, as a service would have it. */
async function defineAtBaseline(route: string): Promise<void> {
  await admin().defineRoute(route, {
    backends: [{ name: 'baseline', baseUrl: sims.baseline.url, model: sims.baseline.model }],
  });
}

async function route(name: string): Promise<RouteState | null> {
  return admin().getRoute(name);
}

async function atCanary50(handle: Awaited<ReturnType<typeof startRollout>>, id: string): Promise<void> {
  await eventually(
    `${id} at its 50 % canary`,
    async () => {
      const status = await handle.query(statusQuery);
      if (status.phase === 'finished')
        throw new Error(`${id} finished before its canary: ${status.outcome}: ${status.reason}`);
      return (
        status.stage?.startsWith('canary') &&
        status.weights.candidate === 50 &&
        (await route(id))?.weights.candidate === 50
      );
    },
    30_000,
  );
}

/** The route in the state the outcome says: promoted, the candidate alone; rolled back, the baseline at 100 % with mirroring off. */
async function expectRouteMatches(result: RolloutResult, id: string): Promise<void> {
  const state = await route(id);
  expect(state, `route ${id} after the rollout`).not.toBeNull();
  if (result.outcome === 'promoted') {
    expect(state!.backends.map((backend) => backend.model)).toEqual([sims.candidate.model]);
    expect(state!.weights).toEqual({ baseline: 100 });
  } else {
    expect(result.outcome).toBe('rolled_back');
    expect(state!.weights).toEqual({ baseline: 100, candidate: 0 });
  }
  expect(state!.shadow.enabled).toBe(false);
}

const events = (result: { timeline: TimelineEvent[] }, type: string) =>
  result.timeline.filter((event) => event.type === type);
const failed = (answers: Answer[]) => answers.filter((answer) => answer.status !== 200);
/** An answer that was in flight at some moment of [from, to]. */
const overlaps = (answer: Answer, from: number, to: number) => answer.sentAt <= to && answer.doneAt >= from;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'traffic-layer-faults-'));
  stateFile = join(dir, 'gateway-state.json');
  ports = { data: await freePort(), admin: await freePort() };
  const fast = { latencyMedianMs: 15, latencySigma: 0.1, maxConcurrency: 256 };
  temporalPorts = { port: await freePort(), uiPort: await freePort() };
  [temporal, sims] = await Promise.all([
    startTemporal(),
    Promise.all([
      startSimulatedBackend({ model: 'sim-faults-base', behaviour: { ...fast, seed: 21 } }),
      startSimulatedBackend({ model: 'sim-faults-cand', behaviour: { ...fast, seed: 22 } }),
    ]).then(([baseline, candidate]) => ({ baseline, candidate })),
    startGateway(['--state-file', stateFile]),
  ]);
  // The in-process worker's activities find the admin token where any worker does.
  process.env.GATEWAY_ADMIN_TOKEN = TOKEN;
  connection = await Connection.connect({ address: temporal.address });
  client = new Client({ connection, namespace: temporal.namespace });
  nativeConnection = await NativeConnection.connect({ address: temporal.address });
  await startWorker();
}, 120_000);

afterAll(async () => {
  await stopWorker().catch(() => undefined);
  gateways.killAll();
  await connection?.close();
  await nativeConnection?.close();
  await temporal?.stop();
  await Promise.all([sims?.baseline.close(), sims?.candidate.close()]);
  delete process.env.GATEWAY_ADMIN_TOKEN;
  if (dir) rmSync(dir, { recursive: true, force: true });
  expect(gateways.allOutput()).not.toContain(TOKEN);
});

describe('the traffic layer failing under a live rollout', () => {
  it('gateway kill -9 and restart with its state file at a 50 % canary: clients are served again at once, the rollout carries on and finishes', async () => {
    const id = 'faults-restart';
    await defineAtBaseline(id);
    const load = liveLoad(id);
    try {
      // A budget the restart (node + tsx start-up, a second or two) stays well inside: the rollout
      // must carry on, not compensate.
      const handle = await startRollout(client, plan(id, { shadow: true, canaryWindow: '12s', maxMetricFailures: 6 }), {
        taskQueue: TASK_QUEUE,
        requestedBy: 'carol',
      });
      await atCanary50(handle, id);
      await new Promise((resolve) => setTimeout(resolve, 2_000)); // a few passing looks at 50 % first

      const killedAt = await killGateway();
      const upAt = await startGateway(['--state-file', stateFile]);
      const restored = await route(id);
      expect(restored?.weights).toEqual({ baseline: 50, candidate: 50 });

      const result = await watchRollout(handle, () => undefined);
      const after = await handle.query(statusQuery);
      await load.stop();
      console.log(
        `gateway restart mid-canary: down ${upAt - killedAt} ms; ${failed(load.answers).length} of ${load.answers.length} requests failed; ` +
          `${events(result, 'metrics_unavailable').length} failed checks; outcome ${result.outcome}: ${result.reason}`,
      );

      expect(['promoted', 'rolled_back']).toContain(result.outcome);
      expect(result.trafficRestored).toBeUndefined();
      await expectRouteMatches(result, id);
      // It carried on: judged again on the new process's records, candidate traffic flowing again.
      const canaryVerdicts = result.verdicts.filter(
        (verdict) => verdict.stage.startsWith('canary') && Date.parse(verdict.at) > upAt,
      );
      expect(canaryVerdicts.length).toBeGreaterThan(0);
      expect(
        canaryVerdicts.some((verdict) => (verdict as JudgeVerdict).notes?.some((note) => note.includes('restarted'))),
      ).toBe(true);
      expect(
        load.answers.filter((answer) => answer.sentAt > upAt && answer.backend === 'candidate').length,
      ).toBeGreaterThan(0);
      expect(after.trafficLayer).not.toBeNull();

      // Clients failed only while no gateway listened: every failure was in flight then, and there
      // are about as many as the load sent in that time (plus those in flight at the kill).
      const failures = failed(load.answers);
      expect(failures.length).toBeGreaterThan(0);
      for (const answer of failures)
        expect(
          overlaps(answer, killedAt - 50, upAt + 250),
          `request ${answer.index} (status ${answer.status}) failed outside the outage`,
        ).toBe(true);
      expect(failures.length).toBeLessThanOrEqual(Math.ceil((RATE * (upAt - killedAt + 500)) / 1000) + 20);
    } finally {
      await load.stop();
    }
  }, 90_000);

  it('Temporal dev server kill -9 and restart on its database at a 50 % canary: traffic and clients are untouched, the rollout resumes and finishes', async () => {
    const id = 'faults-temporal-restart';
    await defineAtBaseline(id);
    const load = liveLoad(id);
    try {
      const handle = await startRollout(client, plan(id, { shadow: true, canaryWindow: '12s', maxMetricFailures: 3 }), {
        taskQueue: TASK_QUEUE,
        requestedBy: 'carol',
      });
      await atCanary50(handle, id);

      const killedAt = Date.now();
      process.kill(temporal.pid, 'SIGKILL');
      await eventually('the dev server gone', async () => {
        try {
          process.kill(temporal.pid, 0);
          return false;
        } catch {
          return true;
        }
      });
      // Temporal is not on the request path: the gateway keeps the canary as it was and serves everyone.
      await eventually(
        'answers while Temporal is down',
        async () => load.answers.filter((answer) => answer.sentAt > killedAt + 100).length >= 50,
        10_000,
      );
      expect((await route(id))?.weights).toEqual({ baseline: 50, candidate: 50 });
      temporal = await startTemporal();
      const upAt = Date.now();

      const result = await watchRollout(handle, () => undefined);
      await load.stop();
      console.log(
        `Temporal dev server down ${upAt - killedAt} ms (restart included); outcome ${result.outcome}: ${result.reason}`,
      );
      expect(['promoted', 'rolled_back']).toContain(result.outcome);
      await expectRouteMatches(result, id);
      expect(failed(load.answers)).toEqual([]);
      // It resumed where it was: judged again after the restart, in the same run.
      expect(result.verdicts.some((verdict) => Date.parse(verdict.at) > upAt)).toBe(true);
      expect(events(result, 'started')).toHaveLength(1);
    } finally {
      await load.stop();
    }
  }, 90_000);

  it('gateway restarted without its state file, from a --config at baseline 100 %: the next check puts the canary back and says what it found', async () => {
    const id = 'faults-old-config';
    await defineAtBaseline(id);
    const load = liveLoad(id);
    try {
      const handle = await startRollout(client, plan(id, { shadow: true, canaryWindow: '12s', maxMetricFailures: 6 }), {
        taskQueue: TASK_QUEUE,
        requestedBy: 'carol',
      });
      await atCanary50(handle, id);

      // The config a supervisor would start it with: the route as it was before the rollout.
      const config = join(dir, 'routes.yaml');
      writeFileSync(
        config,
        [
          'routes:',
          `  ${id}:`,
          '    backends:',
          `      - { name: baseline, baseUrl: ${sims.baseline.url}, model: ${sims.baseline.model} }`,
          `      - { name: candidate, baseUrl: ${sims.candidate.url}, model: ${sims.candidate.model} }`,
          '    weights: { baseline: 100, candidate: 0 }',
          '',
        ].join('\n'),
      );
      await killGateway();
      const upAt = await startGateway(['--config', config]);

      const corrected = await eventually(
        'traffic_corrected on the timeline',
        async () =>
          (await handle.query(statusQuery)).timeline.find(
            (event) => event.type === 'traffic_corrected' && Date.parse(event.at) >= upAt - 1_000,
          ),
        15_000,
      );
      const correctedAt = Date.parse(corrected.at);
      console.log(
        `gateway from an old config: corrected ${correctedAt - upAt} ms after it came back: ${corrected.message}`,
      );
      expect(corrected.message).toContain(
        'weights were baseline 100 % / candidate 0 %; set back to baseline 50 % / candidate 50 %',
      );
      // Within about one check interval, plus a reconcile retry that may have been backing off.
      expect(correctedAt - upAt).toBeLessThan(CHECK_INTERVAL_MS + 2_500);
      expect((await route(id))?.weights).toMatchObject({ baseline: 50, candidate: 50 });
      await eventually(
        'candidate answers after the correction',
        async () =>
          load.answers.filter((answer) => answer.sentAt > correctedAt && answer.backend === 'candidate').length >= 20,
        10_000,
      );

      const result = await watchRollout(handle, () => undefined);
      console.log(`gateway from an old config: outcome ${result.outcome}: ${result.reason}`);
      expect(['promoted', 'rolled_back']).toContain(result.outcome);
      await expectRouteMatches(result, id);
    } finally {
      await load.stop();
    }
  }, 90_000);

  it('gateway unreachable longer than the metric-failure budget, then back empty: rolled back once it returns, the route recreated at baseline 100 %', async () => {
    const id = 'faults-long-outage';
    await defineAtBaseline(id);
    const load = liveLoad(id);
    const maxMetricFailures = 3;
    try {
      const handle = await startRollout(client, plan(id, { shadow: false, canaryWindow: '60s', maxMetricFailures }), {
        taskQueue: TASK_QUEUE,
        requestedBy: 'carol',
      });
      await atCanary50(handle, id);

      const killedAt = await killGateway();
      // Past the budget the rollout compensates. The restore runs as a local activity, whose
      // attempts no describe shows; what shows it retrying is the workflow staying open in
      // compensation for many retry intervals (200 ms doubling) while the layer is down.
      const compensatingAt = await eventually(
        'the rollout compensating',
        async () => (await handle.query(statusQuery)).phase === 'compensating' && Date.now(),
        30_000,
      );
      const RETRYING_MS = 6_000;
      await new Promise((resolve) => setTimeout(resolve, RETRYING_MS));
      expect((await handle.query(statusQuery)).phase).toBe('compensating');
      const during = await handle.describe();
      expect(during.status.name).toBe('RUNNING');
      const downMs = Date.now() - killedAt;
      expect(downMs).toBeGreaterThan(maxMetricFailures * CHECK_INTERVAL_MS);

      // Back on the same ports, with no state file: the route is gone.
      const upAt = await startGateway([]);
      expect(await route(id)).toBeNull();
      // When the gateway has the route again, seen from outside: the timeline's time for it is the
      // workflow task's, which started before the restore's last retry reached the gateway.
      const recreatedAt = await eventually(
        'the route recreated at the gateway',
        async () => (await route(id)) !== null && Date.now(),
        15_000,
      );
      const result = await watchRollout(handle, () => undefined);
      const recreated = events(result, 'route_recreated');
      await eventually(
        'answers after the route was recreated',
        async () => load.answers.filter((answer) => answer.sentAt > recreatedAt + 250).length >= 25,
        10_000,
      );
      await load.stop();
      console.log(
        `gateway down ${downMs} ms (compensating for ${upAt - compensatingAt} ms), back empty: route recreated ${recreatedAt - upAt} ms after; ` +
          `${failed(load.answers).length} of ${load.answers.length} requests failed; outcome ${result.outcome}: ${result.reason}`,
      );

      expect(result.outcome).toBe('rolled_back');
      expect(result.reason).toContain('the canary cannot be observed');
      expect(result.trafficRestored).toBeUndefined();
      expect(events(result, 'metrics_unavailable')).toHaveLength(maxMetricFailures);
      expect(recreated).toHaveLength(1);
      const state = await route(id);
      expect(state?.weights).toEqual({ baseline: 100, candidate: 0 });
      expect(state?.shadow.enabled).toBe(false);
      // Clients: refused while it was down, told the route is unknown until it was recreated, and
      // served by the baseline from then on.
      for (const answer of failed(load.answers))
        expect(
          overlaps(answer, killedAt - 50, recreatedAt + 250),
          `request ${answer.index} (status ${answer.status}) failed outside the outage: sent ${answer.sentAt - killedAt} ms after the kill, ` +
            `answered ${answer.doneAt - recreatedAt} ms after the route was back (gateway up ${upAt - killedAt} ms after the kill)`,
        ).toBe(true);
      const afterwards = load.answers.filter((answer) => answer.sentAt > recreatedAt + 250);
      expect(afterwards.length).toBeGreaterThan(0);
      expect(afterwards.every((answer) => answer.status === 200 && answer.backend === 'baseline')).toBe(true);
    } finally {
      await load.stop();
      // Failed with the gateway down: bring it back, so the cases after this one start as they expect.
      if (!gateway) await startGateway(['--state-file', stateFile]);
    }
  }, 90_000);

  it('a rollback from the CLI with no worker running lands on the gateway at once; the workflow finds it already restored when a worker returns', async () => {
    const id = 'faults-no-worker';
    await defineAtBaseline(id);
    const load = liveLoad(id);
    try {
      const handle = await startRollout(
        client,
        plan(id, { shadow: false, canaryWindow: '60s', maxMetricFailures: 3 }),
        { taskQueue: TASK_QUEUE, requestedBy: 'carol' },
      );
      await atCanary50(handle, id);
      await stopWorker();
      const stoppedAt = Date.now();
      // Without a worker nothing moves traffic: the candidate keeps serving half of it.
      await eventually(
        'candidate answers with no worker',
        async () =>
          load.answers.filter((answer) => answer.sentAt > stoppedAt && answer.backend === 'candidate').length >= 10,
        10_000,
      );

      const reason = 'INC-9: candidate answers look wrong';
      // While the command runs, watch the gateway: when (from the command's start) traffic left the candidate.
      let flippedAt: number | null = null;
      let watching = true;
      const watcher = (async () => {
        while (watching && flippedAt === null) {
          if ((await route(id))?.weights.candidate === 0) flippedAt = Date.now();
          else await new Promise((resolve) => setTimeout(resolve, 5));
        }
      })();
      const cliStart = Date.now();
      const cli = await run(
        process.execPath,
        ['--import', 'tsx', 'cli/main.ts', 'rollback', id, '--reason', reason, '--as', 'dave'],
        {
          env: {
            ...process.env,
            TEMPORAL_ADDRESS: temporal.address,
            TEMPORAL_NAMESPACE: temporal.namespace,
            GATEWAY_ADMIN_TOKEN: TOKEN,
          },
        },
      );
      const cliEnd = Date.now();
      watching = false;
      await watcher;
      let state = await route(id);
      while (state?.weights.candidate !== 0 && Date.now() - cliEnd < 5_000) state = await route(id);
      const landedAfterMs = Date.now() - cliEnd;
      const reported = /in (\d+) ms/.exec(cli.stdout)?.[1];
      console.log(
        `break glass with no worker: CLI ran ${cliEnd - cliStart} ms (node + tsx start-up included); its restore took ${reported} ms by its own account; ` +
          `the gateway was seen at baseline 100 % ${flippedAt === null ? 'only after' : `${flippedAt - cliStart} ms after the command started and ${cliEnd - flippedAt} ms before`} it exited; ` +
          `read at baseline 100 % ${landedAfterMs} ms after it exited`,
      );

      expect(cli.stdout).toContain(`${id}: rollback requested by dave: ${reason}`);
      expect(cli.stdout).toMatch(
        new RegExp(`${id}: traffic put back on the baseline at gateway ${adminUrl()} route ${id} in \\d+ ms`),
      );
      expect(state?.weights).toEqual({ baseline: 100, candidate: 0 });
      expect(state?.shadow.enabled).toBe(false);
      expect(landedAfterMs).toBeLessThan(1_000);
      // Still no worker: the workflow has not run since the signal, yet no request sent after the
      // command returned reached the candidate.
      await eventually(
        'baseline answers after the rollback',
        async () => load.answers.filter((answer) => answer.sentAt > cliEnd).length >= 25,
        10_000,
      );
      expect(load.answers.filter((answer) => answer.sentAt > cliEnd && answer.backend === 'candidate')).toEqual([]);
      expect((await handle.describe()).status.name).toBe('RUNNING');

      await startWorker();
      const result = await watchRollout(handle, () => undefined);
      console.log(
        `no-worker rollback: workflow ${result.outcome} ${Date.now() - cliEnd} ms after the command, once a worker ran`,
      );
      expect(result.outcome).toBe('rolled_back');
      expect(result.reason).toBe(`rollback requested by dave: ${reason}`);
      expect(events(result, 'already_restored')).toHaveLength(1);
      expect(result.trafficRestored).toBeUndefined();
      await expectRouteMatches(result, id);
    } finally {
      await load.stop();
      if (!worker) await startWorker();
    }
  }, 90_000);
});

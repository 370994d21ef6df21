// `npm run bench:scale [-- --rollouts 1000 --rollbacks 30 --load-rps 100]`: how many rollouts one
// worker and one gateway hold at once. On the embedded stack (real dev server, the worker and the
// gateway in this process), it ramps to --rollouts concurrent rollouts, each on its own route at a
// 10 % canary with a long window and the plan's default checks, with light load spread over all
// routes from two simulated backends. With all of them in flight it then measures:
// - rollback to effect, one at a time, until the gateway shows the baseline at 100 % (p50/p99),
//   both ways a rollback is sent: --cli-rollbacks of them as `rollout rollback`, Slack and the
//   alert receiver send it (RolloutService.rollback: the signal, then the baseline put back on the
//   traffic layer directly), and --rollbacks of them as the bare `rollback` signal (what
//   `temporal workflow signal` sends), which lands only when the worker runs its workflow task;
// - workflow task latency (scheduled → started) from a sample of histories, once all are in flight;
// - this process's memory and CPU over the measured stretch;
// - history events per rollout so far, and per simulated day of soak from the growth rate;
//   continue-as-new caps a run at the workflow's history limit.
// The last line is one JSON object.
import { Client, Connection } from '@temporalio/client';
import proto from '@temporalio/proto';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { describeBreakGlass } from '../client/break-glass';
import { RolloutService } from '../client/rollout-service';
import { startRollout, type RolloutHandle } from '../client/rollouts';
import { GatewayAdminClient } from '../gateway/admin-client';
import { rankQuantileSorted } from '../lib/quantiles';
import { parseDurationMs } from '../plan/duration';
import { parsePlan } from '../plan/schema';
import { runLoad } from '../simulator/load-generator';
import { startSimulatedBackend, type SimulatedBackend } from '../simulator/sim-backend';
import { startEmbeddedStack, type EmbeddedStack } from '../stack/embedded-stack';
import { rollbackSignal } from '../workflows/model-rollout';
import { CANARY_WEIGHT, untilBaselineRestored } from './rollback-measure';
import { runBench } from './run-bench';
import { HISTORY_EVENT_LIMIT } from '../workflows/history-limit';

// CommonJS package: its named exports are not visible to Node's ESM loader.
const { temporal } = proto;
const EventType = temporal.api.enums.v1.EventType;

const { values } = parseArgs({
  options: {
    rollouts: { type: 'string', default: '1000' },
    rollbacks: { type: 'string', default: '5' },
    'cli-rollbacks': { type: 'string', default: '30' },
    'load-rps': { type: 'string', default: '100' },
    'check-interval': { type: 'string', default: '30s' },
    'start-concurrency': { type: 'string', default: '20' },
  },
});
const rollouts = Number(values.rollouts);
const rollbacks = Number(values.rollbacks);
const cliRollbacks = Number(values['cli-rollbacks']);
const loadRps = Number(values['load-rps']);
const startConcurrency = Number(values['start-concurrency']);
const checkInterval = values['check-interval']!;
const checkIntervalMs = parseDurationMs(checkInterval);
if (
  !Number.isInteger(rollouts) ||
  rollouts < 1 ||
  !Number.isInteger(rollbacks) ||
  rollbacks < 0 ||
  !Number.isInteger(cliRollbacks) ||
  cliRollbacks < 0 ||
  rollbacks + cliRollbacks < 1 ||
  rollbacks + cliRollbacks > rollouts ||
  !(loadRps >= 0) ||
  !Number.isInteger(startConcurrency) ||
  startConcurrency < 1 ||
  checkIntervalMs === null
) {
  console.error(
    'usage: npm run bench:scale -- [--rollouts N≥1] [--rollbacks K≥0] [--cli-rollbacks K≥0] (1..N in all) [--load-rps R≥0] [--check-interval 30s] [--start-concurrency C≥1]',
  );
  process.exit(1);
}

Runtime.install({ logger: new DefaultLogger('WARN') });

const dir = mkdtempSync(join(tmpdir(), 'llm-rollout-bench-scale-'));
const HISTORY_SAMPLE = 20;
const IN_FLIGHT_TIMEOUT_MS = 20 * 60_000;
const RESTORE_TIMEOUT_MS = 120_000;
let stack: EmbeddedStack | undefined;
let connection: Connection | undefined;
let sims: SimulatedBackend[] = [];
const stopLoad = new AbortController();
let load: Promise<unknown> | undefined;

function plan(id: string, baselineUrl: string, candidateUrl: string) {
  return parsePlan({
    rollout: { id, name: `scale bench ${id}`, requestedBy: 'bench' },
    backends: {
      baseline: { baseUrl: baselineUrl, model: 'sim-scale-base' },
      candidate: { baseUrl: candidateUrl, model: 'sim-scale-cand' },
    },
    router: { kind: 'gateway', adminUrl: stack!.gatewayAdminUrl, route: id },
    stages: {
      shadow: { enabled: false },
      // Long enough that every rollout is still in its canary when the measuring is done.
      canary: { steps: [{ weight: CANARY_WEIGHT, window: '6h' }], checkInterval },
      cutover: { bake: '10m' },
    },
    approvals: { requiredBefore: [], approvers: ['bench'] },
  });
}

async function main(): Promise<string> {
  const startedAt = performance.now();
  stack = await startEmbeddedStack({ dir, taskQueue: 'bench-scale', activities: { slack: false } });
  sims = await Promise.all(
    ['sim-scale-base', 'sim-scale-cand'].map((model, i) =>
      startSimulatedBackend({
        model,
        behaviour: { latencyMedianMs: 20, latencySigma: 0.2, seed: i + 1, maxConcurrency: 512 },
      }),
    ),
  );
  connection = await Connection.connect({ address: stack.temporalAddress });
  const client = new Client({ connection, namespace: stack.namespace });
  const gateway = new GatewayAdminClient({ adminUrl: stack.gatewayAdminUrl, token: stack.gatewayAdminToken });
  console.log(`embedded stack up in ${Math.round(performance.now() - startedAt)} ms; ramping to ${rollouts} rollouts`);

  const tag = Date.now().toString(36);
  const ids = Array.from({ length: rollouts }, (_, i) => `scale-${tag}-${i}`);
  const handles = new Map<string, RolloutHandle>();
  const rampStart = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(startConcurrency, rollouts) }, async () => {
      for (;;) {
        const id = ids[next++];
        if (!id) return;
        handles.set(
          id,
          await startRollout(client, plan(id, sims[0]!.url, sims[1]!.url), {
            taskQueue: stack!.taskQueue,
            requestedBy: 'bench',
          }),
        );
      }
    }),
  );
  console.log(`started ${rollouts} rollouts in ${Math.round(performance.now() - rampStart)} ms`);

  // Light load on every route, as their users would send.
  if (loadRps > 0)
    load = runLoad({
      gatewayUrl: stack.gatewayUrl,
      routes: ids,
      ratePerSecond: loadRps,
      durationMs: IN_FLIGHT_TIMEOUT_MS * 2,
      users: 5_000,
      jsonShare: 0.2,
      requestTimeoutMs: 10_000,
      signal: stopLoad.signal,
    });

  // All in flight: every route at the canary weight.
  const deadline = performance.now() + IN_FLIGHT_TIMEOUT_MS;
  for (;;) {
    const atCanary = (await gateway.listRoutes()).filter((route) => route.weights.candidate === CANARY_WEIGHT).length;
    if (atCanary >= rollouts) break;
    if (performance.now() > deadline) throw new Error(`only ${atCanary} of ${rollouts} rollouts reached their canary`);
    if (Math.round(performance.now() / 1_000) % 30 === 0) console.log(`  ${atCanary} of ${rollouts} at their canary`);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
  }
  const inFlightMs = performance.now() - rampStart;
  console.log(`${rollouts} rollouts in flight at their canary ${Math.round(inFlightMs)} ms after the first start`);

  const inFlightAt = Date.now();
  const sample = ids.slice(0, HISTORY_SAMPLE);
  const lengthsBefore = await historyLengths(client, sample);
  const measuredFrom = performance.now();
  const cpuBefore = process.cpuUsage();
  let peakRss = process.memoryUsage().rss;

  // Rollback to effect, one at a time, picked across the whole set, while the rest stay in flight:
  // first the CLI's way, then the bare signal's.
  const total = rollbacks + cliRollbacks;
  const picked = Array.from({ length: total }, (_, i) => ids[Math.floor(((i + 0.5) * rollouts) / total)]!);
  const service = new RolloutService(client);
  const viaCli: number[] = [];
  const viaSignal: number[] = [];
  let notRestored = 0;
  let breakGlassFailed = 0;
  for (const [i, id] of picked.entries()) {
    const cli = i < cliRollbacks;
    const sentAt = performance.now();
    const request = { reason: 'scale bench', by: 'bench' };
    if (cli) {
      const result = await service.rollback(id, request);
      if (!result.ok || !result.traffic.restored) {
        breakGlassFailed++;
        console.log(
          `  break glass did not restore ${id}: ${result.ok ? describeBreakGlass(result.traffic) : result.message}`,
        );
      }
    } else await handles.get(id)!.signal(rollbackSignal, request);
    try {
      await untilBaselineRestored(gateway, id, RESTORE_TIMEOUT_MS, 5);
    } catch (error) {
      // Counted, and timed at the limit: an overloaded worker is what this bench is for.
      notRestored++;
      console.log(`  ${(error as Error).message}`);
    }
    const times = cli ? viaCli : viaSignal;
    times.push(performance.now() - sentAt);
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
    console.log(
      `  rollback ${i + 1}/${total} ${cli ? 'as rollout rollback' : 'as the bare signal'} ${id}: ${times.at(-1)!.toFixed(1)} ms`,
    );
    // Spread over at least one check interval, so the checks of the others run between them.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
  }
  // History growth is read over at least three check intervals of soak.
  while (performance.now() - measuredFrom < 3 * checkIntervalMs!) {
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
  }
  const measuredMs = performance.now() - measuredFrom;
  const cpu = process.cpuUsage(cpuBefore);
  const cpuCores = (cpu.user + cpu.system) / 1_000 / measuredMs;
  const unpicked = sample.filter((id) => !picked.includes(id));
  const lengthsAfter = await historyLengths(client, unpicked);
  const growth = unpicked.map((id) => (lengthsAfter.get(id)! - lengthsBefore.get(id)!) / (measuredMs / 1_000));
  const eventsPerDay = median(growth) * 86_400;
  const taskLatencies = await workflowTaskLatencies(client, sample, inFlightAt);

  viaCli.sort((a, b) => a - b);
  viaSignal.sort((a, b) => a - b);
  taskLatencies.sort((a, b) => a - b);
  const quantile = (sorted: number[], q: number) => (sorted.length > 0 ? round(rankQuantileSorted(sorted, q)) : null);
  const lengths = [...lengthsAfter.values()].sort((a, b) => a - b);
  const summary = {
    rollouts_in_flight: rollouts,
    ramp_ms: Math.round(inFlightMs),
    rollback_p50_ms: quantile(viaCli, 0.5),
    rollback_p99_ms: quantile(viaCli, 0.99),
    rollback_max_ms: quantile(viaCli, 1),
    rollbacks_measured: viaCli.length,
    break_glass_failed: breakGlassFailed,
    signal_only_rollback_p50_ms: quantile(viaSignal, 0.5),
    signal_only_rollback_p99_ms: quantile(viaSignal, 0.99),
    signal_only_rollback_max_ms: quantile(viaSignal, 1),
    signal_only_rollbacks_measured: viaSignal.length,
    rollbacks_not_restored_in_120s: notRestored,
    workflow_task_latency_p50_ms: round(rankQuantileSorted(taskLatencies, 0.5)),
    workflow_task_latency_p99_ms: round(rankQuantileSorted(taskLatencies, 0.99)),
    process_rss_mb: Math.round(peakRss / 1e6),
    process_cpu_cores: Math.round(cpuCores * 100) / 100,
    history_events_per_rollout_median: rankQuantileSorted(lengths, 0.5),
    history_events_per_simulated_day: Math.round(eventsPerDay),
    history_event_limit_per_run: HISTORY_EVENT_LIMIT,
    load_rps: loadRps,
    check_interval: checkInterval,
  };
  console.log('');
  console.log(`rollouts in flight          ${rollouts} (goal 1,000)`);
  console.log(
    `rollout rollback → baseline p50 ${summary.rollback_p50_ms} ms   p99 ${summary.rollback_p99_ms} ms over ${viaCli.length} (goal p99 ≤ 1,000 ms); break glass failed ${breakGlassFailed}`,
  );
  console.log(
    `bare signal → baseline      p50 ${summary.signal_only_rollback_p50_ms} ms   p99 ${summary.signal_only_rollback_p99_ms} ms over ${viaSignal.length} (lands when the worker runs the rollout's workflow task)`,
  );
  console.log(
    `workflow task latency       p50 ${summary.workflow_task_latency_p50_ms} ms   p99 ${summary.workflow_task_latency_p99_ms} ms`,
  );
  console.log(
    `this process (worker + gateway)  rss ${summary.process_rss_mb} MB   cpu ${summary.process_cpu_cores} cores`,
  );
  console.log(
    `history events per rollout  ${summary.history_events_per_rollout_median} so far; ${summary.history_events_per_simulated_day} per simulated day of soak; continue-as-new caps a run at ${summary.history_event_limit_per_run} (goal ≤ 5,000 per run)`,
  );
  return JSON.stringify(summary);
}

async function historyLengths(client: Client, ids: string[]): Promise<Map<string, number>> {
  const lengths = new Map<string, number>();
  for (const id of ids) lengths.set(id, (await client.workflow.getHandle(id).describe()).historyLength);
  return lengths;
}

/** Workflow task scheduled → started, in ms, over the sampled rollouts' histories since `sinceMs` (the ramp left out). */
async function workflowTaskLatencies(client: Client, ids: string[], sinceMs: number): Promise<number[]> {
  const latencies: number[] = [];
  for (const id of ids) {
    const events = (await client.workflow.getHandle(id).fetchHistory()).events ?? [];
    const scheduledAt = new Map<number, number>();
    for (const event of events) {
      const at = Number(event.eventTime?.seconds ?? 0) * 1_000 + (event.eventTime?.nanos ?? 0) / 1e6;
      if (event.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED) scheduledAt.set(Number(event.eventId), at);
      const started = event.workflowTaskStartedEventAttributes;
      if (started) {
        const scheduled = scheduledAt.get(Number(started.scheduledEventId));
        if (scheduled !== undefined && scheduled >= sinceMs) latencies.push(at - scheduled);
      }
    }
  }
  return latencies;
}

function median(values: number[]): number {
  return rankQuantileSorted(
    [...values].sort((a, b) => a - b),
    0.5,
  );
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}

async function shutdown(): Promise<void> {
  stopLoad.abort();
  await load?.catch(() => undefined);
  await connection?.close().catch(() => undefined);
  await stack?.stop();
  await Promise.all(sims.map((sim) => sim.close()));
  rmSync(dir, { recursive: true, force: true });
}

runBench(main, shutdown);

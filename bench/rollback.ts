// `npm run bench:rollback [-- --rollouts 50 --concurrency 4]`: how long from a rollback request
// (the moment the signal is sent) until the gateway serves the baseline at 100 % again, over many
// rollouts on the embedded stack (real Temporal dev server, worker and gateway).
//
// Each rollout: shadow off, straight to a 10 % canary with a 10-minute window (no checks within
// it). As soon as the gateway's route shows the candidate's weight, the bench sends `rollback`
// and polls GET /admin/routes/:route every ~2 ms until the weights are back to baseline 100.
// `--concurrency` rollouts are in flight at once, but one at a time is between its start and its
// restored weights: the bench's 2 ms polling runs in the same process as the worker and the
// gateway, and several pollers at once slow the worker down (`--overlap` measures that way).
// From each run's history it also splits the time: signal → workflow task started (dispatch) →
// task done on the worker, signal → restore activity scheduled, scheduled → started, started →
// completed (the gateway call). Then, on the same stack, the floor: as many rollbacks of a
// minimal workflow whose signal handler runs one activity making the same weight change
// (bench/rollback-floor.ts), timed the same way. The last line is one JSON object: {"rollouts",
// "p50_ms", "p99_ms", "max_ms", "floor_p50_ms", "ratio_to_floor", …}.
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { rankQuantileSorted } from '../lib/quantiles';
import { startEmbeddedStack, type EmbeddedStack } from '../stack/embedded-stack';
import { measureFloor, startFloorWorker } from './rollback-floor';
import { createLock, measureRollback, summarizeBreakdowns, type RollbackSample } from './rollback-measure';
import { runBench } from './run-bench';

const { values } = parseArgs({
  options: {
    rollouts: { type: 'string', default: '50' },
    concurrency: { type: 'string', default: '4' },
    'poll-ms': { type: 'string', default: '2' },
    // Let the measured rollbacks overlap too (the bench then polls several routes every 2 ms
    // from the worker's own process, which slows the worker it measures).
    overlap: { type: 'boolean', default: false },
    // Diagnostic: roll back this long after the canary weight shows, once the workflow has
    // finished entering the stage (the default, 0, is the measure the goal is set on).
    'settle-ms': { type: 'string', default: '0' },
  },
});
const rollouts = Number(values.rollouts);
const concurrency = Number(values.concurrency);
const pollMs = Number(values['poll-ms']);
const settleMs = Number(values['settle-ms']);
if (
  !Number.isInteger(rollouts) ||
  rollouts < 1 ||
  !Number.isInteger(concurrency) ||
  concurrency < 1 ||
  !(pollMs >= 0) ||
  !(settleMs >= 0)
) {
  console.error(
    'usage: npm run bench:rollback -- [--rollouts N≥1] [--concurrency K≥1] [--poll-ms MS] [--settle-ms MS]',
  );
  process.exit(1);
}

// The worker's per-activity INFO lines would bury the table (and follow the JSON line at shutdown).
Runtime.install({ logger: new DefaultLogger('WARN') });

const dir = mkdtempSync(join(tmpdir(), 'llm-rollout-bench-rollback-'));
let stack: EmbeddedStack | undefined;
let connection: Connection | undefined;
let floorWorker: Awaited<ReturnType<typeof startFloorWorker>> | undefined;

async function main(): Promise<string> {
  const startedAt = performance.now();
  stack = await startEmbeddedStack({ dir, taskQueue: 'bench-rollback', activities: { slack: false } });
  connection = await Connection.connect({ address: stack.temporalAddress });
  const client = new Client({ connection, namespace: stack.namespace });
  console.log(
    `embedded stack up in ${Math.round(performance.now() - startedAt)} ms; ${rollouts} rollouts, ${concurrency} at a time, polling every ${pollMs} ms${settleMs ? `, rolling back ${settleMs} ms after the canary weight shows` : ''}`,
  );

  const tag = Date.now().toString(36);
  const samples: RollbackSample[] = [];
  const measured = values.overlap ? undefined : createLock();
  let next = 0;
  const runner = async () => {
    for (;;) {
      const index = next++;
      if (index >= rollouts) return;
      const sample = await measureRollback({
        client,
        stack: stack!,
        taskQueue: stack!.taskQueue,
        id: `bench-rb-${tag}-${index}`,
        pollMs,
        settleMs,
        measured,
      });
      samples.push(sample);
      console.log(
        `${String(index + 1).padStart(4)}  ${sample.id.padEnd(28)} ${sample.ms.toFixed(1).padStart(8)} ms   (signal→task started ${fmt(sample.breakdown?.signalToTaskStartedMs)}, task ${fmt(sample.breakdown?.taskStartedToCompletedMs)}, signal→restore scheduled ${fmt(sample.breakdown?.signalToScheduledMs)}, →started ${fmt(sample.breakdown?.scheduledToStartedMs)}, →completed ${fmt(sample.breakdown?.startedToCompletedMs)})`,
      );
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, rollouts) }, runner));

  // The floor, one at a time (as the rollouts' measured stretches are), on the same stack.
  floorWorker = await startFloorWorker(stack, 'bench-rollback-floor');
  const floor: number[] = [];
  for (let index = 0; index < rollouts; index++) {
    const ms = await measureFloor({
      client,
      stack,
      taskQueue: 'bench-rollback-floor',
      id: `bench-floor-${tag}-${index}`,
      pollMs,
    });
    floor.push(ms);
    console.log(
      `${String(index + 1).padStart(4)}  floor ${`bench-floor-${tag}-${index}`.padEnd(22)} ${ms.toFixed(1).padStart(8)} ms`,
    );
  }
  floor.sort((a, b) => a - b);

  const times = samples.map((sample) => sample.ms).sort((a, b) => a - b);
  const breakdown = summarizeBreakdowns(samples);
  console.log('');
  console.log('rollback request → baseline weights restored at the gateway');
  console.log(
    `  rollouts ${times.length}   p50 ${rankQuantileSorted(times, 0.5).toFixed(1)} ms   p90 ${rankQuantileSorted(times, 0.9).toFixed(1)} ms   p99 ${rankQuantileSorted(times, 0.99).toFixed(1)} ms   max ${times.at(-1)!.toFixed(1)} ms   min ${times[0]!.toFixed(1)} ms`,
  );
  console.log(
    `  median split (server event times): signal → workflow task started ${fmt(breakdown.signalToTaskStartedMs)}, task on the worker ${fmt(breakdown.taskStartedToCompletedMs)}, signal → restore scheduled ${fmt(breakdown.signalToScheduledMs)}, scheduled → started ${fmt(breakdown.scheduledToStartedMs)}, started → completed ${fmt(breakdown.startedToCompletedMs)}`,
  );
  const floorP50 = rankQuantileSorted(floor, 0.5);
  const ratioToFloor = rankQuantileSorted(times, 0.5) / floorP50;
  console.log(
    `  floor (a workflow whose signal handler runs the one weight change): p50 ${floorP50.toFixed(1)} ms   p99 ${rankQuantileSorted(floor, 0.99).toFixed(1)} ms`,
  );
  console.log(`  ratio to the floor at p50 ${ratioToFloor.toFixed(2)} (goal ≤ 2)`);
  console.log('  goal: p50 ≤ 200 ms, p99 ≤ 1,000 ms');
  return JSON.stringify({
    rollouts: times.length,
    p50_ms: round(rankQuantileSorted(times, 0.5)),
    p99_ms: round(rankQuantileSorted(times, 0.99)),
    max_ms: round(times.at(-1)!),
    p90_ms: round(rankQuantileSorted(times, 0.9)),
    min_ms: round(times[0]!),
    concurrency,
    settle_ms: settleMs,
    overlapping_measurements: values.overlap === true,
    floor_p50_ms: round(floorP50),
    floor_p99_ms: round(rankQuantileSorted(floor, 0.99)),
    ratio_to_floor: Math.round(ratioToFloor * 100) / 100,
    median_signal_to_task_started_ms: breakdown.signalToTaskStartedMs,
    median_task_on_worker_ms: breakdown.taskStartedToCompletedMs,
    median_signal_to_scheduled_ms: breakdown.signalToScheduledMs,
    median_scheduled_to_started_ms: breakdown.scheduledToStartedMs,
    median_started_to_completed_ms: breakdown.startedToCompletedMs,
  });
}

function fmt(ms: number | null | undefined): string {
  return ms === null || ms === undefined ? 'n/a' : `${ms.toFixed(0)} ms`;
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}

async function shutdown(): Promise<void> {
  await floorWorker?.stop();
  await connection?.close().catch(() => undefined);
  await stack?.stop();
  rmSync(dir, { recursive: true, force: true });
}

runBench(main, shutdown);

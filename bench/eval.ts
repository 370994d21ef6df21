// Golden-eval throughput benchmark (`npm run bench:eval`): does the eval finish in the time the
// backends' concurrency allows, rather than in the time our code needs?
//
// Two SIMULATED backends, each its own process like a real inference server, answer with a fixed
// latency L (log-normal sigma 0) and N GPU slots each; a third is the judge and the embeddings
// endpoint (no latency, many slots). The real golden-eval activity — dataset file, openai SDK,
// scorers, LLM judge, embeddings, heartbeats, paired-bootstrap verdict, report — runs the
// 200-item dataset in a MockActivityEnvironment.
//
// Each item costs one request on each backend and the two work in parallel, so the backends can
// serve at most 2 × N / L requests per second, i.e.
//   limit_items_per_second = 2 backends × N / L ÷ 2 requests per item = N / L,
// and efficiency = items_per_second / limit_items_per_second (goal ≥ 0.9). The runner's
// `concurrency` is 4N (2N requests outstanding per backend: N in service, N queued at the server),
// so a slot freed at the backend is refilled at once instead of after our client's round trip;
// the benchmark also reports the matched setting (2N, one request per slot) for comparison. A
// 4-item eval runs first, as a warm-up of the worker process (not measured); the measured time is
// the whole activity: dataset load, every request, judge, embeddings, verdict and report.
// The last line printed is one JSON object.
//
// Environment: BENCH_EVAL_ITEMS (200), BENCH_EVAL_LATENCY_MS (250; real models take seconds), BENCH_EVAL_SLOTS (N, 8),
// BENCH_EVAL_JUDGE (1: judge and embeddings on; 0: off), BENCH_EVAL_CONCURRENCY (4N).
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import type { GoldenEvalInput } from '../activities/contract';
import { createEvalActivities } from '../activities/evals';
import type { BehavioralVerdict } from '../evals/metric-judgement';
import { parsePlan } from '../plan/schema';
import { startBenchBackend, type BenchBackend } from './eval-backends';
import { DATASET_200 } from './eval-dataset';

const ITEMS = Number(process.env.BENCH_EVAL_ITEMS ?? 200);
const LATENCY_MS = Number(process.env.BENCH_EVAL_LATENCY_MS ?? 250);
const SLOTS = Number(process.env.BENCH_EVAL_SLOTS ?? 8);
const WITH_JUDGE = (process.env.BENCH_EVAL_JUDGE ?? '1') !== '0';
const CONCURRENCY = Number(process.env.BENCH_EVAL_CONCURRENCY ?? 4 * SLOTS);

interface Run {
  concurrency: number;
  seconds: number;
  heartbeats: number;
  verdict: BehavioralVerdict;
}

async function runOnce(
  backends: { baseline: BenchBackend; candidate: BenchBackend; judge: BenchBackend },
  dataset: string,
  concurrency: number,
): Promise<Run> {
  const { baseline, candidate, judge } = backends;
  const plan = parsePlan({
    rollout: { id: 'bench-eval' },
    backends: {
      baseline: { baseUrl: baseline.url, model: baseline.model },
      candidate: { baseUrl: candidate.url, model: candidate.model },
    },
    approvals: { approvers: ['bench'] },
    stages: {
      goldenEval: {
        enabled: true,
        dataset,
        concurrency,
        requestTimeout: '60s',
        ...(WITH_JUDGE
          ? {
              judge: { baseUrl: judge.url, model: judge.model, concurrency: 16 },
              embeddings: { baseUrl: judge.url, model: judge.model, concurrency: 16 },
            }
          : {}),
      },
    },
  });
  const input: GoldenEvalInput = {
    rolloutId: 'bench-eval',
    stage: 'golden_eval',
    config: plan.stages.goldenEval,
    baseline: plan.backends.baseline,
    candidate: plan.backends.candidate,
    guardrails: plan.guardrails,
  };
  let heartbeats = 0;
  const env = new MockActivityEnvironment(undefined, { logger: new DefaultLogger('WARN') });
  env.on('heartbeat', () => heartbeats++);
  const started = performance.now();
  const verdict = (await env.run(createEvalActivities().runGoldenEval, input)) as BehavioralVerdict;
  return { concurrency, seconds: (performance.now() - started) / 1000, heartbeats, verdict };
}

async function main(): Promise<void> {
  if (!(ITEMS >= 1 && ITEMS <= 200))
    throw new Error(`BENCH_EVAL_ITEMS must be 1–200 (the dataset's size), got ${ITEMS}`);
  const work = await mkdtemp(join(tmpdir(), 'bench-eval-'));
  const previousReports = process.env.ROLLOUT_REPORTS_DIR;
  process.env.ROLLOUT_REPORTS_DIR = join(work, 'reports');
  const started: BenchBackend[] = [];
  try {
    const fixed = { 'latency-median-ms': LATENCY_MS, 'latency-sigma': 0, 'max-concurrency': SLOTS, 'content-seed': 7 };
    const [baseline, candidate, judge] = await Promise.all([
      startBenchBackend({ model: 'sim-bench-baseline', logDir: work, flags: { ...fixed, seed: 11 } }),
      startBenchBackend({ model: 'sim-bench-candidate', logDir: work, flags: { ...fixed, seed: 12 } }),
      startBenchBackend({
        model: 'sim-bench-judge',
        logDir: work,
        flags: { 'latency-median-ms': 0, 'latency-sigma': 0, 'max-concurrency': 1000 },
      }),
    ]);
    started.push(baseline, candidate, judge);
    const lines = (await readFile(DATASET_200, 'utf8')).split('\n').filter((line) => line.trim() !== '');
    const dataset = join(work, 'golden.jsonl');
    await writeFile(dataset, `${lines.slice(0, ITEMS).join('\n')}\n`);
    const warmUp = join(work, 'warm-up.jsonl');
    await writeFile(warmUp, `${lines.slice(0, 4).join('\n')}\n`);

    const limit = SLOTS / (LATENCY_MS / 1000);
    const backends = { baseline, candidate, judge };
    // A worker is a long-lived process: a 4-item eval first loads and compiles the code paths (and
    // opens connections) once, as any earlier activity would have. Then the measured run, then the
    // matched setting for comparison.
    await runOnce(backends, warmUp, CONCURRENCY);
    const run = await runOnce(backends, dataset, CONCURRENCY);
    const matched = await runOnce(backends, dataset, 2 * SLOTS);
    const line = (r: Run) =>
      `  concurrency ${String(r.concurrency).padStart(3)}: ${r.seconds.toFixed(2)} s, ${(ITEMS / r.seconds).toFixed(1)} items/s, efficiency ${(ITEMS / r.seconds / limit).toFixed(3)}, ${r.heartbeats} heartbeats, verdict ${r.verdict.outcome}`;
    console.log(
      `golden eval: ${ITEMS} items × 2 simulated backends (own processes), ${SLOTS} slots each at ${LATENCY_MS} ms fixed latency; judge and embeddings ${WITH_JUDGE ? 'on' : 'off'}`,
    );
    console.log(
      `  limit: 2 × ${SLOTS} / ${LATENCY_MS / 1000} s = ${2 * limit} requests/s = ${limit} items/s (2 requests per item)`,
    );
    console.log(`${line(run)}  (measured)`);
    console.log(`${line(matched)}  (matched: one request per slot, for comparison)`);
    console.log(`  verdict: ${run.verdict.reason}`);
    const itemsPerSecond = ITEMS / run.seconds;
    console.log(
      JSON.stringify({
        items: ITEMS,
        latency_ms: LATENCY_MS,
        slots_per_backend: SLOTS,
        runner_concurrency: run.concurrency,
        judge_and_embeddings: WITH_JUDGE,
        seconds: round(run.seconds, 3),
        matched_concurrency_efficiency: round(ITEMS / matched.seconds / limit, 3),
        items_per_second: round(itemsPerSecond, 2),
        limit_items_per_second: round(limit, 2),
        efficiency: round(itemsPerSecond / limit, 3),
      }),
    );
  } finally {
    if (previousReports === undefined) delete process.env.ROLLOUT_REPORTS_DIR;
    else process.env.ROLLOUT_REPORTS_DIR = previousReports;
    await Promise.all(started.map((backend) => backend.process.stop()));
    await rm(work, { recursive: true, force: true });
  }
}

const round = (value: number, digits: number) => Math.round(value * 10 ** digits) / 10 ** digits;

main().catch((error: unknown) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
  process.exitCode = 1;
});

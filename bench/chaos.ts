// `npm run bench:chaos [-- --injections 100 --concurrency 6 --seed 1 --max-minutes 20]`: many short
// rollouts on a stack of separate processes (dev server on SQLite, worker, gateway with its state
// file, Prometheus, simulated backends, live load), with faults injected at random moments: kill -9
// of the worker, the Temporal server or the gateway (each started again), the gateway or Prometheus
// unreachable for a minute, a candidate backend that hangs, resets connections or answers garbage.
// Moments are aimed: a stage, a gate, a compensation, or within milliseconds of a rollback signal.
// Every rollout is then checked (bench/chaos-checks.ts): it ended, with the right outcome for its
// candidate, nothing left on the candidate after a rollback, and no client request failed that a
// healthy gateway and baseline would have served. The last line is one JSON object.
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { mulberry32 } from '../lib/seeded-random';
import { startSimulatedBackend, type SimulatedBackend } from '../simulator/sim-backend';
import {
  checkRollout,
  INJECTION_KINDS,
  rolledBackByOutage,
  tallyClientErrors,
  type ClientAnswer,
  type RolloutRun,
} from './chaos-checks';
import { ChaosInjector } from './chaos-injector';
import { ChaosRollout } from './chaos-rollouts';
import { sleep, ChaosStack } from './chaos-stack';
import { runBench } from './run-bench';

const { values } = parseArgs({
  options: {
    injections: { type: 'string', default: '100' },
    concurrency: { type: 'string', default: '6' },
    seed: { type: 'string', default: '1' },
    'max-minutes': { type: 'string', default: '20' },
  },
});
const injectionsWanted = Number(values.injections);
const concurrency = Number(values.concurrency);
const seed = Number(values.seed);
const maxMinutes = Number(values['max-minutes']);
if (
  !Number.isInteger(injectionsWanted) ||
  injectionsWanted < 1 ||
  !Number.isInteger(concurrency) ||
  concurrency < 1 ||
  !Number.isInteger(seed) ||
  !(maxMinutes >= 5)
) {
  console.error('usage: npm run bench:chaos -- [--injections N≥1] [--concurrency C≥1] [--seed S] [--max-minutes M≥5]');
  process.exit(1);
}

Runtime.install({ logger: new DefaultLogger('WARN') });

/** What a rollout may take at most, faults included: past it, it counts as stuck. */
const ROLLOUT_DEADLINE_MS = 6 * 60_000;
/** Time kept at the end for the last rollouts to finish (about a minute each, unharmed) and the checks. */
const DRAIN_MS = 3 * 60_000;
const BAD_SHARE = 0.3;

const dir = mkdtempSync(join(tmpdir(), 'llm-rollout-bench-chaos-'));
let stack: ChaosStack | undefined;
let connection: Connection | undefined;
let baseline: SimulatedBackend | undefined;

async function main(): Promise<string> {
  const startedAt = Date.now();
  const injectUntil = startedAt + maxMinutes * 60_000 - DRAIN_MS;
  const random = mulberry32(seed);
  stack = await ChaosStack.start(dir);
  baseline = await startSimulatedBackend({
    model: 'sim-chaos-base',
    behaviour: { latencyMedianMs: 15, latencySigma: 0.15, maxConcurrency: 512, seed },
  });
  connection = await Connection.connect({ address: stack.temporalAddress });
  const client = new Client({ connection, namespace: 'default' });
  console.log(`stack up in ${Date.now() - startedAt} ms (dev server, worker, gateway and Prometheus as processes)`);

  const tag = startedAt.toString(36);
  const running = new Set<ChaosRollout>();
  const runs: Array<Promise<{ rollout: ChaosRollout; run: RolloutRun }>> = [];
  let started = 0;
  let launching = true;
  const launch = () => {
    const rollout = new ChaosRollout(stack!, client, {
      id: `chaos-${tag}-${started}`,
      candidate: random() < BAD_SHARE ? 'bad' : 'good',
      source: started % 2 === 0 ? 'records' : 'prometheus',
      gated: started % 3 === 0,
      baselineUrl: baseline!.url,
      seed: seed * 1_000 + started,
    });
    started++;
    running.add(rollout);
    runs.push(
      rollout.run(Date.now() + ROLLOUT_DEADLINE_MS).then((run) => {
        running.delete(rollout);
        const check = checkRollout(run, []);
        console.log(
          `  rollout ${run.id} (${run.candidate}): ${run.outcome ?? run.status}${check.stuck ? ' (not ended)' : ''}: ${run.reason ?? ''}`,
        );
        if (launching) launch();
        return { rollout, run };
      }),
    );
  };
  for (let i = 0; i < concurrency; i++) launch();

  const injector = new ChaosInjector(
    stack,
    () => [...running],
    random,
    (line) => console.log(line),
  );
  // Paced to land the injections wanted with a fifth of the window to spare: some find no rollout
  // at their moment and are drawn again.
  const meanGapMs = Math.max(1_000, (0.8 * (injectUntil - Date.now())) / injectionsWanted);
  while (injector.injections.length + injector.pending < injectionsWanted && Date.now() < injectUntil) {
    await sleep(meanGapMs * (0.5 + random()));
    await injector.injectOne();
  }
  await injector.settle();
  launching = false;
  console.log(`${injector.injections.length} injections done; waiting for ${running.size} rollouts to end`);
  const finished = await Promise.all(runs);

  const checks = finished.map(({ run }) => checkRollout(run, injector.injections));
  const answers: ClientAnswer[] = finished.flatMap(({ rollout }) => rollout.answers);
  const clientErrors = tallyClientErrors(answers, injector.injections);
  for (const check of checks.filter((c) => c.problems.length > 0))
    console.log(`  PROBLEM ${check.id}: ${check.problems.join('; ')}`);
  for (const answer of clientErrors.attributable.slice(0, 20))
    console.log(
      `  ATTRIBUTABLE client error on ${answer.route}: status ${answer.status} from ${answer.backend ?? 'no backend'} at ${new Date(answer.sentAt).toISOString()}`,
    );

  const count = <T extends string>(items: T[]) =>
    Object.fromEntries([...new Set(items)].sort().map((item) => [item, items.filter((x) => x === item).length]));
  const outcomes = finished.map(({ run }) => run.outcome ?? run.status);
  const secretsLeaked = stack.output().includes(stack.token);
  const summary = {
    injections: injector.injections.length,
    rollouts: finished.length,
    stuck: checks.filter((check) => check.stuck).length,
    wrong_outcome: checks.filter((check) => check.wrongOutcome).length,
    traffic_left_on_candidate: checks.filter((check) => check.trafficLeftOnCandidate).length,
    client_errors_attributable: clientErrors.attributable.length,
    kinds: Object.fromEntries(
      INJECTION_KINDS.map((kind) => [kind, injector.injections.filter((i) => i.kind === kind).length]),
    ),
    moments: count(injector.injections.map((injection) => injection.moment)),
    outcomes: count(outcomes),
    bad_candidates: finished.filter(({ run }) => run.candidate === 'bad').length,
    rolled_back_by_outage: finished.filter(({ run }) => rolledBackByOutage(run, injector.injections)).length,
    client_requests: answers.length,
    client_errors_during_gateway_outage: clientErrors.duringGatewayOutage,
    client_errors_on_candidate: clientErrors.onCandidate,
    secrets_in_process_output: secretsLeaked,
    duration_s: Math.round((Date.now() - startedAt) / 1_000),
    seed,
  };
  console.log('');
  console.log(`injections                   ${summary.injections} (goal ≥ 100): ${JSON.stringify(summary.kinds)}`);
  console.log(`aimed at                     ${JSON.stringify(summary.moments)}`);
  console.log(
    `rollouts                     ${summary.rollouts} (${summary.bad_candidates} with a bad candidate): ${JSON.stringify(summary.outcomes)}`,
  );
  console.log(
    `  of them healthy candidates rolled back because the gateway or Prometheus was out: ${summary.rolled_back_by_outage}`,
  );
  console.log(`stuck                        ${summary.stuck} (goal 0)`);
  console.log(`wrong outcome                ${summary.wrong_outcome} (goal 0)`);
  console.log(`traffic left on candidate    ${summary.traffic_left_on_candidate} (goal 0)`);
  console.log(
    `client errors attributable   ${summary.client_errors_attributable} of ${summary.client_requests} requests (goal 0); ` +
      `${summary.client_errors_during_gateway_outage} while no gateway answered, ${summary.client_errors_on_candidate} on a candidate`,
  );
  console.log(`admin token in any output    ${secretsLeaked ? 'YES' : 'no'}`);
  return JSON.stringify(summary);
}

async function shutdown(): Promise<void> {
  await connection?.close().catch(() => undefined);
  await stack?.stop();
  await baseline?.close();
  rmSync(dir, { recursive: true, force: true });
}

runBench(main, shutdown);

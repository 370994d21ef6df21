// `npm run demo`: three rollouts on the embedded default stack, with simulated GPU backends and
// live load through the gateway.
//   1. support-bot: a healthy candidate, promoted after a release owner approves the cutover
//      (the demo approves from the CLI as `alice`, the way a person would).
//   2. summarizer: a candidate whose simulated GPU node degrades at the 25 % canary step; the
//      judge sees it and the rollout rolls back on its own.
//   3. faq-bot: a silent regression: 200 OK, valid JSON, but it hedges. The golden eval's LLM
//      judge (a simulated one) and hedge rate catch it before it serves anyone, and it rolls back.
// Everything runs on loopback, cleans up after itself and takes a few minutes.
import { execFile } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { Client } from '@temporalio/client';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { formatEvent } from '../cli/format';
import { connectTemporal } from '../client/connection';
import { rolloutHandle, startRollout, watchRollout } from '../client/rollouts';
import type { RouteState } from '../gateway/admin-api';
import { GatewayAdminClient } from '../gateway/admin-client';
import { parsePlan } from '../plan/schema';
import { runLoad } from '../simulator/load-generator';
import { startSimulatedBackend, type SimulatedBackend } from '../simulator/sim-backend';
import { startEmbeddedStack } from '../stack/embedded-stack';
import { statusQuery } from '../workflows/model-rollout';
import type { RolloutResult } from '../workflows/rollout-state';
import { demoPlan } from './demo-plans';
import { exitWhenWritten } from '../lib/output-streams';

const root = fileURLToPath(new URL('..', import.meta.url));
const ROUTES = ['support-bot', 'summarizer', 'faq-bot'];
const say = (line: string) => console.log(`[demo] ${line}`);

async function main(): Promise<number> {
  // The demo prints the rollouts' own timelines; the worker's per-activity log lines would drown them.
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const dir = join(root, '.rollout', `demo-${process.pid}`);
  mkdirSync(dir, { recursive: true });
  const cleanups: Array<() => Promise<void>> = [async () => rmSync(dir, { recursive: true, force: true })];
  const cleanup = async () => {
    for (const undo of cleanups.reverse())
      await undo().catch((error: unknown) => say(`cleanup: ${(error as Error).message}`));
  };
  process.once('SIGINT', () => void cleanup().then(() => process.exit(130)));
  try {
    say('starting the embedded stack: Temporal dev server + Web UI, Prometheus, gateway, rollout worker');
    const stack = await startEmbeddedStack({ dir, log: (line) => say(line) });
    cleanups.push(() => stack.stop());

    say('starting simulated GPU backends (simulators, not real models)');
    const sims: Record<string, SimulatedBackend> = {
      baseline: await startSimulatedBackend({
        model: 'sim-llama-3-8b-v1',
        behaviour: { latencyMedianMs: 120, latencySigma: 0.1, meanCompletionTokens: 120, seed: 11 },
      }),
      healthy: await startSimulatedBackend({
        model: 'sim-llama-3-8b-v2',
        behaviour: { latencyMedianMs: 110, latencySigma: 0.1, meanCompletionTokens: 125, seed: 12 },
      }),
      degrading: await startSimulatedBackend({
        model: 'sim-qwen-7b-exp',
        behaviour: { latencyMedianMs: 115, latencySigma: 0.1, meanCompletionTokens: 118, seed: 13 },
      }),
      // Says what the baseline says (same content seed), wrapped in hedges half the time.
      hedging: await startSimulatedBackend({
        model: 'sim-mistral-7b-hedgy',
        behaviour: {
          latencyMedianMs: 110,
          latencySigma: 0.1,
          meanCompletionTokens: 120,
          seed: 14,
          contentSeed: 11,
          hedgeRate: 0.5,
        },
      }),
      judge: await startSimulatedBackend({
        model: 'sim-judge',
        behaviour: { latencyMedianMs: 20, latencySigma: 0.1, maxConcurrency: 64 },
      }),
    };
    for (const sim of Object.values(sims)) cleanups.push(() => sim.close());
    for (const [role, sim] of Object.entries(sims)) say(`  ${role.padEnd(9)} ${sim.model} at ${sim.url}`);

    // Production routes exist before any rollout: all traffic on the current model.
    const gatewayAdmin = new GatewayAdminClient({ adminUrl: stack.gatewayAdminUrl, token: stack.gatewayAdminToken });
    for (const route of ROUTES) {
      await gatewayAdmin.defineRoute(route, {
        backends: [{ name: 'baseline', baseUrl: sims.baseline!.url, model: sims.baseline!.model }],
      });
    }
    const load = new AbortController();
    // Half the requests ask for JSON and, independently, half stream (as chat UIs do), so schema
    // adherence and time to first token are judged alongside the rest.
    const loadDone = runLoad({
      gatewayUrl: stack.gatewayUrl,
      routes: ROUTES,
      ratePerSecond: 120,
      durationMs: 15 * 60_000,
      users: 500,
      jsonShare: 0.5,
      streamShare: 0.5,
      signal: load.signal,
    });
    cleanups.push(async () => {
      load.abort();
      await loadDone.catch(() => undefined);
    });
    say(
      `load generator: 120 requests/s (half asking for JSON) over 500 users to routes ${ROUTES.join(', ')} via ${stack.gatewayUrl}/v1`,
    );

    const { client, close } = await connectTemporal({
      address: stack.temporalAddress,
      namespace: stack.namespace,
      taskQueue: stack.taskQueue,
      uiUrl: stack.uiUrl,
    });
    cleanups.push(close);
    const healthyPlan = parsePlan(
      demoPlan({
        id: 'support-bot-llama-v2',
        route: 'support-bot',
        baseline: sims.baseline!,
        candidate: sims.healthy!,
        stack,
        gates: ['cutover'],
        goldenDataset: join(root, 'examples/golden/support-bot.jsonl'),
      }),
    );
    const degradingPlan = parsePlan(
      demoPlan({
        id: 'summarizer-qwen-exp',
        route: 'summarizer',
        baseline: sims.baseline!,
        candidate: sims.degrading!,
        stack,
        gates: [],
      }),
    );
    const hedgingPlan = parsePlan(
      demoPlan({
        id: 'faq-bot-mistral-hedgy',
        route: 'faq-bot',
        baseline: sims.baseline!,
        candidate: sims.hedging!,
        stack,
        gates: [],
        goldenDataset: join(root, 'examples/golden/support-bot.jsonl'),
        judge: sims.judge!,
      }),
    );

    say(`Temporal Web UI: ${stack.uiUrl}/namespaces/${stack.namespace}/workflows`);
    const outcomes = await Promise.all([
      follow(client, healthyPlan, stack.taskQueue, async (status) => {
        if (status.gate && !status.gate.decision) {
          say(`support-bot-llama-v2 waits for approval before ${status.gate.before}; alice approves from the CLI:`);
          say(`  $ rollout approve support-bot-llama-v2 --as alice --reason "dashboards look good"`);
          const { stdout } = await promisify(execFile)(
            process.execPath,
            [
              join(root, 'bin/rollout.mjs'),
              'approve',
              'support-bot-llama-v2',
              '--as',
              'alice',
              '--reason',
              'dashboards look good',
            ],
            {
              env: { ...process.env, TEMPORAL_ADDRESS: stack.temporalAddress, TEMPORAL_NAMESPACE: stack.namespace },
            },
          );
          say(`  ${stdout.trim()}`);
        }
      }),
      follow(client, degradingPlan, stack.taskQueue, async (status) => {
        if (status.stage === 'canary-2' && sims.degrading!.behaviour().errorRate === 0) {
          say('summarizer-qwen-exp is at 25%: its simulated GPU node now degrades (20% errors, 3x latency)');
          sims.degrading!.setBehaviour({ errorRate: 0.2, latencyMedianMs: 350 });
        }
      }),
      follow(client, hedgingPlan, stack.taskQueue, async () => {}),
    ]);

    const routes = await Promise.all(
      ROUTES.map(async (route) => {
        const state = await gatewayAdmin.getRoute(route);
        if (!state) throw new Error(`gateway route ${route} is gone`);
        return state;
      }),
    );
    say('');
    say('results');
    for (const result of outcomes)
      say(`  ${result.rolloutId.padEnd(22)} ${result.outcome.toUpperCase().padEnd(12)} ${result.reason}`);
    for (const route of routes) {
      const backends = route.backends
        .map((backend) => `${backend.name}=${backend.model}@${route.weights[backend.name]}%`)
        .join(' ');
      say(`  gateway route ${route.route.padEnd(12)} ${backends}; shadow ${route.shadow.enabled ? 'on' : 'off'}`);
    }
    for (const result of outcomes) if (result.report) say(`  ${result.rolloutId}'s rollout report: ${result.report}`);
    const goldenReport = outcomes[2]!.verdicts.find((verdict) => verdict.stage === 'golden_eval')?.report;
    if (goldenReport) say(`  faq-bot's golden eval report: ${goldenReport}`);
    const expected =
      outcomes[0]!.outcome === 'promoted' &&
      outcomes[1]!.outcome === 'rolled_back' &&
      outcomes[2]!.outcome === 'rolled_back' &&
      outcomes[2]!.reason.startsWith('golden eval');
    const atBaseline = (route: RouteState) => route.weights.baseline === 100 && !route.shadow.enabled;
    const trafficRight =
      routes[0]!.backends.length === 1 &&
      routes[0]!.backends[0]!.model === sims.healthy!.model &&
      atBaseline(routes[1]!) &&
      atBaseline(routes[2]!);
    say(
      expected && trafficRight
        ? 'demo finished as expected: one promotion, one automatic rollback on live metrics, one on behaviour'
        : 'demo did NOT end as expected',
    );
    return expected && trafficRight ? 0 : 1;
  } finally {
    say('cleaning up');
    await cleanup();
  }
}

/** Starts a rollout and prints its timeline; `onStatus` lets the demo act like a person would. */
async function follow(
  client: Client,
  plan: ReturnType<typeof parsePlan>,
  taskQueue: string,
  onStatus: (status: Awaited<ReturnType<typeof queryStatus>>) => Promise<void>,
): Promise<RolloutResult> {
  const handle = await startRollout(client, plan, { taskQueue, requestedBy: 'demo-release-bot' });
  say(`started ${plan.rollout.id}: ${plan.backends.baseline.model} → ${plan.backends.candidate.model}`);
  let acting = false;
  const actor = setInterval(() => {
    if (acting) return;
    acting = true;
    queryStatus(client, plan.rollout.id)
      .then(onStatus)
      .catch(() => undefined)
      .finally(() => (acting = false));
  }, 1_000);
  try {
    return await watchRollout(handle, (event) => console.log(`  ${plan.rollout.id.padEnd(22)} ${formatEvent(event)}`));
  } finally {
    clearInterval(actor);
  }
}

function queryStatus(client: Client, id: string) {
  return rolloutHandle(client, id).query(statusQuery);
}

main().then(
  (code) => exitWhenWritten(code),
  (error: unknown) => {
    console.error(error);
    return exitWhenWritten(1);
  },
);

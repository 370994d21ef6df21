// Whole rollouts on real HAProxy, judged from real Prometheus: the Temporal dev server, a worker
// running the real activities, two HAProxy processes (one per rollout) with their built-in
// exporters in front of simulated backends exporting vLLM series, live load through HAProxy. A
// healthy candidate is promoted on pass verdicts; one that starts failing at the second canary
// step is rolled back by the series judge, with the traffic back on the baseline.
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createActivities } from '../../activities';
import { haproxyCommand } from '../../activities/traffic/haproxy-router';
import type { RolloutPlanInput } from '../../plan/schema';
import { startSimulatedBackend, type SimulatedBackend } from '../../simulator/sim-backend';
import { startHaproxy, type RunningHaproxy } from '../../stack/haproxy';
import { startPrometheus, type RunningPrometheus } from '../../stack/prometheus';
import { watchRollout } from '../../client/rollouts';
import { ModelRolloutWorkflow, statusQuery } from '../../workflows/model-rollout';
import { chatLoad, expectPromotedOnSeriesPasses } from '../support/series-judged-rollout';
import { createDevServerEnv, workflowBundle } from '../support/temporal';

const taskQueue = 'haproxy-e2e';
const dir = mkdtempSync(join(tmpdir(), 'he-'));
let env: TestWorkflowEnvironment;
let worker: Worker;
let running: Promise<void>;
let prometheus: RunningPrometheus;
const sims: Record<string, SimulatedBackend> = {};
const proxies: Record<string, RunningHaproxy> = {};
const stopLoad = new AbortController();
let loadDone: Promise<unknown>;

// Each HAProxy names its backend differently: Prometheus sees both exporters, and equal
// proxy/server names would select both (a plan would then add `instance` to its labels).
const backendOf = (key: string) => `llm_${key}`;

function plan(
  id: string,
  haproxy: RunningHaproxy,
  key: string,
  baseline: SimulatedBackend,
  candidate: SimulatedBackend,
): RolloutPlanInput {
  return {
    rollout: { id, requestedBy: 'carol' },
    backends: {
      baseline: { baseUrl: baseline.url, model: baseline.model },
      candidate: { baseUrl: candidate.url, model: candidate.model },
    },
    router: {
      kind: 'haproxy',
      statsSocket: haproxy.statsSocket,
      haproxyBackend: backendOf(key),
      baselineServer: 'current',
      candidateServer: 'next',
    },
    prometheus: { url: prometheus.url },
    metrics: { source: 'prometheus', traffic: 'haproxy', latency: 'vllm', referenceLookback: '1m' },
    stages: {
      shadow: { enabled: false },
      canary: {
        checkInterval: '2s',
        steps: [
          { weight: 25, window: '10s' },
          { weight: 50, window: '10s' },
        ],
      },
      // HAProxy cannot mirror: the bake has no live baseline and ends inconclusive; the plan's
      // approval timeout signs it off (no human in this test).
      cutover: { bake: '4s' },
    },
    approvals: { requiredBefore: [], approvers: ['alice'], timeout: '2s', onTimeout: 'approve' },
    guardrails: { minRequests: 40, onInconclusive: 'ask' },
  };
}

beforeAll(async () => {
  const behaviour = { latencyMedianMs: 20, latencySigma: 0.3, maxConcurrency: 100 };
  const names = ['base-a', 'healthy', 'base-b', 'flaky'];
  for (const [i, name] of names.entries())
    sims[name] = await startSimulatedBackend({ model: `sim-he-${name}`, behaviour: { ...behaviour, seed: i + 1 } });
  for (const [key, baseline, candidate] of [
    ['a', 'base-a', 'healthy'],
    ['b', 'base-b', 'flaky'],
  ] as const) {
    proxies[key] = await startHaproxy({
      dataDir: join(dir, key),
      logDir: join(dir, 'logs', key),
      backendName: backendOf(key),
      servers: [
        { name: 'current', host: '127.0.0.1', port: sims[baseline]!.port, weight: 100 },
        { name: 'next', host: '127.0.0.1', port: sims[candidate]!.port, weight: 0 },
      ],
    });
  }
  prometheus = await startPrometheus({
    dataDir: join(dir, 'prom'),
    logDir: join(dir, 'logs'),
    scrapeIntervalSeconds: 1,
    targets: [
      ...Object.values(proxies).map((haproxy) => ({ job: 'haproxy', target: haproxy.metricsTarget })),
      ...Object.values(sims).map((sim) => ({ job: 'vllm', target: `127.0.0.1:${sim.port}` })),
    ],
  });
  env = await createDevServerEnv();
  worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowBundle: await workflowBundle(),
    activities: createActivities({ slack: false }),
  });
  running = worker.run();
  // Debian's Prometheus applies new targets on its ~5 s discovery tick; then the baselines serve
  // alone for a while, which is where the latency reference comes from.
  await prometheus.waitForTargetsUp(['haproxy', 'vllm'], 30_000);
  loadDone = Promise.all(Object.values(proxies).map((haproxy) => chatLoad(haproxy.url, 4, stopLoad.signal)));
  await new Promise((resolve) => setTimeout(resolve, 6_000));
}, 120_000);

afterAll(async () => {
  stopLoad.abort();
  await loadDone?.catch(() => undefined);
  worker?.shutdown();
  await running;
  await env?.teardown();
  await prometheus?.stop();
  for (const haproxy of Object.values(proxies)) await haproxy.stop();
  for (const sim of Object.values(sims)) await sim.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('rollouts on real HAProxy, judged from Prometheus series', () => {
  it('promotes a healthy candidate on pass verdicts and rolls back one that starts failing', async () => {
    const healthy = await env.client.workflow.start(ModelRolloutWorkflow, {
      taskQueue,
      workflowId: 'he-healthy',
      args: [{ plan: plan('he-healthy', proxies.a!, 'a', sims['base-a']!, sims.healthy!) }],
    });
    const flaky = await env.client.workflow.start(ModelRolloutWorkflow, {
      taskQueue,
      workflowId: 'he-flaky',
      args: [{ plan: plan('he-flaky', proxies.b!, 'b', sims['base-b']!, sims.flaky!) }],
    });

    // The flaky candidate is fine at 25 % and starts failing a fifth of its requests at 50 %.
    for (let i = 0; i < 240 && (await flaky.query(statusQuery)).stage !== 'canary-2'; i++)
      await new Promise((resolve) => setTimeout(resolve, 250));
    expect((await flaky.query(statusQuery)).stage).toBe('canary-2');
    sims.flaky!.setBehaviour({ errorRate: 0.2 });

    const flakyResult = await watchRollout(flaky, () => undefined);
    expect(flakyResult.outcome, flakyResult.reason).toBe('rolled_back');
    expect(flakyResult.reason).toMatch(/^canary-2: critical regression: errorRate up/);
    expect(flakyResult.stages.map((stage) => [stage.id, stage.status, stage.verdict])).toEqual([
      ['canary-1', 'passed', 'pass'],
      ['canary-2', 'failed', undefined],
      ['cutover', 'pending', undefined],
    ]);
    expect(await haproxyCommand(proxies.b!.statsSocket, `get weight ${backendOf('b')}/next`)).toMatch(/^0 /);
    expect(await haproxyCommand(proxies.b!.statsSocket, `get weight ${backendOf('b')}/current`)).toMatch(/^100 /);

    expectPromotedOnSeriesPasses(await watchRollout(healthy, () => undefined), 40);
    // Retired: HAProxy's baseline server in maintenance, the candidate serving.
    expect(await haproxyCommand(proxies.a!.statsSocket, `get weight ${backendOf('a')}/current`)).toMatch(/^0 /);
  }, 180_000);
});

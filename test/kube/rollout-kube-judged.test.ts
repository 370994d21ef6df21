// Rollouts on the Gateway API and Istio routers judged from the series those layers export, end to
// end: ModelRolloutWorkflow on the Temporal dev server, the real activities, the real API server
// holding the HTTPRoute and the VirtualService, the real Prometheus scraping every second, and
// live load. No Envoy or Istio proxy runs here, so a SIMULATED mesh data plane
// (test/support/mesh-data-plane-simulator.ts) reads each route object back from the API server,
// sends the load by its weights to simulated model servers, and exports Envoy's or Istio's own
// series for it. The rollout moves the weights on the API server; the judge sees the traffic that
// move sent.
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createActivities } from '../../activities';
import { watchRollout } from '../../client/rollouts';
import type { RolloutPlanInput } from '../../plan/schema';
import { startSimulatedBackend, type SimulatedBackend } from '../../simulator/sim-backend';
import { startPrometheus, type RunningPrometheus } from '../../stack/prometheus';
import { ModelRolloutWorkflow, statusQuery } from '../../workflows/model-rollout';
import { startKubeCluster, type KubeCluster } from '../support/kube-cluster';
import {
  createManagedHttpRoute,
  createManagedVirtualService,
  HTTP_ROUTES,
  VIRTUAL_SERVICES,
  type HttpRouteObject,
  type VirtualServiceObject,
} from '../support/kube-route-objects';
import { startMeshDataPlaneSimulator, type MeshDataPlane } from '../support/mesh-data-plane-simulator';
import { eventually } from '../support/eventually';
import { chatLoad, expectPromotedOnSeriesPasses } from '../support/series-judged-rollout';
import { createDevServerEnv, workflowBundle } from '../support/temporal';

const taskQueue = 'kube-judged';
const NS = 'llm';
const dir = mkdtempSync(join(tmpdir(), 'kj-'));

let cluster: KubeCluster;
let env: TestWorkflowEnvironment;
let worker: Worker;
let running: Promise<void>;
let prometheus: RunningPrometheus;
const sims: Record<string, SimulatedBackend> = {};
const meshes: Record<'envoy' | 'istio', MeshDataPlane> = {} as Record<'envoy' | 'istio', MeshDataPlane>;
const stopLoad = new AbortController();
let loadDone: Promise<unknown>;

const origin = (sim: SimulatedBackend) => `http://127.0.0.1:${sim.port}`;

const httpRoute = async () =>
  (await cluster.objects.getNamespacedCustomObject({
    ...HTTP_ROUTES,
    namespace: NS,
    name: 'judged-chat',
  })) as HttpRouteObject;
const virtualService = async () =>
  (await cluster.objects.getNamespacedCustomObject({
    ...VIRTUAL_SERVICES,
    namespace: NS,
    name: 'judged-vllm',
  })) as VirtualServiceObject;

beforeAll(async () => {
  cluster = await startKubeCluster(join(dir, 'cluster'));
  await createManagedHttpRoute(cluster.objects, { namespace: NS, name: 'judged-chat', baseline: 'llama-a' });
  await createManagedVirtualService(cluster.objects, {
    namespace: NS,
    name: 'judged-vllm',
    host: 'vllm.llm.svc.cluster.local',
    weights: { v1: 100 },
  });

  const behaviour = { latencyMedianMs: 20, latencySigma: 0.3, maxConcurrency: 100 };
  for (const [i, name] of ['llama-a', 'llama-b', 'vllm-v1', 'vllm-v2'].entries())
    sims[name] = await startSimulatedBackend({ model: `sim-kj-${name}`, behaviour: { ...behaviour, seed: i + 1 } });
  meshes.envoy = await startMeshDataPlaneSimulator({
    dialect: 'envoy',
    readDestinations: async () =>
      (await httpRoute()).spec.rules[0]!.backendRefs.map((ref) => ({ label: ref.name, weight: ref.weight ?? 1 })),
    upstreams: { 'llama-a': origin(sims['llama-a']!), 'llama-b': origin(sims['llama-b']!) },
  });
  meshes.istio = await startMeshDataPlaneSimulator({
    dialect: 'istio',
    readDestinations: async () =>
      (await virtualService()).spec.http[0]!.route.map((entry) => ({
        label: entry.destination.subset,
        weight: entry.weight ?? 100,
      })),
    upstreams: { v1: origin(sims['vllm-v1']!), v2: origin(sims['vllm-v2']!) },
  });
  prometheus = await startPrometheus({
    dataDir: join(dir, 'prom'),
    logDir: join(dir, 'logs'),
    scrapeIntervalSeconds: 1,
    targets: [
      { job: 'envoy', target: meshes.envoy.metricsTarget },
      { job: 'istio', target: meshes.istio.metricsTarget },
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
  await prometheus.waitForTargetsUp(['envoy', 'istio'], 30_000);
  loadDone = Promise.all([
    chatLoad(meshes.envoy.url, 3, stopLoad.signal),
    chatLoad(meshes.istio.url, 3, stopLoad.signal),
  ]);
  await new Promise((resolve) => setTimeout(resolve, 6_000));
}, 240_000);

afterAll(async () => {
  stopLoad.abort();
  await loadDone?.catch(() => undefined);
  worker?.shutdown();
  await running;
  await env?.teardown();
  await prometheus?.stop();
  for (const mesh of Object.values(meshes)) await mesh.close();
  for (const sim of Object.values(sims)) await sim.close();
  await cluster?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** Series labels per arm, for requests and for latency alike. */
const arm = (labels: Record<string, string>) => ({ traffic: labels, latency: labels });

function plan(
  id: string,
  router: Record<string, unknown>,
  metrics: RolloutPlanInput['metrics'],
  baseline: SimulatedBackend,
  candidate: SimulatedBackend,
): RolloutPlanInput {
  return {
    rollout: { id, requestedBy: 'carol' },
    backends: {
      baseline: { baseUrl: baseline.url, model: baseline.model },
      candidate: { baseUrl: candidate.url, model: candidate.model },
    },
    router: { ...router, namespace: NS, kubeconfig: cluster.kubeconfig } as RolloutPlanInput['router'],
    prometheus: { url: prometheus.url },
    metrics,
    stages: {
      shadow: { enabled: false },
      canary: {
        checkInterval: '2s',
        steps: [
          { weight: 25, window: '10s' },
          { weight: 50, window: '10s' },
        ],
      },
      // No proxy mirrors here: the bake has no live baseline and ends inconclusive; the plan's
      // approval timeout signs it off (no human in this test).
      cutover: { bake: '4s', revertWindow: '0s' },
    },
    approvals: { requiredBefore: [], approvers: ['alice'], timeout: '2s', onTimeout: 'approve' },
    guardrails: { minRequests: 40, onInconclusive: 'ask' },
  };
}

describe('rollouts on Kubernetes route objects, judged from the mesh series', () => {
  it('promotes a healthy candidate on an HTTPRoute from Envoy series, and rolls back one failing on a VirtualService from Istio series', async () => {
    const healthy = await env.client.workflow.start(ModelRolloutWorkflow, {
      taskQueue,
      workflowId: 'kj-envoy-healthy',
      args: [
        {
          plan: plan(
            'kj-envoy-healthy',
            {
              kind: 'gateway-api',
              httpRoute: 'judged-chat',
              baseline: { name: 'llama-a', port: 8000 },
              candidate: { name: 'llama-b', port: 8000 },
            },
            {
              source: 'prometheus',
              traffic: 'envoy',
              baseline: arm({ envoy_cluster_name: 'llama-a' }),
              candidate: arm({ envoy_cluster_name: 'llama-b' }),
              referenceLookback: '1m',
            },
            sims['llama-a']!,
            sims['llama-b']!,
          ),
        },
      ],
    });
    const flaky = await env.client.workflow.start(ModelRolloutWorkflow, {
      taskQueue,
      workflowId: 'kj-istio-flaky',
      args: [
        {
          plan: plan(
            'kj-istio-flaky',
            {
              kind: 'istio',
              virtualService: 'judged-vllm',
              destinationRule: 'judged-vllm',
              baselineSubset: 'v1',
              candidateSubset: 'v2',
            },
            {
              source: 'prometheus',
              traffic: 'istio',
              baseline: arm({ destination_version: 'v1' }),
              candidate: arm({ destination_version: 'v2' }),
              referenceLookback: '1m',
            },
            sims['vllm-v1']!,
            sims['vllm-v2']!,
          ),
        },
      ],
    });

    // The Istio candidate is fine at 25 % and starts failing a fifth of its requests at 50 %.
    for (let i = 0; i < 240 && (await flaky.query(statusQuery)).stage !== 'canary-2'; i++)
      await new Promise((resolve) => setTimeout(resolve, 250));
    expect((await flaky.query(statusQuery)).stage).toBe('canary-2');
    // The mesh sends the candidate its share once it reads the VirtualService the step changed.
    await eventually(
      'the mesh at 50 % on v2',
      async () => meshes.istio.destinations().find((destination) => destination.label === 'v2')?.weight === 50,
      5_000,
    );
    sims['vllm-v2']!.setBehaviour({ errorRate: 0.2 });

    const flakyResult = await watchRollout(flaky, () => undefined);
    expect(flakyResult.outcome, flakyResult.reason).toBe('rolled_back');
    expect(flakyResult.reason).toMatch(/^canary-2: critical regression: errorRate up/);
    expect(flakyResult.stages.map((stage) => [stage.id, stage.status, stage.verdict])).toEqual([
      ['canary-1', 'passed', 'pass'],
      ['canary-2', 'failed', undefined],
      ['cutover', 'pending', undefined],
    ]);
    expect(
      (await virtualService()).spec.http[0]!.route.map((entry) => [entry.destination.subset, entry.weight]),
    ).toEqual([
      ['v1', 100],
      ['v2', 0],
    ]);

    expectPromotedOnSeriesPasses(await watchRollout(healthy, () => undefined), 40);
    expect((await httpRoute()).spec.rules[0]!.backendRefs.map((ref) => [ref.name, ref.weight])).toEqual([
      ['llama-a', 0],
      ['llama-b', 100],
    ]);
    expect(meshes.envoy.destinations()).toEqual([
      { label: 'llama-a', weight: 0 },
      { label: 'llama-b', weight: 100 },
    ]);
  }, 240_000);
});

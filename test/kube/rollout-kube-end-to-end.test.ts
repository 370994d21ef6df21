// Whole rollouts on the Gateway API and Istio routers: ModelRolloutWorkflow on the Temporal dev
// server, a worker running the real activities, the real API server (test/support/kube-cluster.ts)
// holding the HTTPRoute and the VirtualService, and a real Prometheus. No data plane acts on those
// objects, so no traffic reaches any series: every window is inconclusive and goes to a person
// (guardrails.onInconclusive: ask), whom the test plays. The route objects are read back at each
// stage, after the promotion and after the rejection's rollback.
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createActivities } from '../../activities';
import type { RolloutPlanInput } from '../../plan/schema';
import { startPrometheus, type RunningPrometheus } from '../../stack/prometheus';
import { ModelRolloutWorkflow, statusQuery } from '../../workflows/model-rollout';
import { createDevServerEnv, workflowBundle } from '../support/temporal';
import { startKubeCluster, type KubeCluster } from '../support/kube-cluster';
import {
  createManagedHttpRoute,
  createManagedVirtualService,
  HTTP_ROUTES,
  VIRTUAL_SERVICES,
  type HttpRouteObject,
  type VirtualServiceObject,
} from '../support/kube-route-objects';

const taskQueue = 'kube-e2e';
const NS = 'llm';
const dir = mkdtempSync(join(tmpdir(), 'ke-'));
let cluster: KubeCluster;
let env: TestWorkflowEnvironment;
let worker: Worker;
let running: Promise<void>;
let prometheus: RunningPrometheus;

beforeAll(async () => {
  cluster = await startKubeCluster(join(dir, 'cluster'));
  await createManagedHttpRoute(cluster.objects, { namespace: NS, name: 'chat', baseline: 'llama-v1' });
  await createManagedVirtualService(cluster.objects, {
    namespace: NS,
    name: 'vllm',
    host: 'vllm.llm.svc.cluster.local',
    weights: { v1: 100, v2: 0 },
  });
  prometheus = await startPrometheus({ dataDir: join(dir, 'prom'), logDir: join(dir, 'logs'), targets: [] });
  env = await createDevServerEnv();
  worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowBundle: await workflowBundle(),
    activities: createActivities({ slack: false }),
  });
  running = worker.run();
}, 180_000);

afterAll(async () => {
  worker?.shutdown();
  await running;
  await env?.teardown();
  await prometheus?.stop();
  await cluster?.stop();
  rmSync(dir, { recursive: true, force: true });
});

function plan(id: string, router: Record<string, unknown>, shadow: boolean): RolloutPlanInput {
  return {
    rollout: { id, requestedBy: 'carol' },
    backends: {
      baseline: { baseUrl: 'http://127.0.0.1:9/v1', model: 'llama-v1' },
      candidate: { baseUrl: 'http://127.0.0.1:9/v1', model: 'llama-v2' },
    },
    router: { ...router, kubeconfig: cluster.kubeconfig } as RolloutPlanInput['router'],
    prometheus: { url: prometheus.url },
    metrics: {
      source: 'prometheus',
      traffic: 'istio',
      latency: 'vllm',
      baseline: { traffic: { destination_version: 'v1' } },
      candidate: { traffic: { destination_version: 'v2' } },
      referenceLookback: '1m',
    },
    stages: {
      shadow: shadow ? { enabled: true, share: 0.5, window: '2s' } : { enabled: false },
      canary: { checkInterval: '1s', steps: [{ weight: 25, window: '2s' }] },
      // No revert window: the workflow ends at promotion.
      cutover: { bake: '2s', revertWindow: '0s' },
    },
    approvals: { requiredBefore: [], approvers: ['alice'], timeout: '5m' },
    guardrails: { onInconclusive: 'ask' },
  };
}

type Handle = Awaited<ReturnType<TestWorkflowEnvironment['client']['workflow']['start']>>;

/** Waits for the rollout's next open gate (or its end); returns the gate's stage, or null once finished. */
async function nextGate(handle: Handle, after: string | null): Promise<string | null> {
  for (let i = 0; i < 400; i++) {
    const status = await handle.query(statusQuery);
    if (status.phase === 'promoted' || status.phase === 'finished') return null;
    if (status.gate && status.gate.id !== after) return status.gate.id;
    await new Promise((resolve) => setTimeout(resolve, 150));
  }
  throw new Error(`no gate or end: ${JSON.stringify((await handle.query(statusQuery)).stage)}`);
}

const httpRoute = async () =>
  (await cluster.objects.getNamespacedCustomObject({ ...HTTP_ROUTES, namespace: NS, name: 'chat' })) as HttpRouteObject;
const virtualService = async () =>
  (await cluster.objects.getNamespacedCustomObject({
    ...VIRTUAL_SERVICES,
    namespace: NS,
    name: 'vllm',
  })) as VirtualServiceObject;

describe('rollouts on Kubernetes route objects', () => {
  it('promotes on a Gateway API HTTPRoute and rolls back on an Istio VirtualService', async () => {
    const onGatewayApi = await env.client.workflow.start(ModelRolloutWorkflow, {
      taskQueue,
      workflowId: 'ke-gateway-api',
      args: [
        {
          plan: plan(
            'ke-gateway-api',
            {
              kind: 'gateway-api',
              namespace: NS,
              httpRoute: 'chat',
              baseline: { name: 'llama-v1', port: 8000 },
              candidate: { name: 'llama-v2', port: 8000 },
            },
            true,
          ),
        },
      ],
    });
    const onIstio = await env.client.workflow.start(ModelRolloutWorkflow, {
      taskQueue,
      workflowId: 'ke-istio',
      args: [
        {
          plan: plan(
            'ke-istio',
            {
              kind: 'istio',
              namespace: NS,
              virtualService: 'vllm',
              destinationRule: 'vllm',
              baselineSubset: 'v1',
              candidateSubset: 'v2',
            },
            false,
          ),
        },
      ],
    });

    // Gateway API: each inconclusive window asks; the route is read back while the gate is open.
    const seen: Array<[string, unknown, number]> = [];
    let gate: string | null = null;
    while ((gate = await nextGate(onGatewayApi, gate))) {
      const status = await onGatewayApi.query(statusQuery);
      const rule = (await httpRoute()).spec.rules[0]!;
      seen.push([
        status.gate!.before,
        rule.backendRefs.map((ref) => [ref.name, ref.weight]),
        rule.filters?.length ?? 0,
      ]);
      await onGatewayApi.executeUpdate('approve', { args: [{ by: 'alice', reason: 'no data plane here' }] });
    }
    const promoted = await onGatewayApi.result();
    expect(promoted.outcome, promoted.reason).toBe('promoted');
    // Stage by stage, what the HTTPRoute held while each gate waited: the shadow soak's mirror to
    // the candidate, 25 % at the canary step, and all traffic on the candidate during the bake
    // with the baseline kept warm by a mirror.
    expect(seen).toEqual([
      [
        'canary-1',
        [
          ['llama-v1', 100],
          ['llama-v2', 0],
        ],
        1,
      ],
      [
        'cutover',
        [
          ['llama-v1', 75],
          ['llama-v2', 25],
        ],
        0,
      ],
      [
        'retire',
        [
          ['llama-v1', 0],
          ['llama-v2', 100],
        ],
        1,
      ],
    ]);
    expect((await httpRoute()).spec.rules[0]!.backendRefs.map((ref) => [ref.name, ref.weight])).toEqual([
      ['llama-v1', 0],
      ['llama-v2', 100],
    ]);
    expect((await httpRoute()).spec.rules[0]!.filters).toBeUndefined();

    // Istio: the canary step runs at 25 %, then a person rejects; compensation puts it all back.
    let istioGate: string | null = null;
    for (;;) {
      istioGate = await nextGate(onIstio, istioGate);
      expect(istioGate).not.toBeNull();
      const status = await onIstio.query(statusQuery);
      if (status.gate!.before === 'cutover') break;
      await onIstio.executeUpdate('approve', { args: [{ by: 'alice', reason: 'go on' }] });
    }
    expect(
      (await virtualService()).spec.http[0]!.route.map((entry) => [entry.destination.subset, entry.weight]),
    ).toEqual([
      ['v1', 75],
      ['v2', 25],
    ]);
    await onIstio.executeUpdate('reject', { args: [{ by: 'alice', reason: 'longer answers' }] });
    const rejected = await onIstio.result();
    // A rejection ends the rollout aborted, with its traffic back on the baseline.
    expect(rejected.outcome).toBe('aborted');
    const restored = (await virtualService()).spec.http[0]!;
    expect(restored.route.map((entry) => [entry.destination.subset, entry.weight])).toEqual([
      ['v1', 100],
      ['v2', 0],
    ]);
    expect(restored.mirror).toBeUndefined();
  }, 180_000);
});

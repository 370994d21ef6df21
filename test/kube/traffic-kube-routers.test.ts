// The Gateway API and Istio routers against a real Kubernetes API server (etcd and the
// apiextensions API server, with the official HTTPRoute, VirtualService and DestinationRule CRDs):
// each operation read back from the API server, the refusals (a route not handed over, one changed
// under the rollout, a missing rule or backend, a write the CRD's schema rejects) and compensation.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultRouterFactory } from '../../activities/traffic';
import { APPLIED_ANNOTATION, MANAGED_ANNOTATION } from '../../activities/traffic/kube-route-router';
import { restoreBaseline } from '../../activities/traffic/reconcile';
import { reinstateBaseline } from '../../activities/traffic/reinstate';
import type { ResolvedBackend } from '../../activities/traffic/traffic-router';
import { gatewayApiRouterSchema, istioRouterSchema } from '../../plan/kube-router-schema';
import { FailureType } from '../../workflows/failure-types';
import { startKubeCluster, type KubeCluster } from '../support/kube-cluster';

const dir = mkdtempSync(join(tmpdir(), 'kube-'));
let cluster: KubeCluster;
const NS = 'llm';
const backend: ResolvedBackend = { baseUrl: 'http://unused.invalid', model: 'unused' };
const backends = () => ({ baseline: backend, candidate: backend });

const HTTP_ROUTES = { group: 'gateway.networking.k8s.io', version: 'v1', namespace: NS, plural: 'httproutes' };
const VIRTUAL_SERVICES = { group: 'networking.istio.io', version: 'v1', namespace: NS, plural: 'virtualservices' };
const DESTINATION_RULES = { group: 'networking.istio.io', version: 'v1', namespace: NS, plural: 'destinationrules' };

interface Obj {
  metadata: { annotations?: Record<string, string> };
  spec: {
    rules: Array<{ backendRefs: Array<{ name: string; weight?: number }>; filters?: Array<Record<string, unknown>> }>;
    http: Array<{
      route: Array<{ destination: { subset: string }; weight?: number }>;
      mirror?: { subset: string };
      mirrorPercentage?: { value: number };
    }>;
  };
}

beforeAll(async () => {
  cluster = await startKubeCluster(join(dir, 'cluster'));
  await cluster.objects.createNamespacedCustomObject({
    ...DESTINATION_RULES,
    body: {
      apiVersion: 'networking.istio.io/v1',
      kind: 'DestinationRule',
      metadata: { name: 'vllm', namespace: NS },
      spec: {
        host: 'vllm.llm.svc.cluster.local',
        subsets: [
          { name: 'v1', labels: { version: 'v1' } },
          { name: 'v2', labels: { version: 'v2' } },
        ],
      },
    },
  });
}, 120_000);

afterAll(async () => {
  await cluster?.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function createHttpRoute(name: string, options: { managed?: boolean; rules?: unknown[] } = {}): Promise<void> {
  await cluster.objects.createNamespacedCustomObject({
    ...HTTP_ROUTES,
    body: {
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'HTTPRoute',
      metadata: {
        name,
        namespace: NS,
        ...(options.managed !== false && { annotations: { [MANAGED_ANNOTATION]: 'true' } }),
      },
      spec: {
        parentRefs: [{ name: 'inference-gateway' }],
        rules: options.rules ?? [
          { name: 'chat', backendRefs: [{ kind: 'Service', name: 'llama-v1', port: 8000, weight: 1 }] },
        ],
      },
    },
  });
}

const readHttpRoute = async (name: string) =>
  (await cluster.objects.getNamespacedCustomObject({ ...HTTP_ROUTES, name })) as Obj;

function gatewayApiRouter(httpRoute: string, overrides: Record<string, unknown> = {}) {
  const config = gatewayApiRouterSchema.parse({
    kind: 'gateway-api',
    namespace: NS,
    httpRoute,
    rule: 'chat',
    baseline: { name: 'llama-v1', port: 8000 },
    candidate: { name: 'llama-v2', port: 8000 },
    kubeconfig: cluster.kubeconfig,
    context: 'test',
    ...overrides,
  });
  return defaultRouterFactory(config, `${NS}/${httpRoute}`);
}

const weightsOf = (route: Obj) => route.spec.rules[0]!.backendRefs.map((ref) => [ref.name, ref.weight]);

describe('gateway-api router on a real API server', () => {
  it('adds the candidate, moves weights, mirrors with percent and fraction, retires and compensates', async () => {
    await createHttpRoute('chat');
    const router = gatewayApiRouter('chat');

    expect(await router.read()).toEqual({
      weights: { baseline: 100, candidate: 0 },
      shadow: { enabled: false, target: null, share: 0 },
      backends: ['baseline'],
    });
    expect((await router.defineBackends(backend, backend)).backends).toEqual(['baseline', 'candidate']);
    expect(weightsOf(await readHttpRoute('chat'))).toEqual([
      ['llama-v1', 1],
      ['llama-v2', 0],
    ]);

    expect((await router.setWeights({ baseline: 75, candidate: 25 })).weights).toEqual({ baseline: 75, candidate: 25 });
    expect(weightsOf(await readHttpRoute('chat'))).toEqual([
      ['llama-v1', 75],
      ['llama-v2', 25],
    ]);

    await router.setShadow({ enabled: true, target: 'candidate', share: 0.1 });
    expect((await readHttpRoute('chat')).spec.rules[0]!.filters).toEqual([
      {
        type: 'RequestMirror',
        requestMirror: { backendRef: { group: '', kind: 'Service', name: 'llama-v2', port: 8000 }, percent: 10 },
      },
    ]);
    expect((await router.setShadow({ enabled: true, target: 'candidate', share: 0.125 })).shadow).toEqual({
      enabled: true,
      target: 'candidate',
      share: 0.125,
    });
    expect((await readHttpRoute('chat')).spec.rules[0]!.filters![0]!.requestMirror).toMatchObject({
      fraction: { numerator: 1250, denominator: 10_000 },
    });

    // Compensation: all traffic on the baseline, the mirror gone, in one idempotent step.
    const restored = await restoreBaseline(router, backends);
    expect(restored).toMatchObject({ alreadyRestored: false, recreated: false });
    const afterRestore = await readHttpRoute('chat');
    expect(weightsOf(afterRestore)).toEqual([
      ['llama-v1', 100],
      ['llama-v2', 0],
    ]);
    expect(afterRestore.spec.rules[0]!.filters).toBeUndefined();
    expect((await restoreBaseline(router, backends)).alreadyRestored).toBe(true);

    // Promotion keeps the baseline's reference at 0, so a revert can put it back.
    const promoted = await router.retireBaseline(backend);
    expect(weightsOf(await readHttpRoute('chat'))).toEqual([
      ['llama-v1', 0],
      ['llama-v2', 100],
    ]);
    await reinstateBaseline(router, backends, { weights: promoted.weights, backends: promoted.backends });
    expect(weightsOf(await readHttpRoute('chat'))).toEqual([
      ['llama-v1', 100],
      ['llama-v2', 0],
    ]);

    await router.markRollout({ rollout: 'chat-v2', stage: 'promoted' });
    expect((await readHttpRoute('chat')).metadata.annotations).toMatchObject({
      'llm-rollout.io/rollout': 'chat-v2',
      'llm-rollout.io/stage': 'promoted',
    });
  });

  it('refuses a route that was not handed to it, and leaves it alone', async () => {
    await createHttpRoute('not-ours', { managed: false });
    const router = gatewayApiRouter('not-ours');
    await expect(router.setWeights({ baseline: 50, candidate: 50 })).rejects.toMatchObject({
      type: FailureType.RouteNotOwned,
      nonRetryable: true,
    });
    expect(weightsOf(await readHttpRoute('not-ours'))).toEqual([['llama-v1', 1]]);
  });

  it('refuses a route someone else changed under it instead of overwriting the change', async () => {
    await createHttpRoute('edited');
    const router = gatewayApiRouter('edited');
    await router.defineBackends(backend, backend);
    await router.setWeights({ baseline: 90, candidate: 10 });
    const route = await readHttpRoute('edited');
    route.spec.rules[0]!.backendRefs[1]!.weight = 60;
    await cluster.objects.replaceNamespacedCustomObject({ ...HTTP_ROUTES, name: 'edited', body: route });

    await expect(router.read()).rejects.toMatchObject({ type: FailureType.RouteChangedUnderRollout });
    await expect(restoreBaseline(router, backends)).rejects.toMatchObject({
      type: FailureType.RouteChangedUnderRollout,
      message: expect.stringContaining(APPLIED_ANNOTATION),
    });
    expect(weightsOf(await readHttpRoute('edited'))).toEqual([
      ['llama-v1', 90],
      ['llama-v2', 60],
    ]);
  });

  it('names a missing route, rule or baseline backendRef, and a write the CRD rejects', async () => {
    await expect(gatewayApiRouter('absent').read()).rejects.toMatchObject({ type: FailureType.RouteNotFound });
    await createHttpRoute('other-rule');
    await expect(gatewayApiRouter('other-rule', { rule: 'summarize' }).read()).rejects.toMatchObject({
      type: FailureType.InvalidRouterConfig,
      message: expect.stringContaining('has no rule "summarize" (it has 1 rule(s), named chat)'),
    });
    await expect(
      gatewayApiRouter('other-rule', { baseline: { name: 'mistral', port: 8000 } }).read(),
    ).rejects.toMatchObject({
      type: FailureType.InvalidRouterConfig,
      message: expect.stringContaining('has no backendRef Service mistral:8000 (the baseline)'),
    });
    // The HTTPRoute CRD's schema allows only DNS-subdomain groups: the API server refuses the write.
    await expect(
      gatewayApiRouter('other-rule', {
        candidate: { kind: 'Service', group: 'Not_A_Group', name: 'llama-v2', port: 8000 },
      }).defineBackends(backend, backend),
    ).rejects.toMatchObject({
      type: FailureType.InvalidRouterConfig,
      message: expect.stringMatching(/refused the write \(422\).*group/),
    });
    expect(weightsOf(await readHttpRoute('other-rule'))).toEqual([['llama-v1', 1]]);
  });
});

async function createVirtualService(name: string, managed = true): Promise<void> {
  await cluster.objects.createNamespacedCustomObject({
    ...VIRTUAL_SERVICES,
    body: {
      apiVersion: 'networking.istio.io/v1',
      kind: 'VirtualService',
      metadata: { name, namespace: NS, ...(managed && { annotations: { [MANAGED_ANNOTATION]: 'true' } }) },
      spec: {
        hosts: ['vllm'],
        http: [{ name: 'chat', route: [{ destination: { host: 'vllm', subset: 'v1' }, weight: 100 }] }],
      },
    },
  });
}

const readVirtualService = async (name: string) =>
  (await cluster.objects.getNamespacedCustomObject({ ...VIRTUAL_SERVICES, name })) as Obj;

function istioRouter(virtualService: string, overrides: Record<string, unknown> = {}) {
  const config = istioRouterSchema.parse({
    kind: 'istio',
    namespace: NS,
    virtualService,
    route: 'chat',
    destinationRule: 'vllm',
    baselineSubset: 'v1',
    candidateSubset: 'v2',
    kubeconfig: cluster.kubeconfig,
    ...overrides,
  });
  return defaultRouterFactory(config, `${NS}/${virtualService}`);
}

const destinationsOf = (service: Obj) =>
  service.spec.http[0]!.route.map((entry) => [entry.destination.subset, entry.weight]);

describe('istio router on a real API server', () => {
  it('adds the candidate subset, moves weights, mirrors with mirrorPercentage and compensates', async () => {
    await createVirtualService('chat');
    const router = istioRouter('chat');
    await router.defineBackends(backend, backend);
    expect(destinationsOf(await readVirtualService('chat'))).toEqual([
      ['v1', 100],
      ['v2', 0],
    ]);
    expect((await router.setWeights({ baseline: 50, candidate: 50 })).weights).toEqual({ baseline: 50, candidate: 50 });
    expect(destinationsOf(await readVirtualService('chat'))).toEqual([
      ['v1', 50],
      ['v2', 50],
    ]);
    await router.setShadow({ enabled: true, target: 'candidate', share: 0.25 });
    const mirrored = (await readVirtualService('chat')).spec.http[0]!;
    expect(mirrored.mirror).toEqual({ host: 'vllm.llm.svc.cluster.local', subset: 'v2' });
    expect(mirrored.mirrorPercentage).toEqual({ value: 25 });
    expect((await router.read()).shadow).toEqual({ enabled: true, target: 'candidate', share: 0.25 });

    await restoreBaseline(router, backends);
    const restored = (await readVirtualService('chat')).spec.http[0]!;
    expect(destinationsOf(await readVirtualService('chat'))).toEqual([
      ['v1', 100],
      ['v2', 0],
    ]);
    expect(restored.mirror).toBeUndefined();
    expect(restored.mirrorPercentage).toBeUndefined();
  });

  it('refuses a VirtualService not handed to it, or changed under it, and names a missing subset', async () => {
    await createVirtualService('not-ours', false);
    await expect(istioRouter('not-ours').read()).rejects.toMatchObject({ type: FailureType.RouteNotOwned });

    await createVirtualService('edited');
    const router = istioRouter('edited');
    await router.defineBackends(backend, backend);
    await router.setWeights({ baseline: 80, candidate: 20 });
    const service = await readVirtualService('edited');
    service.spec.http[0]!.route[0]!.weight = 20;
    service.spec.http[0]!.route[1]!.weight = 80;
    await cluster.objects.replaceNamespacedCustomObject({ ...VIRTUAL_SERVICES, name: 'edited', body: service });
    await expect(router.setWeights({ baseline: 70, candidate: 30 })).rejects.toMatchObject({
      type: FailureType.RouteChangedUnderRollout,
    });
    expect(destinationsOf(await readVirtualService('edited'))).toEqual([
      ['v1', 20],
      ['v2', 80],
    ]);

    await expect(istioRouter('edited', { candidateSubset: 'v3' }).read()).rejects.toMatchObject({
      type: FailureType.InvalidRouterConfig,
      message: 'DestinationRule llm/vllm has no subset v3 (it has v1, v2)',
    });
  });
});

// The gateway-api and istio routers in the plan: defaults, the errors a typo gets, what the plan
// resolves the judge's series to, and the weight arithmetic both routers share.
import { describe, expect, it } from 'vitest';
import { namesOf, percentagesOf } from '../../activities/traffic/kube-weights';
import { resolveMetrics } from '../../plan/metrics-schema';
import { parsePlan, routeOf, routerLocationOf } from '../../plan/schema';
import { problemsOf } from '../support/plans';

const gatewayApi = {
  kind: 'gateway-api',
  namespace: 'llm',
  httpRoute: 'chat',
  baseline: { name: 'llama-v1', port: 8000 },
  candidate: { kind: 'InferencePool', name: 'llama-v2-pool' },
};
const istio = {
  kind: 'istio',
  namespace: 'llm',
  virtualService: 'vllm',
  destinationRule: 'vllm',
  baselineSubset: 'v1',
  candidateSubset: 'v2',
};

function plan(router: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  return {
    rollout: { id: 'chat-v2' },
    backends: {
      baseline: { baseUrl: 'http://127.0.0.1:9001/v1', model: 'llama-v1' },
      candidate: { baseUrl: 'http://127.0.0.1:9002/v1', model: 'llama-v2' },
    },
    router,
    metrics: {
      traffic: 'istio',
      latency: 'vllm',
      baseline: { traffic: { destination_version: 'v1' } },
      candidate: { traffic: { destination_version: 'v2' } },
    },
    approvals: { approvers: ['alice'] },
    ...extra,
  };
}

describe('router kind gateway-api', () => {
  it('fills the rule, the backendRefs’ groups and kinds, and reads from Prometheus by default', () => {
    const parsed = parsePlan(plan(gatewayApi));
    expect(parsed.router).toEqual({
      ...gatewayApi,
      rule: 0,
      baseline: { kind: 'Service', group: '', name: 'llama-v1', port: 8000 },
      candidate: { kind: 'InferencePool', group: 'inference.networking.k8s.io', name: 'llama-v2-pool' },
    });
    expect(parsePlan(parsed)).toEqual(parsed);
    expect(routeOf(parsed)).toBe('llm/chat');
    expect(routerLocationOf(parsed.router)).toBe('HTTPRoute rule #0 via the default kubeconfig');
    expect(resolveMetrics(parsed).source).toBe('prometheus');
    // The shadow soak mirrors with RequestMirror: allowed (the default plan has one).
    expect(parsed.stages.shadow.enabled).toBe(true);
    expect(parsed.stages.canary.behavioral).toBeUndefined();
  });

  it('names each bad field', () => {
    expect(
      problemsOf(
        plan({
          ...gatewayApi,
          namespace: 'LLM',
          rule: -1,
          baseline: { kind: 'Service', name: 'llama-v1' },
          candidate: { kind: 'Deployment', name: 'x' },
        }),
      ),
    ).toEqual([
      'router.namespace: a DNS label: lowercase letters, digits and "-", starting and ending with a letter or digit',
      'router.rule: an index ≥ 0',
      'router.baseline.port: a Service backendRef needs a port',
      'router.candidate.kind: Invalid option: expected one of "Service"|"InferencePool"',
    ]);
    expect(problemsOf(plan({ ...gatewayApi, candidate: gatewayApi.baseline }))).toEqual([
      'router.candidate: candidate is the same backendRef as the baseline',
    ]);
    expect(problemsOf(plan({ ...gatewayApi, inCluster: true, kubeconfig: '/etc/kube' }))).toEqual([
      'router.inCluster: inCluster uses the pod’s service account: leave out kubeconfig and context',
    ]);
  });

  it('refuses the canary’s behavioral checks and per-request records: only our gateway has them', () => {
    expect(problemsOf(plan(gatewayApi, { metrics: { source: 'records' } }))).toEqual([
      'metrics.source: router gateway-api keeps no per-request records: use metrics.source: prometheus',
    ]);
    expect(
      problemsOf(
        plan(gatewayApi, {
          stages: { canary: { steps: [{ weight: 10, window: '1m' }], behavioral: { enabled: true } } },
        }),
      ),
    ).toContain(
      "stages.canary.behavioral: the canary's behavioral checks read the llm-rollout gateway's answer samples: use the gateway router, or remove stages.canary.behavioral",
    );
  });

  it('defaults to the Envoy series, which need labels naming each arm', () => {
    expect(problemsOf(plan(gatewayApi, { metrics: undefined }))).toEqual([
      'metrics.baseline.traffic: the envoy series need labels naming the baseline (e.g. envoy_cluster_name)',
      'metrics.candidate.traffic: the envoy series need labels naming the candidate (e.g. envoy_cluster_name)',
      'metrics.baseline.latency: the envoy series need labels naming the baseline (e.g. envoy_cluster_name)',
      'metrics.candidate.latency: the envoy series need labels naming the candidate (e.g. envoy_cluster_name)',
    ]);
  });
});

describe('router kind istio', () => {
  it('fills the route index and defaults to the Istio series', () => {
    const parsed = parsePlan(
      plan(istio, {
        metrics: {
          baseline: { traffic: { destination_version: 'v1' }, latency: { destination_version: 'v1' } },
          candidate: { traffic: { destination_version: 'v2' }, latency: { destination_version: 'v2' } },
        },
      }),
    );
    expect(parsed.router).toEqual({ ...istio, route: 0 });
    expect(routeOf(parsed)).toBe('llm/vllm');
    const resolved = resolveMetrics(parsed);
    expect(resolved.source === 'prometheus' && resolved.selection.traffic.dialect).toBe('istio');
  });

  it('refuses one subset for both arms and a bad name', () => {
    expect(problemsOf(plan({ ...istio, candidateSubset: 'v1', destinationRule: 'Bad_Name' }))).toEqual([
      'router.destinationRule: a Kubernetes object name: lowercase letters, digits, "-" and ".", starting and ending with a letter or digit',
      'router.candidateSubset: candidate is the same subset as the baseline',
    ]);
  });
});

describe('relative weights as percentages', () => {
  it('reads Gateway API and Istio weights the same way', () => {
    expect(percentagesOf(1, 3)).toEqual({ baseline: 25, candidate: 75 });
    expect(percentagesOf(1, 0)).toEqual({ baseline: 100, candidate: 0 });
    expect(percentagesOf(2, 1)).toEqual({ baseline: 67, candidate: 33 });
    expect(percentagesOf(0, 0)).toEqual({ baseline: 0, candidate: 0 });
    expect(namesOf([{ name: 'a' }, {}, { name: 'b' }])).toBe(', named a, b');
    expect(namesOf([{}])).toBe('');
  });
});

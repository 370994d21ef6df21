// The plan's `metrics` block: what the statistical judge reads. 'records' are the llm-rollout
// gateway's per-request records; 'prometheus' are series any traffic layer or model server
// exports (judge/series-dialects.ts), differenced at each check. Everything is optional and
// resolved from the router and the backends (resolveMetrics), so parsing stays idempotent and a
// plan parsed before this block existed resolves to what it did then.
//
// Deterministic and free of Node built-ins: the workflow imports it.
import { z } from 'zod';
import {
  DIALECTS,
  SERIES_DIALECTS,
  type LabelSet,
  type LatencyDialect,
  type SeriesDialect,
  type SeriesSelection,
} from './series-dialects';
import { duration } from './common-schema';

const LABEL_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const labelSet = z
  .record(z.string(), z.string().min(1, 'label values must not be empty'))
  .superRefine((labels, ctx) => {
    for (const name of Object.keys(labels)) {
      if (!LABEL_NAME.test(name))
        ctx.addIssue({
          code: 'custom',
          path: [name],
          message: `${JSON.stringify(name)} is not a Prometheus label name`,
        });
    }
  });
const armLabels = z.strictObject({ traffic: labelSet.optional(), latency: labelSet.optional() });

export const metricsSchema = z
  .strictObject({
    /** Default: 'records' for router gateway, 'prometheus' otherwise. */
    source: z.enum(['records', 'prometheus']).optional(),
    /** Requests and errors (default: the router's own series). */
    traffic: z.enum(SERIES_DIALECTS).optional(),
    /** Latency and time to first token (default: the traffic dialect; vllm behind HAProxy, which has no histograms). */
    latency: z.enum([...SERIES_DIALECTS, 'none']).optional(),
    /** Label overrides selecting each arm's series, per dialect side. */
    baseline: armLabels.optional(),
    candidate: armLabels.optional(),
    /** Where no earlier stage measured the baseline's latency tail: read it from this long before the window. */
    referenceLookback: duration()
      .refine((ms) => ms >= 10_000, 'must be at least 10s')
      .optional(),
  })
  .optional();

export type MetricsBlock = z.output<typeof metricsSchema>;

/** The parts of a plan the metrics block resolves against (structural, to keep this module free of plan/schema). */
export interface MetricsPlanView {
  rollout: { id: string };
  backends: { baseline: { model: string }; candidate: { model: string } };
  router:
    | { kind: 'gateway'; route?: string }
    | { kind: 'haproxy'; haproxyBackend: string; baselineServer: string; candidateServer: string }
    | { kind: 'gateway-api' | 'istio' };
  metrics?: MetricsBlock;
}

export const DEFAULT_REFERENCE_LOOKBACK_MS = 600_000;

export type ResolvedMetrics = { source: 'records' } | { source: 'prometheus'; selection: SeriesSelection };

function defaultLabels(plan: MetricsPlanView, dialect: SeriesDialect, arm: 'baseline' | 'candidate'): LabelSet {
  const { router } = plan;
  switch (dialect) {
    case 'gateway':
      if (router.kind === 'gateway') return { route: router.route ?? plan.rollout.id, backend: arm };
      return router.kind === 'haproxy' ? { route: router.haproxyBackend, backend: arm } : {};
    case 'haproxy':
      return router.kind === 'haproxy'
        ? { proxy: router.haproxyBackend, server: arm === 'baseline' ? router.baselineServer : router.candidateServer }
        : {};
    case 'vllm':
      return { model_name: plan.backends[arm].model };
    case 'istio':
    case 'envoy':
      // Destinations are named in the mesh, not in the plan.
      return {};
  }
}

/** Whose request and error series a router's plan reads unless it says: its own traffic layer's. */
const DEFAULT_TRAFFIC_DIALECT: Record<MetricsPlanView['router']['kind'], SeriesDialect> = {
  gateway: 'gateway',
  haproxy: 'haproxy',
  istio: 'istio',
  // Envoy Gateway, Istio's and kgateway's Gateway API implementations all run Envoy.
  'gateway-api': 'envoy',
};

export function resolveMetrics(plan: MetricsPlanView): ResolvedMetrics {
  const block = plan.metrics ?? {};
  const source = block.source ?? (plan.router.kind === 'gateway' ? 'records' : 'prometheus');
  if (source === 'records') return { source };
  const traffic: SeriesDialect = block.traffic ?? DEFAULT_TRAFFIC_DIALECT[plan.router.kind];
  const latency: LatencyDialect = block.latency ?? (DIALECTS[traffic].latency ? traffic : 'vllm');
  const labels = (side: 'traffic' | 'latency', dialect: LatencyDialect, arm: 'baseline' | 'candidate'): LabelSet =>
    dialect === 'none' ? {} : { ...defaultLabels(plan, dialect, arm), ...block[arm]?.[side] };
  return {
    source,
    selection: {
      traffic: {
        dialect: traffic,
        baseline: labels('traffic', traffic, 'baseline'),
        candidate: labels('traffic', traffic, 'candidate'),
      },
      latency: {
        dialect: latency,
        baseline: labels('latency', latency, 'baseline'),
        candidate: labels('latency', latency, 'candidate'),
      },
      referenceLookbackMs: block.referenceLookback ?? DEFAULT_REFERENCE_LOOKBACK_MS,
    },
  };
}

const EXAMPLE_LABEL: Record<SeriesDialect, string> = {
  gateway: 'backend',
  haproxy: 'server',
  vllm: 'model_name',
  istio: 'destination_version',
  envoy: 'envoy_cluster_name',
};

/** Problems with a plan's metrics block, as [path, message] pairs for the plan's superRefine. */
export function metricsProblems(plan: MetricsPlanView): Array<[Array<string | number>, string]> {
  const block = plan.metrics;
  const problems: Array<[Array<string | number>, string]> = [];
  const at = (...path: string[]) => ['metrics', ...path];
  if (block?.traffic === 'vllm') {
    problems.push([
      at('traffic'),
      `${DIALECTS.vllm.lacks.responses}: take requests and errors from the traffic layer (haproxy, gateway, istio or envoy) and set metrics.latency: vllm`,
    ]);
  }
  if (block?.latency === 'haproxy') {
    problems.push([
      at('latency'),
      `${DIALECTS.haproxy.lacks.latency}: set metrics.latency to vllm (the model servers' own series) or none`,
    ]);
  }
  if (problems.length > 0) return problems;
  const resolved = resolveMetrics(plan);
  if (resolved.source === 'records') {
    if (plan.router.kind !== 'gateway')
      problems.push([
        at('source'),
        `router ${plan.router.kind} keeps no per-request records: use metrics.source: prometheus`,
      ]);
    for (const field of ['traffic', 'latency', 'baseline', 'candidate', 'referenceLookback'] as const) {
      if (block?.[field] !== undefined) problems.push([at(field), 'only read with metrics.source: prometheus']);
    }
    return problems;
  }
  const { selection } = resolved;
  for (const side of ['traffic', 'latency'] as const) {
    const { dialect, baseline, candidate } = selection[side];
    if (dialect === 'none') continue;
    for (const arm of ['baseline', 'candidate'] as const) {
      if (Object.keys(selection[side][arm]).length === 0) {
        problems.push([
          at(arm, side),
          `the ${dialect} series need labels naming the ${arm} (e.g. ${EXAMPLE_LABEL[dialect]})`,
        ]);
      }
    }
    if (
      Object.keys(baseline).length > 0 &&
      JSON.stringify(Object.entries(baseline).sort()) === JSON.stringify(Object.entries(candidate).sort())
    ) {
      problems.push([at('candidate', side), `baseline and candidate select the same ${dialect} series`]);
    }
  }
  return problems;
}

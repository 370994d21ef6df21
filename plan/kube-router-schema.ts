// The plan's Kubernetes routers: `gateway-api` moves the weights of an HTTPRoute rule's
// backendRefs, `istio` those of a VirtualService http route's destinations (subsets of a
// DestinationRule). Both reach the cluster the same way (kubeAccess). Names are checked as
// Kubernetes checks them, so a typo is caught by the plan check rather than by the API server.
//
// Deterministic and free of Node built-ins: the workflow imports it (through plan/schema).
import { z } from 'zod';

/** RFC 1123 label: namespaces, Services, subsets. */
const dnsLabel = z
  .string()
  .regex(
    /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/,
    'a DNS label: lowercase letters, digits and "-", starting and ending with a letter or digit',
  )
  .max(63, 'at most 63 characters');

/** RFC 1123 subdomain: object names such as an HTTPRoute's or a VirtualService's. */
const objectName = z
  .string()
  .regex(
    /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/,
    'a Kubernetes object name: lowercase letters, digits, "-" and ".", starting and ending with a letter or digit',
  )
  .max(253, 'at most 253 characters');

const port = z.number().int('a whole port number').min(1, 'port must be 1–65535').max(65535, 'port must be 1–65535');

/** A rule or http route of the route object: its index, or its name. */
const ruleSelector = z.union([z.number().int('a whole index').min(0, 'an index ≥ 0'), dnsLabel]);

/** How the worker reaches the API server; nothing set: the default kubeconfig ($KUBECONFIG or ~/.kube/config). */
const kubeAccess = {
  /** A kubeconfig file on the worker. */
  kubeconfig: z.string().min(1).optional(),
  /** A context of that kubeconfig (default: its current context). */
  context: z.string().min(1).optional(),
  /** The worker runs in a pod: its service account, and the API server the pod is given. */
  inCluster: z.boolean().optional(),
};
type KubeAccess = { kubeconfig?: string; context?: string; inCluster?: boolean };

function kubeAccessProblem(access: KubeAccess, ctx: z.RefinementCtx): void {
  if (access.inCluster && (access.kubeconfig !== undefined || access.context !== undefined)) {
    ctx.addIssue({
      code: 'custom',
      path: ['inCluster'],
      message: 'inCluster uses the pod’s service account: leave out kubeconfig and context',
    });
  }
}

export const INFERENCE_POOL_GROUP = 'inference.networking.k8s.io';

/** An HTTPRoute backendRef: a Service (port required, as the Gateway API requires) or an InferencePool. */
export const backendRefSchema = z
  .strictObject({
    kind: z.enum(['Service', 'InferencePool']).default('Service'),
    /** Default: '' (core) for a Service, inference.networking.k8s.io for an InferencePool. */
    group: z.string().optional(),
    name: objectName,
    port: port.optional(),
  })
  .superRefine((ref, ctx) => {
    if (ref.kind === 'Service' && ref.port === undefined)
      ctx.addIssue({ code: 'custom', path: ['port'], message: 'a Service backendRef needs a port' });
  })
  .transform((ref) => ({ ...ref, group: ref.group ?? (ref.kind === 'InferencePool' ? INFERENCE_POOL_GROUP : '') }));

export type BackendRef = z.output<typeof backendRefSchema>;

export const gatewayApiRouterSchema = z
  .strictObject({
    kind: z.literal('gateway-api'),
    namespace: dnsLabel,
    httpRoute: objectName,
    /** Which of the HTTPRoute's rules carries the rollout's traffic: its index or its name. */
    rule: ruleSelector.default(0),
    baseline: backendRefSchema,
    candidate: backendRefSchema,
    ...kubeAccess,
  })
  .superRefine((router, ctx) => {
    kubeAccessProblem(router, ctx);
    if (sameRef(router.baseline, router.candidate))
      ctx.addIssue({
        code: 'custom',
        path: ['candidate'],
        message: 'candidate is the same backendRef as the baseline',
      });
  });

export const istioRouterSchema = z
  .strictObject({
    kind: z.literal('istio'),
    namespace: dnsLabel,
    virtualService: objectName,
    /** Which of the VirtualService's http routes carries the rollout's traffic: its index or its name. */
    route: ruleSelector.default(0),
    /** The DestinationRule whose host and subsets the destinations name. */
    destinationRule: objectName,
    baselineSubset: dnsLabel,
    candidateSubset: dnsLabel,
    /** The destination port, where the host serves more than one. */
    port: port.optional(),
    ...kubeAccess,
  })
  .superRefine((router, ctx) => {
    kubeAccessProblem(router, ctx);
    if (router.baselineSubset === router.candidateSubset)
      ctx.addIssue({
        code: 'custom',
        path: ['candidateSubset'],
        message: 'candidate is the same subset as the baseline',
      });
  });

export type GatewayApiRouterConfig = z.output<typeof gatewayApiRouterSchema>;
export type IstioRouterConfig = z.output<typeof istioRouterSchema>;

function sameRef(a: z.input<typeof backendRefSchema>, b: z.input<typeof backendRefSchema>): boolean {
  return a.kind === b.kind && a.name === b.name && a.port === b.port && (a.group ?? '') === (b.group ?? '');
}

/** The route object a Kubernetes router moves, as namespace/name, for plan checks and messages. */
export function kubeRouteName(router: GatewayApiRouterConfig | IstioRouterConfig): string {
  return `${router.namespace}/${router.kind === 'gateway-api' ? router.httpRoute : router.virtualService}`;
}

/** How the worker reaches the cluster, in words for plan checks and break-glass output. */
export function kubeAccessOf(router: KubeAccess): string {
  if (router.inCluster) return 'in-cluster service account';
  const file = router.kubeconfig ?? 'the default kubeconfig';
  return router.context ? `${file}, context ${router.context}` : file;
}

/** Which rule (HTTPRoute) or http route (VirtualService) of the object carries the rollout. */
export function kubeRuleOf(router: GatewayApiRouterConfig | IstioRouterConfig): string {
  const selector = router.kind === 'gateway-api' ? router.rule : router.route;
  return typeof selector === 'number' ? `#${selector}` : `"${selector}"`;
}

// Istio's VirtualService as a traffic layer: the rollout moves the `weight`s of one http route's
// destinations, the baseline and candidate subsets of a DestinationRule (whose host they name),
// and mirrors for the shadow soak with that route's `mirror` and `mirrorPercentage`. Istio's
// control plane acts on the object; the rollout only edits it (kube-route-router.ts).
import { ApiException, CustomObjectsApi } from '@kubernetes/client-node';
import { ApplicationFailure } from '@temporalio/activity';
import type { TrafficState } from '../contract';
import type { IstioRouterConfig } from '../../plan/kube-router-schema';
import { kubeRouteName, kubeRuleOf } from '../../plan/kube-router-schema';
import { namesOf, percentagesOf, selectRule } from './kube-weights';
import { kubeConfigFor, KubeRouteRouter, type KubeObject, type RouteObjectKind } from './kube-route-router';
import { FailureType } from '../../workflows/failure-types';

interface Destination {
  host: string;
  subset?: string;
  port?: { number?: number };
}

interface HttpRoute {
  name?: string;
  route?: Array<{ destination: Destination; weight?: number; [key: string]: unknown }>;
  mirror?: Destination;
  mirrorPercentage?: { value: number };
  [key: string]: unknown;
}

const GROUP = 'networking.istio.io';
const VERSION = 'v1';

export function istioRouter(config: IstioRouterConfig): KubeRouteRouter {
  const kubeConfig = kubeConfigFor(config);
  const api = kubeConfig.makeApiClient(CustomObjectsApi);
  const destinationHost = () => readDestinationHost(api, config);
  return new KubeRouteRouter(
    new VirtualServiceRouteKind(config, destinationHost),
    { namespace: config.namespace, name: config.virtualService },
    kubeConfig,
  );
}

/** The DestinationRule's host, once both subsets are checked to be defined on it. */
async function readDestinationHost(api: CustomObjectsApi, config: IstioRouterConfig): Promise<string> {
  const name = `DestinationRule ${config.namespace}/${config.destinationRule}`;
  let rule: KubeObject;
  try {
    rule = (await api.getNamespacedCustomObject({
      group: GROUP,
      version: VERSION,
      namespace: config.namespace,
      plural: 'destinationrules',
      name: config.destinationRule,
    })) as KubeObject;
  } catch (error) {
    if (error instanceof ApiException && error.code === 404)
      throw ApplicationFailure.nonRetryable(`${name} does not exist`, FailureType.InvalidRouterConfig);
    throw error;
  }
  const spec = (rule.spec ?? {}) as { host?: string; subsets?: Array<{ name?: string }> };
  const subsets = (spec.subsets ?? []).flatMap((subset) => (subset.name ? [subset.name] : []));
  for (const subset of [config.baselineSubset, config.candidateSubset]) {
    if (!subsets.includes(subset))
      throw ApplicationFailure.nonRetryable(
        `${name} has no subset ${subset} (it has ${subsets.join(', ') || 'none'})`,
        FailureType.InvalidRouterConfig,
      );
  }
  if (!spec.host) throw ApplicationFailure.nonRetryable(`${name} names no host`, FailureType.InvalidRouterConfig);
  return spec.host;
}

export class VirtualServiceRouteKind implements RouteObjectKind {
  readonly group = GROUP;
  readonly version = VERSION;
  readonly plural = 'virtualservices';
  readonly describe: string;
  private host: Promise<string> | undefined;
  private resolvedHost: string | undefined;

  constructor(
    private readonly config: IstioRouterConfig,
    private readonly destinationHost: () => Promise<string>,
  ) {
    this.describe = `VirtualService ${kubeRouteName(config)} http route ${kubeRuleOf(config)}`;
  }

  async stateOf(object: KubeObject): Promise<TrafficState> {
    const route = this.routeOf(object);
    const host = await this.hostOnce();
    const destinations = route.route ?? [];
    const baseline = destinations.find((entry) => this.isSubset(entry.destination, host, this.config.baselineSubset));
    if (!baseline)
      throw ApplicationFailure.nonRetryable(
        `${this.describe} has no destination ${host} subset ${this.config.baselineSubset} (the baseline); it has ${destinations.map((entry) => describe(entry.destination)).join(', ') || 'none'}`,
        FailureType.InvalidRouterConfig,
      );
    const candidate = destinations.find((entry) => this.isSubset(entry.destination, host, this.config.candidateSubset));
    const others = destinations.filter(
      (entry) => entry !== baseline && entry !== candidate && weightOf(entry, destinations) > 0,
    );
    if (others.length > 0)
      throw ApplicationFailure.nonRetryable(
        `${this.describe} also sends traffic to ${others.map((entry) => describe(entry.destination)).join(', ')}: the rollout moves only the baseline and the candidate`,
        FailureType.InvalidRouterConfig,
      );
    const mirror = route.mirror;
    const mirrorTarget =
      mirror && this.isSubset(mirror, host, this.config.candidateSubset)
        ? 'candidate'
        : mirror && this.isSubset(mirror, host, this.config.baselineSubset)
          ? 'baseline'
          : null;
    return {
      weights: percentagesOf(weightOf(baseline, destinations), candidate ? weightOf(candidate, destinations) : 0),
      shadow: mirrorTarget
        ? { enabled: true, target: mirrorTarget, share: (route.mirrorPercentage?.value ?? 100) / 100 }
        : { enabled: false, target: null, share: 0 },
      backends: candidate ? ['baseline', 'candidate'] : ['baseline'],
    };
  }

  async withBackends(object: KubeObject): Promise<KubeObject> {
    await this.stateOf(object);
    const route = this.routeOf(object);
    const host = await this.hostOnce();
    const destinations = route.route ?? [];
    if (!destinations.some((entry) => this.isSubset(entry.destination, host, this.config.candidateSubset)))
      route.route = [...destinations, { destination: this.destination(host, 'candidate'), weight: 0 }];
    return object;
  }

  withWeights(object: KubeObject, weights: TrafficState['weights']): KubeObject {
    const route = this.routeOf(object);
    const entries = route.route ?? [];
    const host = this.knownHost();
    const isArm = (entry: (typeof entries)[number], subset: string) => this.isSubset(entry.destination, host, subset);
    for (const entry of entries) {
      if (isArm(entry, this.config.baselineSubset)) entry.weight = weights.baseline;
      else if (isArm(entry, this.config.candidateSubset)) entry.weight = weights.candidate;
    }
    if (weights.candidate > 0 && !entries.some((entry) => isArm(entry, this.config.candidateSubset)))
      throw ApplicationFailure.nonRetryable(
        `${this.describe} has no destination subset ${this.config.candidateSubset} (the candidate) to weigh`,
        FailureType.InvalidRouterConfig,
      );
    return object;
  }

  withShadow(object: KubeObject, shadow: TrafficState['shadow']): KubeObject {
    const route = this.routeOf(object);
    const host = this.knownHost();
    const ours = (mirror: Destination) =>
      this.isSubset(mirror, host, this.config.baselineSubset) ||
      this.isSubset(mirror, host, this.config.candidateSubset);
    if (shadow.enabled && shadow.target && shadow.share > 0) {
      route.mirror = this.destination(host, shadow.target);
      route.mirrorPercentage = { value: shadow.share * 100 };
    } else if (route.mirror && ours(route.mirror)) {
      delete route.mirror;
      delete route.mirrorPercentage;
    }
    return object;
  }

  private hostOnce(): Promise<string> {
    this.host ??= this.destinationHost().then(
      (host) => (this.resolvedHost = host),
      (error: unknown) => {
        this.host = undefined;
        throw error;
      },
    );
    return this.host;
  }

  /** The writes run after a read of the same object (kube-route-router), which resolved the host. */
  private knownHost(): string {
    if (this.resolvedHost === undefined)
      throw new Error(`${this.describe}: the DestinationRule's host was not read first`);
    return this.resolvedHost;
  }

  private destination(host: string, arm: 'baseline' | 'candidate'): Destination {
    const subset = arm === 'baseline' ? this.config.baselineSubset : this.config.candidateSubset;
    return { host, subset, ...(this.config.port !== undefined && { port: { number: this.config.port } }) };
  }

  private isSubset(destination: Destination, host: string, subset: string): boolean {
    return (
      destination.subset === subset &&
      sameHost(destination.host, host, this.config.namespace) &&
      (this.config.port === undefined || destination.port?.number === this.config.port)
    );
  }

  private routeOf(object: KubeObject): HttpRoute {
    const routes = (object.spec?.http ?? []) as HttpRoute[];
    const route = selectRule(routes, this.config.route);
    if (!route)
      throw ApplicationFailure.nonRetryable(
        `VirtualService ${kubeRouteName(this.config)} has no http route ${kubeRuleOf(this.config)} (it has ${routes.length}${namesOf(routes)})`,
        FailureType.InvalidRouterConfig,
      );
    return route;
  }
}

/** Istio reads a short host in the object's namespace: "vllm" and "vllm.llm.svc.cluster.local" are one service. */
function sameHost(a: string, b: string, namespace: string): boolean {
  const long = (host: string) => (host.includes('.') ? host : `${host}.${namespace}.svc.cluster.local`);
  return long(a) === long(b);
}

/** Istio gives a lone destination all the traffic and weighs unweighted ones at 0 beside others. */
function weightOf(entry: { weight?: number }, all: readonly unknown[]): number {
  return entry.weight ?? (all.length === 1 ? 100 : 0);
}

function describe(destination: Destination): string {
  return `${destination.host}${destination.subset ? ` subset ${destination.subset}` : ''}`;
}

// The Kubernetes Gateway API's HTTPRoute as a traffic layer: the rollout moves the `weight`s of
// one rule's baseline and candidate backendRefs (Services or InferencePools) and mirrors for the
// shadow soak with a RequestMirror filter on that rule (its `percent`, or a `fraction` for a share
// that is no whole percent). The Gateway implementation (Envoy Gateway, Istio, kgateway, the
// Inference Extension, …) acts on the route; the rollout only edits it (kube-route-router.ts).
import { ApplicationFailure } from '@temporalio/activity';
import type { TrafficState } from '../contract';
import type { BackendRef, GatewayApiRouterConfig } from '../../plan/kube-router-schema';
import { kubeRouteName, kubeRuleOf } from '../../plan/kube-router-schema';
import { namesOf, percentagesOf, selectRule } from './kube-weights';
import { kubeConfigFor, KubeRouteRouter, type KubeObject, type RouteObjectKind } from './kube-route-router';
import { FailureType } from '../../workflows/failure-types';

interface HttpBackendRef {
  group?: string;
  kind?: string;
  name: string;
  namespace?: string;
  port?: number;
  weight?: number;
  [key: string]: unknown;
}

interface RequestMirror {
  backendRef: HttpBackendRef;
  percent?: number;
  fraction?: { numerator: number; denominator?: number };
}

interface HttpRouteFilter {
  type: string;
  requestMirror?: RequestMirror;
  [key: string]: unknown;
}

interface HttpRouteRule {
  name?: string;
  backendRefs?: HttpBackendRef[];
  filters?: HttpRouteFilter[];
  [key: string]: unknown;
}

/** Fraction denominator for a mirror share that is not a whole percent: 0.01 % steps. */
const FRACTION_DENOMINATOR = 10_000;

export function gatewayApiRouter(config: GatewayApiRouterConfig): KubeRouteRouter {
  return new KubeRouteRouter(
    new HttpRouteRuleKind(config),
    { namespace: config.namespace, name: config.httpRoute },
    kubeConfigFor(config),
  );
}

export class HttpRouteRuleKind implements RouteObjectKind {
  readonly group = 'gateway.networking.k8s.io';
  readonly version = 'v1';
  readonly plural = 'httproutes';
  readonly describe: string;

  constructor(private readonly config: GatewayApiRouterConfig) {
    this.describe = `HTTPRoute ${kubeRouteName(config)} rule ${kubeRuleOf(config)}`;
  }

  stateOf(object: KubeObject): TrafficState {
    const rule = this.ruleOf(object);
    const refs = rule.backendRefs ?? [];
    const baseline = refs.find((ref) => refersTo(ref, this.config.baseline));
    if (!baseline)
      throw ApplicationFailure.nonRetryable(
        `${this.describe} has no backendRef ${describeRef(this.config.baseline)} (the baseline); it has ${refs.map(describeLive).join(', ') || 'none'}`,
        FailureType.InvalidRouterConfig,
      );
    const candidate = refs.find((ref) => refersTo(ref, this.config.candidate));
    const others = refs.filter((ref) => ref !== baseline && ref !== candidate && weightOf(ref) > 0);
    if (others.length > 0)
      throw ApplicationFailure.nonRetryable(
        `${this.describe} also sends traffic to ${others.map(describeLive).join(', ')}: the rollout moves only the baseline and the candidate, so their weights would not be what it says`,
        FailureType.InvalidRouterConfig,
      );
    return {
      weights: percentagesOf(weightOf(baseline), candidate ? weightOf(candidate) : 0),
      shadow: this.shadowOf(rule),
      backends: candidate ? ['baseline', 'candidate'] : ['baseline'],
    };
  }

  withBackends(object: KubeObject): KubeObject {
    const rule = this.ruleOf(object);
    this.stateOf(object);
    const refs = rule.backendRefs ?? [];
    if (!refs.some((ref) => refersTo(ref, this.config.candidate)))
      rule.backendRefs = [...refs, { ...refBody(this.config.candidate), weight: 0 }];
    return object;
  }

  withWeights(object: KubeObject, weights: TrafficState['weights']): KubeObject {
    const rule = this.ruleOf(object);
    const candidate = (rule.backendRefs ?? []).find((ref) => refersTo(ref, this.config.candidate));
    if (!candidate && weights.candidate > 0)
      throw ApplicationFailure.nonRetryable(
        `${this.describe} has no backendRef ${describeRef(this.config.candidate)} (the candidate) to weigh`,
        FailureType.InvalidRouterConfig,
      );
    for (const ref of rule.backendRefs ?? []) {
      if (refersTo(ref, this.config.baseline)) ref.weight = weights.baseline;
      else if (ref === candidate) ref.weight = weights.candidate;
    }
    return object;
  }

  withShadow(object: KubeObject, shadow: TrafficState['shadow']): KubeObject {
    const rule = this.ruleOf(object);
    const kept = (rule.filters ?? []).filter((filter) => !this.isOurMirror(filter));
    if (shadow.enabled && shadow.target && shadow.share > 0) {
      const ref = this.config[shadow.target];
      kept.push({ type: 'RequestMirror', requestMirror: { backendRef: refBody(ref), ...mirrorShare(shadow.share) } });
    }
    if (kept.length > 0) rule.filters = kept;
    else delete rule.filters;
    return object;
  }

  private shadowOf(rule: HttpRouteRule): TrafficState['shadow'] {
    for (const filter of rule.filters ?? []) {
      if (!this.isOurMirror(filter)) continue;
      const mirror = filter.requestMirror!;
      const target = refersTo(mirror.backendRef, this.config.candidate) ? 'candidate' : 'baseline';
      return { enabled: true, target, share: shareOf(mirror) };
    }
    return { enabled: false, target: null, share: 0 };
  }

  private isOurMirror(filter: HttpRouteFilter): boolean {
    const ref = filter.type === 'RequestMirror' ? filter.requestMirror?.backendRef : undefined;
    return ref !== undefined && (refersTo(ref, this.config.candidate) || refersTo(ref, this.config.baseline));
  }

  private ruleOf(object: KubeObject): HttpRouteRule {
    const rules = (object.spec?.rules ?? []) as HttpRouteRule[];
    const rule = selectRule(rules, this.config.rule);
    if (!rule)
      throw ApplicationFailure.nonRetryable(
        `HTTPRoute ${kubeRouteName(this.config)} has no rule ${kubeRuleOf(this.config)} (it has ${rules.length} rule(s)${namesOf(rules)})`,
        FailureType.InvalidRouterConfig,
      );
    return rule;
  }
}

function refersTo(live: HttpBackendRef, planned: BackendRef): boolean {
  return (
    (live.group ?? '') === planned.group &&
    (live.kind ?? 'Service') === planned.kind &&
    live.name === planned.name &&
    live.namespace === undefined &&
    (planned.port === undefined || live.port === planned.port)
  );
}

function refBody(ref: BackendRef): HttpBackendRef {
  return {
    group: ref.group,
    kind: ref.kind,
    name: ref.name,
    ...(ref.port !== undefined && { port: ref.port }),
  };
}

/** The Gateway API's default weight is 1. */
function weightOf(ref: HttpBackendRef): number {
  return ref.weight ?? 1;
}

function mirrorShare(share: number): Pick<RequestMirror, 'percent' | 'fraction'> {
  const percent = share * 100;
  if (Number.isInteger(percent)) return percent === 100 ? {} : { percent };
  return { fraction: { numerator: Math.round(share * FRACTION_DENOMINATOR), denominator: FRACTION_DENOMINATOR } };
}

/** A RequestMirror without percent or fraction mirrors every request. */
function shareOf(mirror: RequestMirror): number {
  if (mirror.percent !== undefined) return mirror.percent / 100;
  if (mirror.fraction) return mirror.fraction.numerator / (mirror.fraction.denominator ?? 100);
  return 1;
}

function describeRef(ref: BackendRef): string {
  return `${ref.kind} ${ref.name}${ref.port !== undefined ? `:${ref.port}` : ''}`;
}

function describeLive(ref: HttpBackendRef): string {
  return `${ref.kind ?? 'Service'} ${ref.namespace ? `${ref.namespace}/` : ''}${ref.name}${ref.port !== undefined ? `:${ref.port}` : ''}`;
}

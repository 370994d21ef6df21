// TrafficRouter over a Kubernetes route object (an HTTPRoute or a VirtualService), through the
// API server with @kubernetes/client-node. The object belongs to the platform team's manifests,
// so the rollout only moves what it was handed and never overwrites anyone else's change:
// - a route without the annotation llm-rollout.io/managed: "true" is refused (RouteNotOwned);
// - every write records the traffic it leaves (llm-rollout.io/applied); a route whose weights or
//   mirror differ from that record was changed by another controller or a person, and is refused
//   (RouteChangedUnderRollout) rather than corrected;
// - each write replaces the object at the resourceVersion just read, so a change landing between
//   the read and the write is a 409 Conflict: retried, it reads the change and refuses it.
// What the object's spec means (which rule, which backendRef) is the RouteObjectKind's.
import { ApiException, CustomObjectsApi, KubeConfig } from '@kubernetes/client-node';
import { ApplicationFailure } from '@temporalio/activity';
import type { TrafficState } from '../contract';
import type { ResolvedBackend, RolloutMarker, TrafficRouter } from './traffic-router';
import { FailureType } from '../../workflows/failure-types';

export const MANAGED_ANNOTATION = 'llm-rollout.io/managed';
export const APPLIED_ANNOTATION = 'llm-rollout.io/applied';
export const ROLLOUT_ANNOTATION = 'llm-rollout.io/rollout';
export const STAGE_ANNOTATION = 'llm-rollout.io/stage';
const FIELD_MANAGER = 'llm-rollout';

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; resourceVersion?: string; annotations?: Record<string, string> };
  spec?: Record<string, unknown>;
  [key: string]: unknown;
}

/** The traffic a rollout steers on one kind of route object, read from and written into its spec. */
export interface RouteObjectKind {
  group: string;
  version: string;
  plural: string;
  /** For messages: "HTTPRoute llm/chat rule #0". */
  describe: string;
  /** The traffic the object's spec carries; throws InvalidRouterConfig when the plan's rule or baseline is not there. */
  stateOf(object: KubeObject): Promise<TrafficState> | TrafficState;
  /** Both backends on the rule (the candidate added at weight 0 where missing). */
  withBackends(object: KubeObject): Promise<KubeObject> | KubeObject;
  withWeights(object: KubeObject, weights: TrafficState['weights']): KubeObject;
  withShadow(object: KubeObject, shadow: TrafficState['shadow']): KubeObject;
}

/** How a plan's router reaches the API server. */
export interface KubeAccessConfig {
  kubeconfig?: string;
  context?: string;
  inCluster?: boolean;
}

export function kubeConfigFor(access: KubeAccessConfig): KubeConfig {
  const config = new KubeConfig();
  if (access.inCluster) config.loadFromCluster();
  else if (access.kubeconfig) config.loadFromFile(access.kubeconfig);
  else config.loadFromDefault();
  if (access.context) {
    if (!config.getContextObject(access.context))
      throw ApplicationFailure.nonRetryable(
        `the kubeconfig has no context ${JSON.stringify(access.context)}`,
        FailureType.InvalidRouterConfig,
      );
    config.setCurrentContext(access.context);
  }
  return config;
}

interface Applied {
  weights: TrafficState['weights'];
  shadow: TrafficState['shadow'];
}

export class KubeRouteRouter implements TrafficRouter {
  private readonly api: CustomObjectsApi;

  constructor(
    private readonly kind: RouteObjectKind,
    private readonly target: { namespace: string; name: string },
    config: KubeConfig,
  ) {
    this.api = config.makeApiClient(CustomObjectsApi);
  }

  async defineBackends(_baseline: ResolvedBackend, _candidate: ResolvedBackend): Promise<TrafficState> {
    // The backends are Services, InferencePools or subsets the cluster runs: only the route's
    // references to them are the rollout's to add.
    return this.write((object) => this.kind.withBackends(object));
  }

  async setWeights(weights: TrafficState['weights']): Promise<TrafficState> {
    return this.write((object) => this.kind.withWeights(object, weights));
  }

  async setShadow(shadow: TrafficState['shadow']): Promise<TrafficState> {
    return this.write((object) => this.kind.withShadow(object, shadow));
  }

  async read(): Promise<TrafficState> {
    const object = await this.fetch();
    return this.checked(object);
  }

  /** After promotion the baseline's reference stays on the rule at weight 0, so a revert can put it back. */
  async retireBaseline(_candidate: ResolvedBackend): Promise<TrafficState> {
    return this.write((object) =>
      this.kind.withShadow(this.kind.withWeights(object, { baseline: 0, candidate: 100 }), {
        enabled: false,
        target: null,
        share: 0,
      }),
    );
  }

  /** The rollout and its stage as annotations on the route object, for people looking at the cluster. */
  async markRollout(marker: RolloutMarker): Promise<TrafficState> {
    return this.write((object) =>
      withAnnotations(object, { [ROLLOUT_ANNOTATION]: marker.rollout, [STAGE_ANNOTATION]: marker.stage }),
    );
  }

  /** Reads, refuses a route that is not ours or was changed under us, applies `change`, and writes it back if it changed anything. */
  private async write(change: (object: KubeObject) => Promise<KubeObject> | KubeObject): Promise<TrafficState> {
    const current = await this.fetch();
    await this.checked(current);
    const changed = await change(structuredClone(current));
    const state = await this.kind.stateOf(changed);
    const next = withAnnotations(changed, { [APPLIED_ANNOTATION]: JSON.stringify(appliedOf(state)) });
    if (JSON.stringify(next) === JSON.stringify(current)) return state;
    const { group, version, plural } = this.kind;
    const { namespace, name } = this.target;
    try {
      const written = (await this.api.replaceNamespacedCustomObject({
        group,
        version,
        namespace,
        plural,
        name,
        body: next,
        fieldManager: FIELD_MANAGER,
        // An unknown field (a mirror percentage an older CRD lacks) is an error, not silently dropped.
        fieldValidation: 'Strict',
      })) as KubeObject;
      return await this.kind.stateOf(written);
    } catch (error) {
      throw this.failureOf(error, 'write');
    }
  }

  private async fetch(): Promise<KubeObject> {
    const { group, version, plural } = this.kind;
    const { namespace, name } = this.target;
    try {
      return (await this.api.getNamespacedCustomObject({ group, version, namespace, plural, name })) as KubeObject;
    } catch (error) {
      throw this.failureOf(error, 'read');
    }
  }

  private async checked(object: KubeObject): Promise<TrafficState> {
    const annotations = object.metadata.annotations ?? {};
    if (annotations[MANAGED_ANNOTATION] !== 'true')
      throw ApplicationFailure.nonRetryable(
        `${this.kind.describe} is not handed to llm-rollout (annotation ${MANAGED_ANNOTATION}: "true" missing); not changing it`,
        FailureType.RouteNotOwned,
      );
    const state = await this.kind.stateOf(object);
    const recorded = annotations[APPLIED_ANNOTATION];
    if (recorded !== undefined) {
      const live = JSON.stringify(appliedOf(state));
      if (live !== JSON.stringify(appliedOf(parseApplied(recorded)))) {
        throw ApplicationFailure.nonRetryable(
          `${this.kind.describe} was changed by someone else: llm-rollout last wrote ${recorded}, it now holds ${live}; not overwriting it (put it back, or remove ${APPLIED_ANNOTATION} to accept it)`,
          FailureType.RouteChangedUnderRollout,
        );
      }
    }
    return state;
  }

  private failureOf(error: unknown, what: 'read' | 'write'): Error {
    if (error instanceof ApplicationFailure) return error;
    if (!(error instanceof ApiException)) return error instanceof Error ? error : new Error(String(error));
    const message = `${this.kind.describe}: the API server refused the ${what} (${error.code}): ${statusMessage(error.body)}`;
    if (error.code === 404) return ApplicationFailure.nonRetryable(message, FailureType.RouteNotFound);
    // 409: changed between our read and our write; the retry reads the change (and refuses it if it is not ours).
    if (error.code === 409 || error.code === 429 || error.code >= 500) return new Error(message);
    return ApplicationFailure.nonRetryable(message, FailureType.InvalidRouterConfig);
  }
}

function withAnnotations(object: KubeObject, annotations: Record<string, string>): KubeObject {
  return {
    ...object,
    metadata: { ...object.metadata, annotations: { ...object.metadata.annotations, ...annotations } },
  };
}

/** The part of the traffic the rollout owns, in one order, so that records compare as text. */
function appliedOf(state: Applied): Applied {
  const { weights, shadow } = state;
  return {
    weights: { baseline: weights.baseline, candidate: weights.candidate },
    shadow: shadow.enabled
      ? { enabled: true, target: shadow.target, share: shadow.share }
      : { enabled: false, target: null, share: 0 },
  };
}

function parseApplied(text: string): Applied {
  try {
    const parsed = JSON.parse(text) as Partial<Applied>;
    if (parsed.weights && parsed.shadow) return parsed as Applied;
  } catch {
    // Reported below.
  }
  throw ApplicationFailure.nonRetryable(
    `the ${APPLIED_ANNOTATION} annotation is not one llm-rollout wrote: ${text.slice(0, 200)}`,
    FailureType.RouteChangedUnderRollout,
  );
}

function statusMessage(body: unknown): string {
  if (typeof body === 'string') {
    try {
      return statusMessage(JSON.parse(body));
    } catch {
      return body.slice(0, 500);
    }
  }
  const message = (body as { message?: unknown } | null)?.message;
  return typeof message === 'string' ? message : JSON.stringify(body).slice(0, 500);
}

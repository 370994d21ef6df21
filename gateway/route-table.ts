// The gateway's routing state: which backends serve each route, with what weights, and whether
// live traffic is mirrored to a shadow target. All mutations are validated here (not in the HTTP
// layer) so the admin API, the CLI's config file and tests share one set of rules. A mutation
// that changes nothing leaves `version` alone, which makes every admin PUT idempotent.
import type {
  BackendSpec,
  CaptureSetting,
  CohortRule,
  FallbackState,
  PoolMember,
  RolloutMarker,
  RouteDefinition,
  RouteFallback,
  RouteSegmentation,
  RouteState,
  SetShadowRequest,
  ShownBackend,
  ShownPoolMember,
  SetWeightsRequest,
  ShadowState,
} from './admin-api';
import { cohortMatcher, type CohortMatch, type CohortMatcher } from '../lib/cohort-match';
import { configDigest, type ConfigBundle } from '../lib/config-bundle';
import stableStringify from 'fast-json-stable-stringify';
import { routePools, type RoutePools } from './backend-pool';
import { captureSettingOf, compileCapture, type CompiledCapture } from './capture-redaction';
import { InvalidRequestError, RouteConflictError, RouteNotFoundError } from './errors';
import { requestSegmenter, type RequestSegmenter } from './request-segment';
import {
  assertRouteName,
  cohortRuleSchema,
  rolloutMarkerSchema,
  routeDefinitionSchema,
  setCaptureSchema,
  setShadowSchema,
  setWeightsSchema,
} from './route-schemas';
import { parseOrThrow } from './zod-errors';

/** A route as the data plane needs it, including upstream credentials. */
export interface ResolvedRoute {
  route: string;
  /** In definition order; this order is the fixed order sticky assignment relies on. */
  backends: readonly BackendSpec[];
  weights: Readonly<Record<string, number>>;
  shadow: Readonly<ShadowState>;
  rollout: Readonly<RolloutMarker> | null;
  /** Weights over every backend (0 for those not named), like `weights`. */
  cohort: Readonly<CohortRule> | null;
  /** `cohort.match` prepared once per route version, so a request pays one lookup; null without a cohort. */
  inCohort: CohortMatcher | null;
  /** Where a live request goes when its backend fails before answering; null: the failure is the answer. */
  fallback: Readonly<ResolvedFallback> | null;
  /** Live chat requests kept for replay; null: capture is off. */
  capture: Readonly<CaptureSetting> | null;
  /** `capture`'s rules compiled once per route version, so a captured request compiles nothing; null without capture. */
  captureRules: CompiledCapture | null;
  /** Pooled backends (fallback included) prepared once per route version; null when none has members. */
  pools: RoutePools | null;
  /** What segment the route's records are tagged with; null: none. */
  segmentation: Readonly<RouteSegmentation> | null;
  /** `segmentation` prepared once per route version, so a request pays one call; null without segmentation. */
  segmentOf: RequestSegmenter | null;
  version: number;
}

/** A route's fallback with its defaults filled in (RouteFallback), credentials included. */
export interface ResolvedFallback {
  backend: BackendSpec;
  maxAttempts: number;
  /** Absent: the gateway's upstream timeout. */
  timeoutMs?: number;
}

/** A route as the state file keeps it (route-store.ts): everything, upstream credentials included. */
export interface StoredRoute {
  route: string;
  backends: BackendSpec[];
  weights: Record<string, number>;
  shadow: ShadowState;
  /** Absent in files written before rollouts were marked. */
  rollout?: RolloutMarker;
  /** Absent when the route has none (and in files written before cohorts). */
  cohort?: CohortRule;
  /** Absent when the route has none (and in files written before fallbacks). */
  fallback?: RouteFallback;
  /** Absent when capture is off (and in files written before captures). */
  capture?: CaptureSetting;
  /** Absent when the route has none (and in files written before segmentation). */
  segmentation?: RouteSegmentation;
  version: number;
  updatedAt: string;
}

export interface MutationResult {
  state: RouteState;
  changed: boolean;
}

/** Called after every effective change; `state` is null when the route was deleted. */
export type RouteChangeListener = (route: string, state: RouteState | null, previous: RouteState | null) => void;

interface RouteEntry extends ResolvedRoute {
  updatedAt: string;
}

/** What a mutation decides; the version, update time and prepared matcher are the table's to add. */
type RouteContent = Omit<ResolvedRoute, 'version' | 'inCohort' | 'captureRules' | 'pools' | 'segmentOf'>;

const SHADOW_OFF: ShadowState = { enabled: false, target: null, share: 0 };

export class RouteTable {
  private readonly routes = new Map<string, RouteEntry>();
  private readonly listeners: RouteChangeListener[] = [];

  onChange(listener: RouteChangeListener): void {
    this.listeners.push(listener);
  }

  list(): RouteState[] {
    return [...this.routes.values()].map(toState);
  }

  get(route: string): RouteState {
    return toState(this.entry(route));
  }

  has(route: string): boolean {
    return this.routes.has(route);
  }

  /** The live entry for the data plane; undefined when the route is not defined. */
  resolve(route: string): ResolvedRoute | undefined {
    return this.routes.get(route);
  }

  /**
   * Creates a route (weight 100 on the first backend, the baseline; 0 elsewhere; shadow off) or
   * replaces its backends, keeping weights and shadow settings for backends that still exist. The
   * fallback and the segmentation are the definition's: one without them leaves the route with none.
   * Removing a backend that still carries weight is refused: silently handing its traffic to
   * someone else is exactly the kind of surprise a rollout tool must not produce.
   */
  define(route: string, body: unknown): MutationResult {
    assertRouteName(route);
    const definition: RouteDefinition = parseOrThrow(routeDefinitionSchema, body);
    const backends = definition.backends.map(copyBackend);
    const fallback = resolvedFallback(definition.fallback);
    const segmentation = copySegmentation(definition.segmentation);
    const existing = this.routes.get(route);
    if (!existing) {
      const weights = Object.fromEntries(backends.map((b, i) => [b.name, i === 0 ? 100 : 0]));
      return this.commit(route, undefined, {
        route,
        backends,
        weights,
        shadow: { ...SHADOW_OFF },
        rollout: null,
        cohort: null,
        fallback,
        capture: null,
        segmentation,
      });
    }

    const names = new Set(backends.map((b) => b.name));
    for (const old of existing.backends) {
      const weight = existing.weights[old.name] ?? 0;
      if (!names.has(old.name) && weight > 0) {
        throw new RouteConflictError(
          'backends',
          `cannot remove backend '${old.name}' while it carries weight ${weight}; move its weight first`,
        );
      }
    }
    const weights = Object.fromEntries(backends.map((b) => [b.name, existing.weights[b.name] ?? 0]));
    // A removed shadow target simply stops receiving copies; mirroring less is always safe.
    const targetGone = existing.shadow.target !== null && !names.has(existing.shadow.target);
    const shadow = targetGone ? { enabled: false, target: null, share: existing.shadow.share } : { ...existing.shadow };
    return this.commit(route, existing, {
      route,
      backends,
      weights,
      shadow,
      rollout: existing.rollout,
      cohort: cohortOver(existing.cohort, backends),
      fallback,
      // The operator's choice, not the rollout's: a rollout redefining the backends keeps it.
      capture: existing.capture,
      segmentation,
    });
  }

  remove(route: string): void {
    const existing = this.entry(route);
    this.routes.delete(route);
    const previous = toState(existing);
    for (const listener of this.listeners) listener(route, null, previous);
  }

  /**
   * Sets all weights at once; backends not named get 0. Integers >= 0 summing to 100. The cohort,
   * when the body has one, is checked by the same rules and set in the same change (null clears it,
   * absent keeps it); a bad cohort leaves the weights unchanged too.
   */
  setWeights(route: string, body: unknown): MutationResult {
    const existing = this.entry(route);
    const request: SetWeightsRequest = parseOrThrow(setWeightsSchema, body);
    const weights = fullWeights(route, existing.backends, request.weights, 'weights');
    const cohort =
      request.cohort === undefined
        ? existing.cohort
        : request.cohort && {
            match: request.cohort.match,
            weights: fullWeights(route, existing.backends, request.cohort.weights, 'cohort.weights'),
          };
    return this.commit(route, existing, { ...existing, weights, cohort });
  }

  /** Enables/disables mirroring; omitted target/share keep their current values. */
  setShadow(route: string, body: unknown): MutationResult {
    const existing = this.entry(route);
    const request: SetShadowRequest = parseOrThrow(setShadowSchema, body);
    if (request.target !== undefined && !existing.backends.some((b) => b.name === request.target)) {
      throw new RouteConflictError('target', `route '${route}' has no backend '${request.target}'`);
    }
    const target = request.target ?? existing.shadow.target;
    const share = request.share ?? existing.shadow.share;
    if (request.enabled && target === null) {
      throw new InvalidRequestError('target', 'is required when enabling shadow traffic');
    }
    return this.commit(route, existing, { ...existing, shadow: { enabled: request.enabled, target, share } });
  }

  /** Marks which rollout is in which stage on the route; marking the same again changes nothing. */
  markRollout(route: string, body: unknown): MutationResult {
    const existing = this.entry(route);
    const marker: RolloutMarker = parseOrThrow(rolloutMarkerSchema, body);
    return this.commit(route, existing, { ...existing, rollout: { rollout: marker.rollout, stage: marker.stage } });
  }

  /** Turns capture on with the given share and redaction (the setting replaced whole), or off. */
  setCapture(route: string, body: unknown): MutationResult {
    const existing = this.entry(route);
    const capture = captureSettingOf(parseOrThrow(setCaptureSchema, body));
    return this.commit(route, existing, { ...existing, capture });
  }

  /** Every route with its upstream credentials, for the state file. */
  snapshot(): StoredRoute[] {
    return [...this.routes.values()].map((entry) => ({
      route: entry.route,
      backends: entry.backends.map(copyBackend),
      weights: { ...entry.weights },
      shadow: { ...entry.shadow },
      ...(entry.rollout && { rollout: { ...entry.rollout } }),
      ...(entry.cohort && { cohort: copyCohort(entry.cohort) }),
      ...(entry.fallback && { fallback: copyFallback(entry.fallback) }),
      ...(entry.capture && { capture: copyCapture(entry.capture) }),
      ...(entry.segmentation && { segmentation: copySegmentation(entry.segmentation)! }),
      version: entry.version,
      updatedAt: entry.updatedAt,
    }));
  }

  /**
   * Puts a saved route back as it was (its version and updatedAt too), checked by the same rules
   * as every change, so a hand-edited state file cannot smuggle in a route the API would refuse.
   */
  restore(saved: StoredRoute): void {
    const { route } = saved;
    assertRouteName(route);
    const definition = parseOrThrow(routeDefinitionSchema, {
      backends: saved.backends,
      ...(saved.fallback !== undefined && { fallback: saved.fallback }),
      ...(saved.segmentation !== undefined && { segmentation: saved.segmentation }),
    });
    const backends = definition.backends.map(copyBackend);
    const fallback = resolvedFallback(definition.fallback);
    const segmentation = copySegmentation(definition.segmentation);
    const names = new Set(backends.map((b) => b.name));
    const requested = parseOrThrow(setWeightsSchema, { weights: saved.weights }).weights;
    const weights = fullWeights(route, backends, requested, 'weights');
    const savedCohort = saved.cohort === undefined ? null : parseOrThrow(cohortRuleSchema, saved.cohort, 'cohort');
    const cohort = savedCohort && {
      match: savedCohort.match,
      weights: fullWeights(route, backends, savedCohort.weights, 'cohort.weights'),
    };
    const { enabled, target, share } = saved.shadow;
    if (target !== null && !names.has(target))
      throw new RouteConflictError('shadow.target', `route '${route}' has no backend '${target}'`);
    if (enabled && target === null)
      throw new InvalidRequestError('shadow.target', 'is required when shadow traffic is enabled');
    if (!(share >= 0 && share <= 1)) throw new InvalidRequestError('shadow.share', `must be in 0..1, got ${share}`);
    if (!Number.isInteger(saved.version) || saved.version < 1)
      throw new InvalidRequestError('version', `must be a positive integer, got ${saved.version}`);
    const rollout = saved.rollout === undefined ? null : parseOrThrow(rolloutMarkerSchema, saved.rollout);
    // Checked as a PUT of the same setting would be: a hand-edited pattern that does not compile fails the start.
    const capture = saved.capture === undefined ? null : restoredCapture(saved.capture);
    const existing = this.routes.get(route);
    const entry: RouteEntry = {
      route,
      backends,
      weights,
      shadow: { enabled, target, share },
      rollout,
      cohort,
      inCohort: cohort && cohortMatcher(cohort.match),
      fallback,
      capture,
      captureRules: capture && compileCapture(capture),
      pools: poolsOf(route, backends, fallback),
      segmentation,
      segmentOf: segmentation && requestSegmenter(segmentation),
      version: saved.version,
      updatedAt: saved.updatedAt,
    };
    this.routes.set(route, entry);
    for (const listener of this.listeners) listener(route, toState(entry), existing ? toState(existing) : null);
  }

  private entry(route: string): RouteEntry {
    const entry = this.routes.get(route);
    if (!entry) throw new RouteNotFoundError(route);
    return entry;
  }

  private commit(route: string, existing: RouteEntry | undefined, next: RouteContent): MutationResult {
    if (existing && sameContent(existing, next)) return { state: toState(existing), changed: false };
    const entry: RouteEntry = {
      route,
      backends: next.backends,
      weights: next.weights,
      shadow: next.shadow,
      rollout: next.rollout,
      cohort: next.cohort,
      inCohort: next.cohort && cohortMatcher(next.cohort.match),
      fallback: next.fallback,
      capture: next.capture,
      captureRules: next.capture && compileCapture(next.capture),
      pools: poolsOf(route, next.backends, next.fallback),
      segmentation: next.segmentation,
      segmentOf: next.segmentation && requestSegmenter(next.segmentation),
      version: (existing?.version ?? 0) + 1,
      updatedAt: new Date().toISOString(),
    };
    // Replace rather than mutate: the data plane may hold a reference to the old entry for an
    // in-flight request and must see a consistent snapshot.
    this.routes.set(route, entry);
    const state = toState(entry);
    const previous = existing ? toState(existing) : null;
    for (const listener of this.listeners) listener(route, state, previous);
    return { state, changed: true };
  }
}

function copyBackend(backend: BackendSpec): BackendSpec {
  const copy: BackendSpec = { name: backend.name, baseUrl: backend.baseUrl, model: backend.model };
  if (backend.apiKey !== undefined) copy.apiKey = backend.apiKey;
  if (backend.pricing !== undefined) copy.pricing = { ...backend.pricing };
  // Parsed JSON all the way down: a JSON copy is a deep one.
  if (backend.config !== undefined) copy.config = JSON.parse(JSON.stringify(backend.config)) as ConfigBundle;
  if (backend.members !== undefined) copy.members = backend.members.map(copyMember);
  return copy;
}

function copyMember(member: PoolMember): PoolMember {
  const copy: PoolMember = { name: member.name, baseUrl: member.baseUrl, weight: member.weight };
  if (member.model !== undefined) copy.model = member.model;
  if (member.apiKey !== undefined) copy.apiKey = member.apiKey;
  return copy;
}

function poolsOf(
  route: string,
  backends: readonly BackendSpec[],
  fallback: Readonly<ResolvedFallback> | null,
): RoutePools | null {
  return routePools(route, fallback ? [...backends, fallback.backend] : backends);
}

/** The definition's fallback with maxAttempts filled in; null when it has none. */
function resolvedFallback(fallback: RouteFallback | undefined): ResolvedFallback | null {
  if (fallback === undefined) return null;
  const resolved: ResolvedFallback = { backend: copyBackend(fallback.backend), maxAttempts: fallback.maxAttempts ?? 1 };
  if (fallback.timeoutMs !== undefined) resolved.timeoutMs = fallback.timeoutMs;
  return resolved;
}

function copyFallback(fallback: Readonly<ResolvedFallback>): ResolvedFallback {
  return { ...fallback, backend: copyBackend(fallback.backend) };
}

function sameBackend(x: BackendSpec, y: BackendSpec): boolean {
  return (
    x.name === y.name &&
    x.baseUrl === y.baseUrl &&
    x.model === y.model &&
    x.apiKey === y.apiKey &&
    x.pricing?.inputPer1k === y.pricing?.inputPer1k &&
    x.pricing?.outputPer1k === y.pricing?.outputPer1k &&
    configDigest(x.config) === configDigest(y.config) &&
    sameMembers(x.members, y.members)
  );
}

function sameMembers(a: readonly PoolMember[] | undefined, b: readonly PoolMember[] | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return (
    a.length === b.length &&
    a.every((x, i) => {
      const y = b[i];
      return (
        y !== undefined &&
        x.name === y.name &&
        x.baseUrl === y.baseUrl &&
        x.model === y.model &&
        x.apiKey === y.apiKey &&
        x.weight === y.weight
      );
    })
  );
}

function sameFallback(a: Readonly<ResolvedFallback> | null, b: Readonly<ResolvedFallback> | null): boolean {
  if (a === null || b === null) return a === b;
  return sameBackend(a.backend, b.backend) && a.maxAttempts === b.maxAttempts && a.timeoutMs === b.timeoutMs;
}

function sameContent(a: RouteContent, b: RouteContent): boolean {
  const sameBackends =
    a.backends.length === b.backends.length &&
    a.backends.every((x, i) => {
      const y = b.backends[i];
      return y !== undefined && sameBackend(x, y);
    });
  const sameWeights = a.backends.every((x) => a.weights[x.name] === b.weights[x.name]);
  const sameShadow =
    a.shadow.enabled === b.shadow.enabled && a.shadow.target === b.shadow.target && a.shadow.share === b.shadow.share;
  const sameRollout = a.rollout?.rollout === b.rollout?.rollout && a.rollout?.stage === b.rollout?.stage;
  return (
    sameBackends &&
    sameWeights &&
    sameShadow &&
    sameRollout &&
    sameCohort(a, b) &&
    sameFallback(a.fallback, b.fallback) &&
    stableStringify(a.capture) === stableStringify(b.capture) &&
    stableStringify(a.segmentation) === stableStringify(b.segmentation)
  );
}

function sameCohort(a: RouteContent, b: RouteContent): boolean {
  if (a.cohort === null || b.cohort === null) return a.cohort === b.cohort;
  const { weights } = b.cohort;
  return (
    a.backends.every((x) => a.cohort!.weights[x.name] === weights[x.name]) && sameMatch(a.cohort.match, b.cohort.match)
  );
}

/** Rules are parsed JSON: equal rules have equal canonical JSON whatever order their keys came in. */
function sameMatch(a: CohortMatch, b: CohortMatch): boolean {
  return stableStringify(a) === stableStringify(b);
}

/**
 * `requested` over all of the route's backends (0 for those not named): every name must be one of
 * them (409, like a weight for a backend the route does not have) and the whole must sum to 100.
 */
function fullWeights(
  route: string,
  backends: readonly BackendSpec[],
  requested: Readonly<Record<string, number>>,
  field: string,
): Record<string, number> {
  for (const name of Object.keys(requested)) {
    if (!backends.some((b) => b.name === name)) {
      throw new RouteConflictError(
        `${field}.${name}`,
        `route '${route}' has no backend '${name}' (backends: ${backends.map((b) => b.name).join(', ')})`,
      );
    }
  }
  const weights = Object.fromEntries(backends.map((b) => [b.name, requested[b.name] ?? 0]));
  const sum = Object.values(weights).reduce((x, y) => x + y, 0);
  if (sum !== 100) throw new InvalidRequestError(field, `must sum to 100, got ${sum}`);
  return weights;
}

/**
 * The cohort over a route's new backends, or null when a backend it sends traffic to was removed.
 * Cleared rather than refused (as removing a weighted backend is): the cohort is an overlay on the
 * route's weights, and without it its requests follow those weights, which are whole and checked;
 * handing the removed backend's share of the cohort to some other backend would be a guess.
 */
function cohortOver(cohort: Readonly<CohortRule> | null, backends: readonly BackendSpec[]): CohortRule | null {
  if (cohort === null) return null;
  const weights = Object.fromEntries(backends.map((b) => [b.name, cohort.weights[b.name] ?? 0]));
  const sum = Object.values(weights).reduce((x, y) => x + y, 0);
  return sum === 100 ? { match: cohort.match, weights } : null;
}

/** Parsed JSON all the way down: a JSON copy is a deep one. */
function copyCohort(cohort: Readonly<CohortRule>): CohortRule {
  return JSON.parse(JSON.stringify(cohort)) as CohortRule;
}

/** A saved capture, checked as a PUT of the same setting would be: a pattern that does not compile fails the start. */
function restoredCapture(saved: unknown): CaptureSetting {
  if (typeof saved !== 'object' || saved === null || Array.isArray(saved))
    throw new InvalidRequestError('capture', 'must be an object');
  try {
    return captureSettingOf(parseOrThrow(setCaptureSchema, { ...saved, enabled: true }, 'capture'))!;
  } catch (error) {
    // Named from the route, as the file holds it: `capture.redact.patterns[0].regex`.
    if (error instanceof InvalidRequestError) throw new InvalidRequestError(`capture.${error.field}`, error.detail);
    throw error;
  }
}

/** A rule is one flat object ({header}, {metadata} or {language}); null for none (absent or null in a definition). */
function copySegmentation(rule: Readonly<RouteSegmentation> | null | undefined): RouteSegmentation | null {
  return rule ? { ...rule } : null;
}

/** Parsed JSON all the way down: a JSON copy is a deep one. */
function copyCapture(capture: Readonly<CaptureSetting>): CaptureSetting {
  return JSON.parse(JSON.stringify(capture)) as CaptureSetting;
}

/** A backend as the admin API shows it: without its apiKey, with its bundle's digest. */
function shownBackend({ apiKey: _secret, members, ...shown }: BackendSpec): ShownBackend {
  const digest = configDigest(shown.config);
  return {
    ...copyBackend(shown),
    ...(digest !== null && { configDigest: digest }),
    ...(members !== undefined && { members: members.map(shownMember) }),
  };
}

/** A pool member as the admin API shows it: without its apiKey. */
function shownMember({ apiKey: _secret, ...shown }: PoolMember): ShownPoolMember {
  return shown;
}

function fallbackState(fallback: Readonly<ResolvedFallback>): FallbackState {
  return {
    backend: shownBackend(fallback.backend),
    maxAttempts: fallback.maxAttempts,
    ...(fallback.timeoutMs !== undefined && { timeoutMs: fallback.timeoutMs }),
  };
}

function toState(entry: RouteEntry): RouteState {
  return {
    route: entry.route,
    backends: entry.backends.map(shownBackend),
    weights: { ...entry.weights },
    shadow: { ...entry.shadow },
    rollout: entry.rollout && { ...entry.rollout },
    cohort: entry.cohort && copyCohort(entry.cohort),
    fallback: entry.fallback && fallbackState(entry.fallback),
    capture: entry.capture && copyCapture(entry.capture),
    segmentation: copySegmentation(entry.segmentation),
    version: entry.version,
    updatedAt: entry.updatedAt,
  };
}

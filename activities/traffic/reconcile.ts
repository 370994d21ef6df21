// The traffic layer brought to the state the workflow wants, over any TrafficRouter. The rollout's
// own state is the truth: a layer that restarted empty, came back from an old config, or was
// edited by hand is corrected, and every correction is said. Only reads and idempotent writes, so
// an activity that runs this may be retried at will.
import { ApplicationFailure } from '@temporalio/common';
import stableStringify from 'fast-json-stable-stringify';
import type { DesiredTraffic, ReconcileTrafficResult, RestoreBaselineResult, TrafficState } from '../contract';
import { FanOutRouter, settleEach } from './fan-out-router';
import type { ResolvedBackend, TrafficRouter } from './traffic-router';
import { FailureType } from '../../workflows/failure-types';

/** The plan's two backends, resolved only when a route has to be (re)defined: it may need API keys. */
export type BackendsSource = () => { baseline: ResolvedBackend; candidate: ResolvedBackend };

const BASELINE_ONLY: DesiredTraffic = {
  weights: { baseline: 100, candidate: 0 },
  shadow: { enabled: false, target: null, share: 0 },
};

/** The route's state, or null when the traffic layer does not know the route. */
export async function readIfDefined(router: TrafficRouter): Promise<TrafficState | null> {
  try {
    return await router.read();
  } catch (error) {
    if (error instanceof ApplicationFailure && error.type === FailureType.RouteNotFound) return null;
    throw error;
  }
}

export async function reconcileTraffic(
  router: TrafficRouter,
  backends: BackendsSource,
  desired: DesiredTraffic,
): Promise<ReconcileTrafficResult> {
  if (router instanceof FanOutRouter) {
    // Each replica on its own: one that restarted empty must not hide behind one that did not.
    const results = await settleEach(router.replicas, (replica) =>
      reconcileOne(replica.router, backends, desired, 'definition'),
    );
    return {
      found: results[0]!.found,
      state: results[0]!.state,
      corrections: results.flatMap((result, index) =>
        result.corrections.map((correction) => `${router.replicas[index]!.name}: ${correction}`),
      ),
    };
  }
  return reconcileOne(router, backends, desired, 'definition');
}

/**
 * What is put back: a check puts back the route's whole definition ('definition'); a restore moves
 * traffic only ('traffic'). A restore is on the path to a rollback, where an extra read costs
 * latency, and break-glass runs it from the CLI, which may not hold the API keys a definition needs.
 */
type ReconcileScope = 'definition' | 'traffic';

async function reconcileOne(
  router: TrafficRouter,
  backends: BackendsSource,
  desired: DesiredTraffic,
  scope: ReconcileScope,
): Promise<ReconcileTrafficResult> {
  const found = await readIfDefined(router);
  const corrections: string[] = [];
  const redefined = !found || !servesBoth(found);
  let state: TrafficState;
  if (!redefined) state = found;
  else {
    const { baseline, candidate } = backends();
    state = await router.defineBackends(baseline, candidate);
    corrections.push(
      found
        ? `the route had backends [${found.backends.join(', ')}]; baseline and candidate defined again`
        : 'the route was not defined on the traffic layer; recreated from the plan',
    );
  }
  const cohortLost = desired.cohort !== undefined && !sameCohort(state.cohort, desired.cohort);
  if (cohortLost && router.setCohortWeights) {
    // Weights and cohort in one change, as the rollout set them.
    corrections.push(
      `the cohort's weights were ${state.cohort ? describeWeights(state.cohort.weights) : 'gone'}; set back to ${describeWeights(desired.cohort!.weights)}`,
    );
    if (!sameWeights(state.weights, desired.weights))
      corrections.push(
        `weights were ${describeWeights(state.weights)}; set back to ${describeWeights(desired.weights)}`,
      );
    state = await router.setCohortWeights(desired.weights, desired.cohort!);
  } else if (!sameWeights(state.weights, desired.weights)) {
    corrections.push(`weights were ${describeWeights(state.weights)}; set back to ${describeWeights(desired.weights)}`);
    state = await router.setWeights(desired.weights);
  }
  if (!sameShadow(state.shadow, desired.shadow)) {
    corrections.push(`mirroring was ${describeShadow(state.shadow)}; set back to ${describeShadow(desired.shadow)}`);
    state = await router.setShadow(desired.shadow);
  }
  // Last, so a backend someone added with weight carries none by now and may be dropped.
  if (scope === 'definition' && !redefined && router.reassertDefinition) {
    const { baseline, candidate } = backends();
    const reasserted = await router.reassertDefinition(baseline, candidate);
    state = reasserted.state;
    if (reasserted.differed.length > 0)
      corrections.push(
        `the route's definition differed from the plan (${reasserted.differed.join('; ')}); defined again, weights and mirroring kept`,
      );
  }
  return { found, state, corrections };
}

/**
 * Compensation's one step: all live traffic on the baseline, a cohort's included, mirroring off. A
 * route that is gone is recreated (its baseline takes all traffic on creation); one already
 * restored is left as it is.
 */
export async function restoreBaseline(router: TrafficRouter, backends: BackendsSource): Promise<RestoreBaselineResult> {
  if (router instanceof FanOutRouter) {
    const results = await settleEach(router.replicas, (replica) => restoreOne(replica.router, backends));
    return {
      state: results[0]!.state,
      alreadyRestored: results.every((result) => result.alreadyRestored),
      recreated: results.some((result) => result.recreated),
    };
  }
  return restoreOne(router, backends);
}

async function restoreOne(router: TrafficRouter, backends: BackendsSource): Promise<RestoreBaselineResult> {
  const found = await readIfDefined(router);
  if (
    found &&
    sameWeights(found.weights, BASELINE_ONLY.weights) &&
    sameShadow(found.shadow, BASELINE_ONLY.shadow) &&
    !cohortOnCandidate(found)
  ) {
    return { state: found, alreadyRestored: true, recreated: false };
  }
  let { state } = await reconcileOne(router, backends, BASELINE_ONLY, 'traffic');
  // Route weights already at baseline 100 are not set again by reconcileOne, which would leave a
  // cohort still on the candidate; setting them clears it (the gateway router sends cohort: null
  // with candidate 0).
  if (cohortOnCandidate(state)) state = await router.setWeights(BASELINE_ONLY.weights);
  return { state, alreadyRestored: false, recreated: found === null };
}

function cohortOnCandidate(state: TrafficState): boolean {
  return (state.cohort?.weights.candidate ?? 0) > 0;
}

function servesBoth(state: TrafficState): boolean {
  return state.backends.includes('baseline') && state.backends.includes('candidate');
}

export function sameWeights(a: TrafficState['weights'], b: TrafficState['weights']): boolean {
  return a.baseline === b.baseline && a.candidate === b.candidate;
}

function sameShadow(a: TrafficState['shadow'], b: TrafficState['shadow']): boolean {
  if (!a.enabled || !b.enabled) return a.enabled === b.enabled;
  return a.target === b.target && Math.abs(a.share - b.share) < 1e-9;
}

function describeWeights(weights: TrafficState['weights']): string {
  return `baseline ${weights.baseline} % / candidate ${weights.candidate} %`;
}

function describeShadow(shadow: TrafficState['shadow']): string {
  return shadow.enabled ? `on (${shadow.target}, ${Math.round(shadow.share * 100)} %)` : 'off';
}

function sameCohort(a: TrafficState['cohort'], b: NonNullable<TrafficState['cohort']>): boolean {
  return !!a && sameWeights(a.weights, b.weights) && stableStringify(a.match) === stableStringify(b.match);
}

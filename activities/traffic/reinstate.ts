// Revert after promotion: the previous baseline's kept definition back on the route, all traffic on
// it, mirroring off, in one move and without analysis. Only over a route that still holds what the
// promotion left (or that a retried revert already reinstated): a route another rollout or a person
// has changed since is left alone, since putting the old baseline back would undo their change.
import { ApplicationFailure } from '@temporalio/common';
import type { ReinstateBaselineInput, TrafficState } from '../contract';
import { FanOutRouter, settleEach, type Replica } from './fan-out-router';
import { readIfDefined, sameWeights, type BackendsSource } from './reconcile';
import type { TrafficRouter } from './traffic-router';
import { FailureType } from '../../workflows/failure-types';

const BASELINE_ONLY = { baseline: 100, candidate: 0 };

export async function reinstateBaseline(
  router: TrafficRouter,
  backends: BackendsSource,
  promoted: ReinstateBaselineInput['promoted'],
): Promise<TrafficState> {
  const replicas: readonly Replica[] = router instanceof FanOutRouter ? router.replicas : [{ name: 'route', router }];
  // Every gateway is checked before any is changed: a refusal leaves all of them as they were.
  const found = await settleEach(replicas, (replica) => readIfDefined(replica.router));
  const changed = found.flatMap((state, index) =>
    state && !asPromotionLeftIt(state, promoted) && !reinstated(state)
      ? [
          `${replicas[index]!.name}: backends [${state.backends.join(', ')}], weights baseline ${state.weights.baseline} % / candidate ${state.weights.candidate} %`,
        ]
      : [],
  );
  if (changed.length > 0)
    throw ApplicationFailure.nonRetryable(
      `the route changed since promotion (promotion left backends [${promoted.backends.join(', ')}], weights baseline ${promoted.weights.baseline} % / candidate ${promoted.weights.candidate} %; now ${changed.join('; ')}); not reverting over it`,
      FailureType.RouteChangedSincePromotion,
    );
  const states = await settleEach(replicas, (replica) => reinstateOne(replica.router, backends));
  return states[0]!;
}

async function reinstateOne(router: TrafficRouter, backends: BackendsSource): Promise<TrafficState> {
  const { baseline, candidate } = backends();
  // On the gateway, redefining 'baseline' with the kept definition moves the traffic it carries
  // (all of it, after retirement) back onto the previous model in one step.
  let state = await router.defineBackends(baseline, candidate);
  if (!sameWeights(state.weights, BASELINE_ONLY)) state = await router.setWeights(BASELINE_ONLY);
  if (state.shadow.enabled) state = await router.setShadow({ enabled: false, target: null, share: 0 });
  return state;
}

function asPromotionLeftIt(state: TrafficState, promoted: ReinstateBaselineInput['promoted']): boolean {
  return (
    sameWeights(state.weights, promoted.weights) &&
    state.backends.length === promoted.backends.length &&
    promoted.backends.every((name) => state.backends.includes(name))
  );
}

function reinstated(state: TrafficState): boolean {
  return (
    sameWeights(state.weights, BASELINE_ONLY) &&
    state.backends.includes('baseline') &&
    state.backends.includes('candidate') &&
    !state.shadow.enabled
  );
}

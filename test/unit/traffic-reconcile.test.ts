// The traffic layer brought back to the rollout's state, over a router held in memory: what is
// corrected, in what words, and what a restore does with a route that is gone or already safe.
import { ApplicationFailure } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import type { DesiredTraffic } from '../../activities/contract';
import { FanOutRouter } from '../../activities/traffic/fan-out-router';
import { reconcileTraffic, restoreBaseline } from '../../activities/traffic/reconcile';
import { FailureType } from '../../workflows/failure-types';
import { InMemoryRouter } from '../support/in-memory-router';

const backends = () => ({
  baseline: { baseUrl: 'http://127.0.0.1:1/v1', model: 'a' },
  candidate: { baseUrl: 'http://127.0.0.1:2/v1', model: 'b' },
});
const canary: DesiredTraffic = {
  weights: { baseline: 75, candidate: 25 },
  shadow: { enabled: false, target: null, share: 0 },
};

function routerAt(desired: DesiredTraffic): InMemoryRouter {
  const router = new InMemoryRouter();
  router.state = { ...desired, backends: ['baseline', 'candidate'] };
  return router;
}

describe('reconcileTraffic', () => {
  it('puts back a cohort the layer lost or changed, with the weights in one change, and keeps one it holds', async () => {
    const cohort = { match: { header: 'x-tenant', values: ['acme'] }, weights: { baseline: 50, candidate: 50 } };
    const exposed: DesiredTraffic = { ...canary, weights: { baseline: 100, candidate: 0 }, cohort };
    const held = routerAt(exposed);
    expect((await reconcileTraffic(held, backends, exposed)).corrections).toEqual([]);

    // A layer restarted from an old config: route weights right, cohort gone.
    const lost = routerAt({ weights: exposed.weights, shadow: exposed.shadow });
    const result = await reconcileTraffic(lost, backends, exposed);
    expect(result.corrections).toEqual(["the cohort's weights were gone; set back to baseline 50 % / candidate 50 %"]);
    expect(result.state.cohort).toEqual(cohort);
    expect(lost.history).toHaveLength(1);

    // Edited by hand: another rule with the same weights is not the rollout's cohort.
    const edited = routerAt({ weights: exposed.weights, shadow: exposed.shadow });
    edited.state = { ...edited.state, cohort: { ...cohort, match: { header: 'x-tenant', values: ['globex'] } } };
    await reconcileTraffic(edited, backends, exposed);
    expect(edited.state.cohort).toEqual(cohort);
  });

  it('changes nothing on a layer that holds the desired state', async () => {
    const router = routerAt(canary);
    const result = await reconcileTraffic(router, backends, canary);
    expect(result.corrections).toEqual([]);
    expect(router.history).toEqual([]);
    expect(result.found).toEqual(result.state);
  });

  it('recreates a missing route and sets its weights, saying both', async () => {
    const router = new InMemoryRouter();
    router.forget();
    const result = await reconcileTraffic(router, backends, canary);
    expect(result.found).toBeNull();
    expect(result.state.weights).toEqual({ baseline: 75, candidate: 25 });
    expect(result.corrections).toEqual([
      'the route was not defined on the traffic layer; recreated from the plan',
      'weights were baseline 100 % / candidate 0 %; set back to baseline 75 % / candidate 25 %',
    ]);
  });

  it('defines the candidate again on a route that lost it, and turns mirroring back on', async () => {
    const router = routerAt({
      weights: { baseline: 100, candidate: 0 },
      shadow: { enabled: false, target: null, share: 0 },
    });
    router.state = { ...router.state, backends: ['baseline'] };
    const shadow: DesiredTraffic = {
      weights: { baseline: 100, candidate: 0 },
      shadow: { enabled: true, target: 'candidate', share: 0.2 },
    };
    const result = await reconcileTraffic(router, backends, shadow);
    expect(result.corrections).toEqual([
      'the route had backends [baseline]; baseline and candidate defined again',
      'mirroring was off; set back to on (candidate, 20 %)',
    ]);
    expect(result.state.shadow).toEqual(shadow.shadow);
  });

  it('passes a router refusal on unchanged', async () => {
    const router = routerAt({ weights: { baseline: 100, candidate: 0 }, shadow: canary.shadow });
    router.refusals.set('setWeights', { type: FailureType.RouteConflict, left: 1 });
    await expect(reconcileTraffic(router, backends, canary)).rejects.toMatchObject({ type: FailureType.RouteConflict });
  });
});

describe('restoreBaseline', () => {
  it('counts a layer already on the baseline with mirroring off as done, writing nothing', async () => {
    const router = routerAt({
      weights: { baseline: 100, candidate: 0 },
      shadow: { enabled: false, target: null, share: 0 },
    });
    expect(await restoreBaseline(router, backends)).toMatchObject({ alreadyRestored: true, recreated: false });
    expect(router.history).toEqual([]);
  });

  it('moves the weights back and stops mirroring', async () => {
    const router = routerAt({
      weights: { baseline: 50, candidate: 50 },
      shadow: { enabled: true, target: 'baseline', share: 1 },
    });
    const result = await restoreBaseline(router, backends);
    expect(result).toMatchObject({ alreadyRestored: false, recreated: false });
    expect(router.state.weights).toEqual({ baseline: 100, candidate: 0 });
    expect(router.state.shadow.enabled).toBe(false);
  });

  it('recreates a route that is gone, on the baseline', async () => {
    const router = new InMemoryRouter();
    router.forget();
    const result = await restoreBaseline(router, backends);
    expect(result).toMatchObject({ alreadyRestored: false, recreated: true });
    expect(router.state.weights).toEqual({ baseline: 100, candidate: 0 });
    expect(router.defined).toBe(true);
  });
});

describe('several replicas', () => {
  const replicas = (...routers: InMemoryRouter[]) =>
    new FanOutRouter(routers.map((router, index) => ({ name: `gw-${index + 1}`, router })));

  it('corrects each replica on its own and names it', async () => {
    const healthy = routerAt(canary);
    const restarted = new InMemoryRouter();
    restarted.forget();
    const result = await reconcileTraffic(replicas(healthy, restarted), backends, canary);
    expect(result.corrections).toEqual([
      'gw-2: the route was not defined on the traffic layer; recreated from the plan',
      'gw-2: weights were baseline 100 % / candidate 0 %; set back to baseline 75 % / candidate 25 %',
    ]);
    expect(restarted.state.weights).toEqual(canary.weights);
    expect(healthy.history).toEqual([]);
  });

  it('restores every replica it can reach and fails retryably while one is down, as a refusal only when all refuse', async () => {
    const up = routerAt(canary);
    const down = routerAt(canary);
    down.failures.set('read', 1);
    const error = await restoreBaseline(replicas(up, down), backends).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    expect(error).not.toBeInstanceOf(ApplicationFailure);
    expect((error as Error).message).toContain('1 of 2 gateways did not take the change: gw-2: simulated read failure');
    expect(up.state.weights).toEqual({ baseline: 100, candidate: 0 });
    expect(await restoreBaseline(replicas(up, down), backends)).toMatchObject({ alreadyRestored: false });
    const a = routerAt(canary);
    const b = routerAt(canary);
    for (const router of [a, b]) router.refusals.set('setWeights', { type: FailureType.RouteConflict, left: 1 });
    await expect(restoreBaseline(replicas(a, b), backends)).rejects.toMatchObject({
      type: FailureType.RouteConflict,
      nonRetryable: true,
    });
  });
});

// Undo after promotion on the time-skipping server: within the plan's revert window a `revert`
// Update puts the previous baseline's kept definition back on the route at once, without analysis,
// and records who and why; without a reason, before promotion, over a route changed since, or
// after the window it is refused.
import { WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createActivities } from '../../activities';
import { RolloutService } from '../../client/rollout-service';
import type { RolloutPlanInput } from '../../plan/schema';
import {
  ModelRolloutWorkflow,
  revertUpdate,
  rollbackSignal,
  statusQuery,
  type RevertRequest,
} from '../../workflows/model-rollout';
import type { RolloutStatus } from '../../workflows/rollout-state';
import { FailureType } from '../../workflows/failure-types';
import { replayAndRecord } from '../support/histories';
import { InMemoryRouter } from '../support/in-memory-router';
import { testPlan } from '../support/plans';
import { scriptedFigures } from '../support/scripted-figures';
import { createTimeSkippingEnv, workflowBundle } from '../support/temporal';

const taskQueue = 'rollout-revert-tests';
const routers = new Map<string, InMemoryRouter>();

let env: TestWorkflowEnvironment;
let worker: Worker;
let running: Promise<void>;

function routerFor(route: string): InMemoryRouter {
  let router = routers.get(route);
  if (!router) routers.set(route, (router = new InMemoryRouter()));
  return router;
}

beforeAll(async () => {
  env = await createTimeSkippingEnv();
  const activities = createActivities({
    routerFor: (_config, route) => routerFor(route),
    readFigures: scriptedFigures((route) => routerFor(route).state, new Map()),
    slack: false,
  });
  worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowBundle: await workflowBundle(),
    activities,
  });
  running = worker.run();
});

afterAll(async () => {
  worker?.shutdown();
  await running;
  await env?.teardown();
});

let counter = 0;
/** A rollout whose plan keeps a revert window (the plan's default, 24h, unless given). */
async function start(revertWindow?: string) {
  const id = `revert-${++counter}-${Date.now() % 100_000}`;
  const plan: RolloutPlanInput = testPlan({ id, revertWindow });
  if (revertWindow === undefined) delete plan.stages?.cutover?.revertWindow;
  const handle = await env.client.workflow.start(ModelRolloutWorkflow, { taskQueue, workflowId: id, args: [{ plan }] });
  return { id, handle, router: routerFor(id) };
}

/** Polls the status, letting server time jump ahead between looks. */
async function waitFor(
  handle: WorkflowHandle<typeof ModelRolloutWorkflow>,
  predicate: (status: RolloutStatus) => boolean,
  what: string,
): Promise<RolloutStatus> {
  for (let attempt = 0; attempt < 400; attempt++) {
    const status = await handle.query(statusQuery);
    if (predicate(status)) return status;
    await env.sleep(attempt < 20 ? 1_000 : 20_000);
  }
  throw new Error(`timed out waiting for ${what}`);
}

const promoted = (status: RolloutStatus) => status.phase === 'promoted';

async function refusal(handle: WorkflowHandle<typeof ModelRolloutWorkflow>, request: Partial<RevertRequest>) {
  const error = await handle.executeUpdate(revertUpdate, { args: [request as RevertRequest] }).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(WorkflowUpdateFailedError);
  return (error as WorkflowUpdateFailedError).cause as Error & { type?: string };
}

describe('revert after promotion', () => {
  it('puts the retired baseline back on the route at once within the window, recording who and why', async () => {
    const { handle, router } = await start();
    // Promoted at once (`rollout run --wait` returns here), not at the end of the revert window.
    const status = await waitFor(handle, promoted, 'promotion');
    expect(status.outcome).toBe('promoted');
    expect(Date.parse(status.revertibleUntil!) - Date.parse(status.timeline.at(-1)!.at)).toBe(24 * 3_600_000);
    expect(router.retired).toBe(true);
    expect(router.models).toEqual({ baseline: 'sim-candidate' });

    // A rollback signal now has nothing to undo: it is said and ignored.
    await handle.signal(rollbackSignal, { reason: 'wrong button', by: 'dave' });
    await waitFor(handle, (s) => s.timeline.some((event) => event.type === 'rollback_ignored'), 'rollback ignored');
    expect(router.models.baseline).toBe('sim-candidate');

    await env.sleep('3h');
    const receipt = await handle.executeUpdate(revertUpdate, {
      args: [{ by: 'oncall-dave', reason: 'INC-77: answers cut off mid-sentence' }],
    });
    expect(receipt).toMatchObject({
      by: 'oncall-dave',
      reason: 'INC-77: answers cut off mid-sentence',
      baselineModel: 'sim-baseline',
    });
    // The traffic was back before the Update answered.
    expect(router.models).toEqual({ baseline: 'sim-baseline', candidate: 'sim-candidate' });
    expect(router.state.weights).toEqual({ baseline: 100, candidate: 0 });
    expect(router.state.shadow.enabled).toBe(false);

    const result = await handle.result();
    expect(result.outcome).toBe('reverted');
    expect(result.reason).toBe(
      `reverted by oncall-dave: INC-77: answers cut off mid-sentence; sim-baseline back on route ${result.rolloutId} at 100 %`,
    );
    expect(result.reverted).toMatchObject({ by: 'oncall-dave', reason: 'INC-77: answers cut off mid-sentence' });
    const types = result.timeline.map((event) => event.type);
    expect(types.slice(-4)).toEqual(['promoted', 'rollback_ignored', 'revert_requested', 'reverted']);
    expect(result.timeline.find((event) => event.type === 'reverted')?.by).toBe('oncall-dave');
    // Without analysis: nothing was judged after promotion.
    expect(result.verdicts).toHaveLength(status.verdicts.length);

    // A second revert of the closed rollout: refused as already reverted.
    const again = await new RolloutService(env.client).revert(result.rolloutId, { by: 'alice', reason: 'again' });
    expect(again).toMatchObject({ ok: false, kind: FailureType.AlreadyReverted });

    await replayAndRecord([{ name: 'reverted-after-promotion', history: await handle.fetchHistory() }]);
  });

  it('refuses a revert before promotion, without a reason or without who, and over a route changed since promotion', async () => {
    const { handle, router } = await start('2h');
    await waitFor(handle, (s) => s.stage === 'canary-1', 'canary-1');
    const early = await refusal(handle, { by: 'alice', reason: 'too soon' });
    expect(early.type).toBe(FailureType.NotPromoted);
    expect(early.message).toContain('roll it back instead');

    await waitFor(handle, promoted, 'promotion');
    expect((await refusal(handle, { by: 'alice', reason: '  ' })).type).toBe(FailureType.ReasonRequired);
    expect((await refusal(handle, { reason: 'INC-78' })).type).toBe(FailureType.InvalidDecision);

    // Another rollout took the route over since (it defined its own backends and moved weight).
    const before = structuredClone(router.state);
    router.state = { ...router.state, weights: { baseline: 90, candidate: 10 }, backends: ['baseline', 'candidate'] };
    const changed = await refusal(handle, { by: 'alice', reason: 'INC-78' });
    expect(changed.type).toBe(FailureType.RouteChangedSincePromotion);
    expect(changed.message).toContain('the route changed since promotion');
    expect(router.state.weights).toEqual({ baseline: 90, candidate: 10 });
    const stillPromoted = await handle.query(statusQuery);
    expect(stillPromoted.phase).toBe('promoted');
    expect(stillPromoted.timeline.at(-1)?.type).toBe('revert_failed');

    // Once the route is as promotion left it again, the revert goes through.
    router.state = before;
    const receipt = await handle.executeUpdate(revertUpdate, { args: [{ by: 'alice', reason: 'INC-78' }] });
    expect(receipt.by).toBe('alice');
    expect((await handle.result()).outcome).toBe('reverted');
  });

  it('ends promoted when nobody reverts within the window, and refuses a revert after it', async () => {
    const { id, handle, router } = await start('1h');
    const result = await handle.result(); // time skips past the window
    expect(result.outcome).toBe('promoted');
    expect(result.timeline.at(-1)?.type).toBe('revert_window_closed');
    const late = await new RolloutService(env.client).revert(id, { by: 'alice', reason: 'INC-79' });
    expect(late).toMatchObject({ ok: false, kind: FailureType.RevertWindowClosed });
    expect(late.ok === false && late.message).toContain(`revert window closed at ${result.revertibleUntil}`);
    expect(router.models).toEqual({ baseline: 'sim-candidate' });
  });

  it('ends at promotion when the plan keeps no revert window', async () => {
    const { id, handle } = await start('0s');
    const result = await handle.result();
    expect(result.outcome).toBe('promoted');
    expect(result.revertibleUntil).toBeUndefined();
    expect(result.timeline.some((event) => event.type === 'revert_window_closed')).toBe(false);
    const late = await new RolloutService(env.client).revert(id, { by: 'alice', reason: 'INC-80' });
    expect(late).toMatchObject({ ok: false, kind: FailureType.RevertWindowClosed });
  });
});

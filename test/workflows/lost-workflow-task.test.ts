// A worker killed while it holds a workflow task, mid canary window, on the real dev server: the
// task times out, a new worker (with its cache, as workers run) finishes the rollout while its
// status is being asked, and the whole history must replay. The test plays the dying worker itself:
// it takes the task from the queue by hand and never answers.
//
// bench:chaos found runs that could never replay after such a crash: the workflow clock read across
// the lost task was not the same on the worker that went on and on a later replay, and the window,
// counted in clock deltas, ended at a different check (workflows/model-rollout.ts,
// 'window-counts-slices'). This test has not made the clocks part on its own; it holds the
// recovery and the replay, and the bench's stuck count holds the fix.
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createActivities } from '../../activities';
import type { RolloutPlanInput } from '../../plan/schema';
import { ModelRolloutWorkflow, statusQuery } from '../../workflows/model-rollout';
import { InMemoryRouter } from '../support/in-memory-router';
import { testPlan } from '../support/plans';
import { scriptedFigures } from '../support/scripted-figures';
import { createDevServerEnv, workflowBundle } from '../support/temporal';
import { eventually } from '../support/eventually';
import { replayAndRecord } from '../support/histories';

const taskQueue = 'lost-workflow-task';
const router = new InMemoryRouter();
let env: TestWorkflowEnvironment;

beforeAll(async () => {
  env = await createDevServerEnv();
}, 120_000);

afterAll(async () => {
  await env?.teardown();
});

const activities = () =>
  createActivities({
    routerFor: () => router,
    readFigures: scriptedFigures(() => router.state, new Map()),
    slack: false,
  });

/** Runs workflow tasks (and the plan check, a local activity) only: the activities keep running on their own worker. */
async function workflowWorker(cache: 'cache' | 'no cache'): Promise<Worker> {
  return Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowBundle: await workflowBundle(),
    activities: activities(),
    enableNonLocalActivities: false,
    // The first worker leaves no sticky queue behind for the server to route the lost task to; the
    // second keeps its runs cached, as workers do: it goes on from the lost task's activation
    // instead of replaying each task, which is where the clocks part.
    ...(cache === 'no cache' && { maxCachedWorkflows: 0 }),
  });
}

function activityWorker(): Promise<Worker> {
  return Worker.create({ connection: env.nativeConnection, taskQueue, activities: activities() });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('a workflow task lost with its worker', () => {
  it('mid-window: the new worker carries the canary to promotion and the history replays', async () => {
    const id = `lost-task-${Date.now() % 100_000}`;
    const plan: RolloutPlanInput = testPlan({ id });
    plan.stages!.shadow = { enabled: false };
    plan.stages!.canary = { ...plan.stages!.canary, steps: [{ weight: 50, window: '8s' }], checkInterval: '1s' };
    plan.stages!.cutover = { bake: '2s', revertWindow: '0s' };
    const handle = await env.client.workflow.start(ModelRolloutWorkflow, {
      taskQueue,
      workflowId: id,
      args: [{ plan }],
      workflowTaskTimeout: '5s',
    });

    const activityRunner = await activityWorker();
    const activitiesRun = activityRunner.run();

    // The first worker runs the rollout into its canary window and stops while a slice's timer
    // runs: a slice just ended (the window grew), its checks are done, the next timer is waiting.
    const first = await workflowWorker('no cache');
    const firstRun = first.run();
    // A query can time out while the worker starts up: asked again.
    const elapsed = () =>
      handle
        .query(statusQuery)
        .then((status) => status.stage === 'canary-1' && status.windowElapsedMs)
        .catch(() => false as const);
    const seen = await eventually('the canary window under way', async () => ((await elapsed()) || 0) >= 2_000, 30_000);
    expect(seen).toBe(true);
    const before = await elapsed();
    await eventually('the next slice', async () => (await elapsed()) !== before, 5_000);
    await sleep(300);
    first.shutdown();
    await firstRun;

    // The dying worker: it takes the next workflow task, the timer's firing, and never answers.
    const lost = await env.connection.withDeadline(Date.now() + 30_000, () =>
      env.connection.workflowService.pollWorkflowTaskQueue({
        namespace: 'default',
        taskQueue: { name: taskQueue },
        identity: 'worker-killed-holding-a-task',
      }),
    );
    expect(lost.workflowExecution?.workflowId).toBe(id);
    const events = lost.history?.events ?? [];
    expect(events.at(-3)?.timerFiredEventAttributes, 'the lost task is a timer firing').toBeTruthy();
    // A new worker is up while the lost task still counts as started, and someone asks the
    // rollout's status meanwhile (as `rollout status`, the UI or Slack do): the new worker answers
    // from the history so far and keeps the run cached from there. The task then times out (5 s)
    // and the new worker carries on.
    const second = await workflowWorker('cache');
    let asking = true;
    const answers: string[] = [];
    const ask = (async () => {
      while (asking) {
        const status = await handle.query(statusQuery).catch(() => null);
        if (status) answers.push(status.stage ?? 'none');
        await sleep(200);
      }
    })();
    const result = await second.runUntil(handle.result());
    asking = false;
    await ask;
    expect(answers[0], 'the status answered during the lost task').toBe('canary-1');
    activityRunner.shutdown();
    await activitiesRun;
    expect(result.outcome).toBe('promoted');

    const history = await handle.fetchHistory();
    const timedOut = history.events!.filter((event) => event.workflowTaskTimedOutEventAttributes);
    expect(timedOut.length).toBeGreaterThanOrEqual(1);
    // Replayed now, and kept as a fixture of the window's patch (RECORD_HISTORIES=1).
    await replayAndRecord([{ name: 'lost-workflow-task-mid-window', history }]);
  }, 90_000);
});

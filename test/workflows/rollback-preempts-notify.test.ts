// A rollback must not wait for a notification on the forward path (a slow Slack or webhook, with
// retries, could hold it back for most of a minute). Its own time-skipping server: the test
// server keeps time locked for an activity that completes after its workflow has finished, which
// would stall time skipping for every later test on the same server.
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createActivities } from '../../activities';
import type { NotifyInput } from '../../activities/contract';
import { ModelRolloutWorkflow, rollbackSignal, statusQuery } from '../../workflows/model-rollout';
import { InMemoryRouter } from '../support/in-memory-router';
import { testPlan } from '../support/plans';
import { scriptedFigures } from '../support/scripted-figures';
import { createTimeSkippingEnv, workflowBundle } from '../support/temporal';

const taskQueue = 'rollback-preempts-notify';
const router = new InMemoryRouter();
/** The notification that hangs, like a Slack that stopped answering, and how often it was tried. */
const hang = { type: 'stage_started', stage: 'canary-1', attempts: 0, release: () => {} };
const released = new Promise<void>((resolve) => (hang.release = resolve));

let env: TestWorkflowEnvironment;
let worker: Worker;
let running: Promise<void>;

beforeAll(async () => {
  env = await createTimeSkippingEnv();
  const activities = createActivities({
    routerFor: () => router,
    readFigures: scriptedFigures(() => router.state, new Map()),
    slack: false,
  });
  worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowBundle: await workflowBundle(),
    activities: {
      ...activities,
      async notify(input: NotifyInput) {
        if (input.event.type === hang.type && input.event.stage === hang.stage) {
          hang.attempts += 1;
          await released;
        }
        return activities.notify(input);
      },
    },
  });
  running = worker.run();
});

afterAll(async () => {
  hang.release();
  worker?.shutdown();
  await running;
  await env?.teardown();
});

describe('a rollback during a hanging notification', () => {
  it('restores the baseline at once, cancelling the notification instead of waiting for it', async () => {
    const handle = await env.client.workflow.start(ModelRolloutWorkflow, {
      taskQueue,
      workflowId: 'wf-hanging-notify',
      args: [{ plan: testPlan({ id: 'wf-hanging-notify' }) }],
    });
    // Steps well under the notification's 15 s timeout, so time skipping cannot time it out first.
    for (let look = 0; look < 200 && hang.attempts === 0; look++) await env.sleep(5_000);
    expect(hang.attempts, 'the canary-1 notification was sent').toBe(1);
    expect((await handle.query(statusQuery)).weights.candidate).toBe(5);

    await handle.signal(rollbackSignal, { reason: 'INC-4400 pager storm', by: 'oncall-dave' });
    const result = await handle.result();
    expect(result.outcome).toBe('rolled_back');
    expect(result.reason).toBe('rollback requested by oncall-dave: INC-4400 pager storm');
    expect(router.state.weights).toEqual({ baseline: 100, candidate: 0 });
    expect(router.state.shadow.enabled).toBe(false);
    // Cancelled on the rollback: neither timed out and retried, nor recorded as a failed notification.
    expect(hang.attempts).toBe(1);
    expect(result.timeline.filter((event) => event.type === 'notify_failed')).toEqual([]);
  });
});

// The A/B experiment stage on the real time-skipping test server: a fixed split after the canary,
// the primary metric looked at after the guardrails at every check, and the gate at its end.
import type { WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createActivities } from '../../activities';
import { ModelRolloutWorkflow, approveUpdate, rejectUpdate, statusQuery } from '../../workflows/model-rollout';
import type { RolloutStatus } from '../../workflows/rollout-state';
import { replayAndRecord } from '../support/histories';
import { inMemoryRouters } from '../support/in-memory-router';
import { testPlan } from '../support/plans';
import { scriptedFeedback, type FeedbackScript } from '../support/scripted-feedback';
import { scriptedRecords } from '../support/scripted-records';
import { createTimeSkippingEnv, workflowBundle } from '../support/temporal';

vi.setConfig({ testTimeout: 180_000 });

const taskQueue = 'experiment-workflow-tests';
const { routerFor } = inMemoryRouters();
const scripts = new Map<string, FeedbackScript>();

let env: TestWorkflowEnvironment;
let worker: Worker;
let running: Promise<void>;

beforeAll(async () => {
  env = await createTimeSkippingEnv();
  const activities = createActivities({
    routerFor: (_config, route) => routerFor(route),
    readRecords: scriptedRecords((route) => routerFor(route).state),
    readFeedback: scriptedFeedback(
      (route) => routerFor(route).state,
      (route) => scripts.get(route),
    ),
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

const THUMBS = {
  share: 50,
  metric: { source: 'feedback', kind: 'thumbs' },
  baselineRate: 0.3,
  minimumDetectableEffect: 0.05,
};

let counter = 0;
async function startExperiment(script: FeedbackScript, experiment: Record<string, unknown> = {}) {
  const id = `ab-${++counter}-${Date.now() % 100_000}`;
  scripts.set(id, script);
  const handle = await env.client.workflow.start(ModelRolloutWorkflow, {
    taskQueue,
    workflowId: id,
    args: [
      {
        plan: testPlan({
          id,
          judge: 'statistical',
          canarySteps: [{ weight: 10, window: '5m' }],
          experiment: { ...THUMBS, ...experiment },
        }),
      },
    ],
  });
  return { id, handle, router: routerFor(id) };
}

async function waitFor(handle: WorkflowHandle, predicate: (status: RolloutStatus) => boolean, what: string) {
  for (let attempt = 0; attempt < 200; attempt++) {
    const status = await handle.query(statusQuery);
    if (predicate(status)) return status;
    if (status.phase === 'finished') throw new Error(`finished before ${what}: ${status.reason}`);
    await env.sleep(attempt < 20 ? 1_000 : 20_000);
  }
  throw new Error(`timed out waiting for ${what}`);
}

const atExperimentGate = (status: RolloutStatus) => status.gate?.reason === 'experiment';
const candidateWeights = (history: { weights: { candidate: number } }[]) =>
  history.map((state) => state.weights.candidate).filter((weight, i, all) => i === 0 || weight !== all[i - 1]);

describe('ModelRolloutWorkflow with an A/B experiment', () => {
  it('holds the split until a clear win, then a person ships it: the cutover follows', async () => {
    const { handle, router } = await startExperiment({ rates: { baseline: 0.3, candidate: 0.45 }, perLook: 150 });
    const status = await waitFor(handle, atExperimentGate, 'the experiment gate');
    expect(status.stage).toBe('experiment');
    expect(status.gate!.before).toBe('cutover');
    expect(status.gate!.evidence!.outcome).toBe('pass');
    expect(status.gate!.evidence!.reason).toMatch(/^thumbsUpRate: the candidate is better/);
    expect(status.experiment?.metrics[0]).toMatchObject({ metric: 'thumbsUpRate', deltaKind: 'absolute' });
    expect(router.state.weights).toEqual({ baseline: 50, candidate: 50 });
    const started = status.timeline.find((e) => e.type === 'stage_started' && e.stage === 'experiment');
    expect(started?.message).toBe(
      'experiment: 50% of live traffic on the candidate, sticky per user, until the planned sample size (at most 336h)',
    );
    expect(status.timeline.some((e) => e.type === 'gate_opened' && e.message.includes('the experiment ended'))).toBe(
      true,
    );
    await handle.executeUpdate(approveUpdate, { args: [{ by: 'alice', reason: 'ship it' }] });
    const result = await handle.result();
    expect(result.outcome, result.reason).toBe('promoted');
    expect(candidateWeights(router.history)).toEqual([0, 10, 50, 100, 0]);
    expect(result.decisions?.[0]).toMatchObject({ by: 'alice', before: 'cutover', decision: 'approved' });
    // Kept as a fixture: every later release must replay an experiment.
    await replayAndRecord([{ name: 'experiment-rollout', history: await handle.fetchHistory() }]);
  });

  it('rolls back by itself when the candidate is clearly worse, long before the planned size', async () => {
    const { handle, router } = await startExperiment({ rates: { baseline: 0.3, candidate: 0.15 }, perLook: 150 });
    const result = await handle.result();
    expect(result.outcome).toBe('rolled_back');
    expect(result.reason).toMatch(/^experiment: thumbsUpRate: the candidate is worse, stopped early/);
    expect(router.state.weights).toEqual({ baseline: 100, candidate: 0 });
    // Kept as a fixture: a rollback whose restore runs in the workflow task (a local activity).
    await replayAndRecord([{ name: 'experiment-rolled-back', history: await handle.fetchHistory() }]);
  });

  it('at the planned size with no difference, a person keeps the baseline', async () => {
    const { handle, router } = await startExperiment({ rates: { baseline: 0.3, candidate: 0.3 }, perLook: 400 });
    const status = await waitFor(handle, atExperimentGate, 'the experiment gate');
    expect(status.gate!.evidence!.outcome).toBe('inconclusive');
    expect(status.gate!.evidence!.reason).toMatch(
      /no significant difference at the planned size: .* two-proportion z = /,
    );
    await handle.executeUpdate(rejectUpdate, { args: [{ by: 'bob', reason: 'no gain, keep v1' }] });
    const result = await handle.result();
    expect(result.outcome).toBe('aborted');
    expect(result.reason).toContain('rejected by bob');
    expect(router.state.weights).toEqual({ baseline: 100, candidate: 0 });
  });

  it('ends at its gate after the longest duration, short of its sample, and says so', async () => {
    const { handle } = await startExperiment(
      { rates: { baseline: 0.3, candidate: 0.32 }, perLook: 5 },
      { maxDuration: '10m' },
    );
    const status = await waitFor(handle, atExperimentGate, 'the experiment gate');
    expect(status.gate!.evidence!.reason).toMatch(/the longest duration passed short of the planned size/);
    expect(status.windowElapsedMs).toBe(600_000);
    await handle.executeUpdate(rejectUpdate, { args: [{ by: 'bob', reason: 'not enough evidence' }] });
    expect((await handle.result()).outcome).toBe('aborted');
  });
});

// The canary's behavioral check in the workflow, on the time-skipping server: the real activity
// (evals/canary-behavior.ts) on scripted answer samples. A candidate that adds a phrase is rolled
// back during the first canary step, a healthy one is promoted with one behavioral verdict per
// stage, and a non-blocking finding asks a person before the next stage.
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { ApplicationFailure } from '@temporalio/common';
import { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createActivities } from '../../activities';
import { createCanaryBehaviorActivities, type CanaryBehaviorInput } from '../../activities/canary-behavior';
import type { AnswerSample } from '../../lib/answer-sample';
import { ModelRolloutWorkflow, rejectUpdate, statusQuery } from '../../workflows/model-rollout';
import { replayAndRecord } from '../support/histories';
import { InMemoryRouter } from '../support/in-memory-router';
import { testPlan } from '../support/plans';
import { scriptedFigures } from '../support/scripted-figures';
import { scriptedRecords } from '../support/scripted-records';
import { createTimeSkippingEnv, workflowBundle } from '../support/temporal';

const taskQueue = 'canary-behavior-tests';
const routers = new Map<string, InMemoryRouter>();
type Style = 'qualifier' | 'healthy' | 'unreadable';
const styles = new Map<string, Style>();
const looks = new Map<string, CanaryBehaviorInput[]>();

let env: TestWorkflowEnvironment;
let worker: Worker;
let running: Promise<void>;

function routerFor(route: string): InMemoryRouter {
  let router = routers.get(route);
  if (!router) {
    router = new InMemoryRouter();
    routers.set(route, router);
  }
  return router;
}

const SUBJECTS = ['The invoice', 'Your order', 'The refund', 'The account', 'A payment', 'The parcel'];
const VERBS = ['arrives', 'updates', 'settles', 'renews', 'ships', 'clears'];
const OBJECTS = ['within two days', 'after review', 'by Friday', 'on the next cycle', 'once approved', 'overnight'];

/** 40 answers per side in the window, written at its start; the candidate's styled. */
function samplesFor(route: string, windowStartMs: number): AnswerSample[] {
  const at = new Date(windowStartMs + 1_000).toISOString();
  return Array.from({ length: 80 }, (_, i): AnswerSample => {
    const backend = i % 2 === 0 ? 'baseline' : 'candidate';
    const k = i * 7 + (backend === 'candidate' ? 3 : 0);
    let answer = `${SUBJECTS[k % 6]} ${VERBS[(k * 5) % 6]} ${OBJECTS[(k * 7) % 6]}. ${SUBJECTS[(k + 3) % 6]} ${VERBS[(k + 1) % 6]} ${OBJECTS[(k * 11 + 2) % 6]}.`;
    if (backend === 'candidate' && styles.get(route) === 'qualifier' && i % 4 === 1)
      answer = `As far as I can tell, ${answer[0]!.toLowerCase()}${answer.slice(1)}`;
    return {
      seq: i + 1,
      epoch: 'e1',
      requestId: `${route}-${i}`,
      route,
      backend,
      model: backend,
      mode: 'live',
      status: 200,
      request: `question ${i}`,
      answer,
      cut: false,
      at,
    };
  });
}

beforeAll(async () => {
  env = await createTimeSkippingEnv();
  const activities = createActivities({
    routerFor: (_config, route) => routerFor(route),
    readFigures: scriptedFigures((route) => routerFor(route).state, new Map()),
    readRecords: scriptedRecords((route) => routerFor(route).state),
  });
  worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowBundle: await workflowBundle(),
    activities: {
      ...activities,
      async checkCanaryBehavior(input: CanaryBehaviorInput) {
        looks.set(input.rolloutId, [...(looks.get(input.rolloutId) ?? []), input]);
        // A gateway the worker cannot read answers from: the same failure at every check.
        if (styles.get(input.route) === 'unreadable')
          throw ApplicationFailure.nonRetryable(
            'gateway admin API unreachable at http://127.0.0.1:3',
            'GatewayUnreachable',
          );
        // The gateway as the activity reads it: the window's samples after the cursor.
        const { checkCanaryBehavior } = createCanaryBehaviorActivities(async ({ route, sinceSeq }) => {
          const samples = samplesFor(route, input.windowStartMs).filter((s) => s.seq > sinceSeq);
          return { samples, epoch: 'e1', restarted: false, lost: 0, lastSeq: 80 };
        });
        return checkCanaryBehavior(input);
      },
    },
  });
  running = worker.run();
});

afterAll(async () => {
  worker?.shutdown();
  await running;
  await env?.teardown();
});

let counter = 0;
async function start(style: Style, behavioral: Record<string, unknown> = {}) {
  const id = `cb-${++counter}-${Date.now() % 100_000}`;
  styles.set(id, style);
  const plan = testPlan({ id });
  const stages = plan.stages!;
  stages.canary = { ...stages.canary!, behavioral };
  const handle = await env.client.workflow.start(ModelRolloutWorkflow, { taskQueue, workflowId: id, args: [{ plan }] });
  return { id, handle, router: routerFor(id) };
}

describe('canary behavioral checks', () => {
  it('rolls back a candidate that adds a phrase, at the first check of the first canary step', async () => {
    const { id, handle, router } = await start('qualifier');
    const result = await handle.result();
    expect(result.outcome).toBe('rolled_back');
    expect(result.reason).toMatch(/^canary-1: live answers: blocking regression/);
    expect(result.reason).toMatch(/candidate starts 50\.0% of answers with "As far as I can tell/);
    expect(result.stages.find((s) => s.id === 'canary-1')?.status).toBe('failed');
    expect(router.state.weights).toEqual({ baseline: 100, candidate: 0 });
    const verdict = result.verdicts.find((v) => v.reason.startsWith('live answers'))!;
    expect(verdict.metrics[0]).toMatchObject({ metric: 'phrasing', change: 'regression' });
    expect((verdict.metrics[0] as { decidedBy?: string }).decidedBy).toMatch(/α spent over the looks/);
    // Never in the shadow soak; one look (5 m window, 1 m checks, extendable once: 10 planned).
    expect(looks.get(id)!.map((l) => [l.stage, l.plannedLooks, l.state])).toEqual([['canary-1', 10, null]]);
  });

  it('promotes a healthy candidate, with one behavioral verdict per canary step and the bake', async () => {
    const { id, handle } = await start('healthy');
    const result = await handle.result();
    expect(result.outcome, result.reason).toBe('promoted');
    const behavioral = result.verdicts.filter((v) => v.reason.startsWith('live answers'));
    expect(behavioral.map((v) => [v.stage, v.outcome])).toEqual([
      ['canary-1', 'pass'],
      ['canary-2', 'pass'],
      ['canary-3', 'pass'],
      ['cutover', 'pass'],
    ]);
    const inputs = looks.get(id)!;
    // The state and cursors carry from look to look within a window and start afresh in the next.
    const second = inputs[1]!;
    expect(second.stage).toBe('canary-1');
    expect(second.state?.looks).toBe(1);
    expect(second.cursors).toEqual({ 'http://127.0.0.1:3': { epoch: 'e1', sinceSeq: 0, readThrough: 80 } });
    const firstOfNext = inputs.find((l) => l.stage === 'canary-2')!;
    expect(firstOfNext.state).toBeNull();
  });

  it('asks a person before the next stage when the finding is not blocking', async () => {
    const { handle, router } = await start('qualifier', { phrasing: { blocking: false } });
    let status = await handle.query(statusQuery);
    for (let i = 0; i < 200 && !status.gate; i++) {
      await env.sleep(20_000);
      status = await handle.query(statusQuery);
    }
    expect(status.gate).toMatchObject({ before: 'canary-2', reason: 'needs_review' });
    expect(status.gate!.evidence?.reason).toMatch(/needs review.*As far as I can tell/);
    expect(status.timeline.some((e) => e.type === 'behavior_differs' && e.stage === 'canary-1')).toBe(true);
    await handle.executeUpdate(rejectUpdate, { args: [{ by: 'alice', reason: 'new hedge' }] });
    const result = await handle.result();
    expect(result.outcome).toBe('aborted');
    expect(router.state.weights).toEqual({ baseline: 100, candidate: 0 });
  });
  it('says once per window that live answers could not be checked, not at every check, and still promotes', async () => {
    const { id, handle } = await start('unreadable');
    const result = await handle.result();
    // Kept as a fixture: the replay test proves both branches of patched('behavior-failure-said-once').
    await replayAndRecord([{ name: 'behavior-check-unreadable', history: await handle.fetchHistory() }]);
    expect(result.outcome, result.reason).toBe('promoted');
    const failures = result.timeline.filter((event) => event.type === 'behavior_check_failed');
    expect(failures[0]?.message).toBe('live answers not checked: gateway admin API unreachable at http://127.0.0.1:3');
    // Every check of every canary step tried (five a window), and each window said it once.
    const tried = looks.get(id)!.filter((look) => look.stage === 'canary-1').length;
    expect(tried).toBeGreaterThanOrEqual(5);
    for (const stage of ['canary-1', 'canary-2', 'canary-3'])
      expect(
        failures.filter((event) => event.stage === stage),
        stage,
      ).toHaveLength(1);
  });
});

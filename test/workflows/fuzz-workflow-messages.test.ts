// Hostile workflow messages (issue 12): signals and updates sent by name with whatever JSON the
// `temporal` CLI is given — no argument, null, numbers, lists, nested objects, huge strings, and a
// flood of them. Updates are refused by their validators with a registered, non-retryable failure
// and leave nothing in history; signals never fail a workflow task and never leave junk in the
// state (`by` ends up a string); the rollout still answers a proper approval or rollback after.
import { WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import fc from 'fast-check';
import '../support/fuzz-seed';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createActivities } from '../../activities';
import { FailureType } from '../../workflows/failure-types';
import { MAX_BY_CHARS, MAX_REASON_CHARS } from '../../workflows/message-input';
import { approveUpdate, ModelRolloutWorkflow, statusQuery } from '../../workflows/model-rollout';
import type { RolloutStatus } from '../../workflows/rollout-state';
import { InMemoryRouter } from '../support/in-memory-router';
import { testPlan } from '../support/plans';
import { scriptedFigures } from '../support/scripted-figures';
import { scriptedRecords } from '../support/scripted-records';
import { createTimeSkippingEnv, workflowBundle } from '../support/temporal';

vi.setConfig({ testTimeout: 120_000 });

const taskQueue = 'fuzz-workflow-messages';
const REGISTERED = new Set<string>(Object.values(FailureType));
/** An update neither refused nor answered by then, or a rollback not finished, has wedged the workflow task. */
const DEADLINE_MS = 15_000;
const routers = new Map<string, InMemoryRouter>();
const counts = { updates: 0, signals: 0, rollbacks: 0 };

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
    readRecords: scriptedRecords((route) => routerFor(route).state),
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
  console.log(
    `workflow messages: ${counts.updates + counts.signals + counts.rollbacks} inputs ` +
      `(${counts.updates} updates, ${counts.signals} pause/resume signals, ${counts.rollbacks} rollback signals)`,
  );
});

let started = 0;
/** A rollout waiting at its first gate (before the shadow soak): nothing moves until someone decides. */
async function rolloutAtGate(): Promise<{ handle: WorkflowHandle<typeof ModelRolloutWorkflow>; gateId: string }> {
  const id = `fuzz-msg-${++started}-${Date.now() % 100_000}`;
  const handle = await env.client.workflow.start(ModelRolloutWorkflow, {
    taskQueue,
    workflowId: id,
    args: [{ plan: testPlan({ id, gates: ['shadow'] }) }],
  });
  for (let attempt = 0; attempt < 100; attempt++) {
    const status = await handle.query(statusQuery);
    if (status.gate) return { handle, gateId: status.gate.id };
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`rollout ${id} never opened its first gate`);
}

/** The promise's value, or an error once the deadline passes: a failing workflow task never answers. */
async function withinDeadline<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`${what} in ${DEADLINE_MS / 1000} s: is the workflow task failing?`)),
      DEADLINE_MS,
    );
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}

/** What history says went wrong: failed workflow tasks, and updates it accepted. */
async function historyMarks(handle: WorkflowHandle): Promise<{ failedTasks: number; acceptedUpdates: number }> {
  const events = (await handle.fetchHistory()).events ?? [];
  return {
    failedTasks: events.filter((event) => event.workflowTaskFailedEventAttributes).length,
    acceptedUpdates: events.filter((event) => event.workflowExecutionUpdateAcceptedEventAttributes).length,
  };
}

/** Every `by` the status holds is a string, and no message shows a value printed raw. */
function expectCleanStatus(status: RolloutStatus): void {
  if (status.paused) expect(typeof status.paused.by).toBe('string');
  if (status.paused?.reason !== undefined) expect(typeof status.paused.reason).toBe('string');
  for (const event of status.timeline) {
    if ('by' in event) expect(typeof event.by).toBe('string');
    expect(event.message).not.toMatch(/\[object Object\]|undefined|^paused by \d|^resumed by \d/);
    expect(event.message.length).toBeLessThan(MAX_REASON_CHARS + MAX_BY_CHARS + 200);
  }
}

/** Values where a string belongs, none of them usable. */
const notAString = fc.oneof(
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.string(), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 5 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 3 }),
  fc.constant({ toString: 1, valueOf: 1 }),
  fc.constant({ by: { by: { by: 'bob' } } }),
);
/** Longer than `max`, up to `upTo` (a flood of 300 k strings would make a history too big to fetch). */
const tooLong = (max: number, upTo = 300_000) =>
  fc.integer({ min: max + 1, max: upTo }).map((length) => 'x'.repeat(length));
const notAnObject = fc.oneof(
  fc.constant(null),
  fc.integer(),
  fc.string({ maxLength: 10 }),
  fc.constant('bob'),
  fc.array(fc.jsonValue({ maxDepth: 1 }), { maxLength: 3 }),
  fc.constant([{ by: 'bob' }]),
  fc.boolean(),
);
const NO_ARGUMENT = Symbol('no argument');

describe('fuzz: workflow messages sent raw', () => {
  it('refuses junk approve/reject/revert updates in their validators, recording nothing', async () => {
    const { handle, gateId } = await rolloutAtGate();
    // A proper request by an approver, with one field made wrong: the validator must catch the type.
    const request = fc.oneof(
      fc
        .tuple(fc.constantFrom('by', 'reason', 'gateId', 'viaGroup'), fc.oneof(notAString, tooLong(MAX_REASON_CHARS)))
        .map(([field, value]) => ({
          request: { by: 'bob', reason: 'looks fine', gateId, [field]: value } as unknown,
          fieldOnlyChecked: field === 'by' || field === 'reason' ? 'all' : 'decisions',
        })),
      tooLong(MAX_BY_CHARS).map((by) => ({
        request: { by, reason: 'looks fine', gateId } as unknown,
        fieldOnlyChecked: 'all',
      })),
      fc.oneof(notAnObject, fc.constant(NO_ARGUMENT)).map((request) => ({ request, fieldOnlyChecked: 'all' })),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('approve', 'reject', 'revert'),
        request,
        async (name, { request, fieldOnlyChecked }) => {
          counts.updates++;
          const args = (request === NO_ARGUMENT ? [] : [request]) as [unknown];
          const error = await withinDeadline(
            handle.executeUpdate(name, { args }).then(
              () => new Error(`${name} accepted ${JSON.stringify(request)?.slice(0, 200)}`),
              (e: unknown) => e,
            ),
            `${name} neither refused nor answered`,
          ).catch((e: unknown) => e);
          expect(error, String(error)).toBeInstanceOf(WorkflowUpdateFailedError);
          const cause = (error as WorkflowUpdateFailedError).cause;
          expect(cause).toBeInstanceOf(ApplicationFailure);
          const failure = cause as ApplicationFailure;
          expect(REGISTERED.has(failure.type ?? '')).toBe(true);
          expect(failure.nonRetryable).toBe(true);
          expect(failure.message.length).toBeLessThan(1_000);
          // A revert does not read gateId or viaGroup; for it that junk is refused as "not promoted".
          if (fieldOnlyChecked === 'all' || name !== 'revert') expect(failure.type).toBe(FailureType.InvalidDecision);
        },
      ),
      { numRuns: 60 },
    );
    // Nothing was recorded, nothing decided, no task failed; a proper approval still goes through.
    expect(await historyMarks(handle)).toEqual({ failedTasks: 0, acceptedUpdates: 0 });
    const status = await handle.query(statusQuery);
    expect(status.gate).toMatchObject({ id: gateId });
    expect(status.gate?.decision).toBeUndefined();
    const receipt = await handle.executeUpdate(approveUpdate, { args: [{ by: 'bob', gateId }] });
    expect(receipt).toMatchObject({ decision: 'approved', by: 'bob' });
    await handle.terminate('fuzz test done');
  });

  it('takes a flood of junk pause/resume signals without failing a task or keeping junk', async () => {
    const { handle, gateId } = await rolloutAtGate();
    const signal = fc.record({
      name: fc.constantFrom('pause', 'resume'),
      argument: fc.oneof(
        notAnObject,
        fc.constant(NO_ARGUMENT),
        fc.record(
          {
            by: fc.oneof(notAString, tooLong(MAX_BY_CHARS, 20_000), fc.constant('dave')),
            reason: fc.oneof(notAString, tooLong(MAX_REASON_CHARS, 20_000), fc.string()),
          },
          { requiredKeys: [] },
        ),
      ),
    });
    const flood = fc.sample(signal, 200);
    // Sent back to back, as a script would: the workflow takes them in one or a few tasks.
    for (const { name, argument } of flood) {
      counts.signals++;
      if (argument === NO_ARGUMENT) await handle.signal(name);
      else await handle.signal(name, argument);
    }
    // A query waits for a workflow task; one that keeps failing never answers.
    const status = await withinDeadline(handle.query(statusQuery), 'the status query was not answered');
    expectCleanStatus(status);
    expect(
      status.timeline.filter((event) => event.type === 'paused' || event.type === 'resumed').length,
    ).toBeGreaterThan(0);
    expect(await historyMarks(handle)).toMatchObject({ failedTasks: 0 });
    // Still a working rollout: the gate is open and a proper approval goes through.
    const receipt = await handle.executeUpdate(approveUpdate, { args: [{ by: 'bob', gateId }] });
    expect(receipt).toMatchObject({ decision: 'approved' });
    await handle.terminate('fuzz test done');
  });

  it('rolls back on a junk rollback signal, by "unknown" for no name, a reason cut to size', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          notAnObject,
          fc.constant(NO_ARGUMENT),
          fc.record(
            {
              by: fc.oneof(notAString, tooLong(MAX_BY_CHARS)),
              reason: fc.oneof(notAString, tooLong(MAX_REASON_CHARS)),
            },
            { requiredKeys: [] },
          ),
        ),
        async (argument) => {
          counts.rollbacks++;
          const { handle } = await rolloutAtGate();
          if (argument === NO_ARGUMENT) await handle.signal('rollback');
          else await handle.signal('rollback', argument);
          const result = await withinDeadline(handle.result(), 'the rollback never finished');
          expect(result.outcome).toBe('rolled_back');
          const requested = result.timeline.find((event) => event.type === 'rollback_requested');
          expect(typeof requested?.by).toBe('string');
          expect(requested!.by!.length).toBeLessThanOrEqual(MAX_BY_CHARS + 1);
          expect(requested!.message.length).toBeLessThan(MAX_REASON_CHARS + MAX_BY_CHARS + 100);
          expect(await historyMarks(handle)).toMatchObject({ failedTasks: 0 });
        },
      ),
      { numRuns: 15 },
    );
  });
});

// `rollout audit` on a real dev server: every gate decision (who, through which approver group,
// why, the evidence shown) and every rollback across rollouts, read from Temporal's histories.
// Four rollouts decide in every way a person can; then the worker stops, and the audit still lists
// all of it, including the decision of a rollout left waiting at its next gate.
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditEntry } from '../../client/rollout-audit';
import { AUTOMATIC, auditRollouts } from '../../client/rollout-audit';
import { decide, requestRollback } from '../../client/rollout-commands';
import { startRollout, watchRollout, type RolloutHandle } from '../../client/rollouts';
import type { Verdict } from '../../judge/verdict';
import { parsePlan, type GatePoint } from '../../plan/schema';
import { statusQuery } from '../../workflows/model-rollout';
import { eventually } from '../support/eventually';
import { inMemoryRouters } from '../support/in-memory-router';
import { testPlan } from '../support/plans';
import { scriptedRolloutActivities } from '../support/scripted-activities';
import { createDevServerEnv, workflowBundle } from '../support/temporal';

const TASK_QUEUE = 'rollout-audit-test';
const run = promisify(execFile);
const { routerFor } = inMemoryRouters();

let env: TestWorkflowEnvironment;
let worker: Worker | undefined;
let running: Promise<void>;
const handles: Record<string, RolloutHandle> = {};

/** Short real windows, the statistical judge on scripted healthy records; gates as given. */
function plan(
  id: string,
  gates: GatePoint[],
  { shadow = false, shadowCompare = false, approvalTimeout = '1h', revertWindow = '0s' } = {},
) {
  const input = testPlan({ id, gates, judge: 'statistical', shadowCompare });
  input.approvals = { ...input.approvals, timeout: approvalTimeout };
  // The shadow soak measures the latency references the canary judges against.
  input.stages!.shadow = {
    enabled: shadow || shadowCompare,
    share: 0.5,
    window: '2s',
    ...(shadowCompare && { compare: {} }),
  };
  input.stages!.canary = { steps: [{ weight: 50, window: '2s' }], checkInterval: '1s' };
  input.stages!.cutover = { bake: '2s', revertWindow };
  return parsePlan(input);
}

async function atGate(handle: RolloutHandle, before: string) {
  return eventually(
    `${handle.workflowId} at the gate before ${before}`,
    async () => {
      const status = await handle.query(statusQuery);
      return status.gate?.before === before ? status.gate : undefined;
    },
    60_000,
  );
}

beforeAll(async () => {
  env = await createDevServerEnv();
  const activities = scriptedRolloutActivities(routerFor);
  worker = await Worker.create({
    connection: env.nativeConnection,
    namespace: env.namespace ?? 'default',
    taskQueue: TASK_QUEUE,
    workflowBundle: await workflowBundle(),
    activities: {
      ...activities,
      // The shadow comparison finds the candidate different: a gate with evidence to show.
      async compareShadow(input: { stage: string }): Promise<Verdict> {
        return {
          stage: input.stage,
          outcome: 'inconclusive',
          reason: 'length up 31% (tolerance 30%): a human should look',
          metrics: [],
          at: new Date().toISOString(),
        };
      },
    },
  });
  running = worker.run();

  const start = async (
    id: string,
    gates: GatePoint[],
    options?: { shadow?: boolean; shadowCompare?: boolean; approvalTimeout?: string; revertWindow?: string },
  ) => {
    handles[id] = await startRollout(env.client, plan(id, gates, options), {
      taskQueue: TASK_QUEUE,
      requestedBy: 'carol',
    });
    return handles[id]!;
  };
  const [reviewed, rejected, rolledBack, waiting, timedOut, reverted] = await Promise.all([
    start('audit-reviewed', ['cutover'], { shadowCompare: true }),
    start('audit-rejected', ['canary']),
    start('audit-rolled-back', ['canary']),
    start('audit-waiting', ['canary', 'cutover']),
    // Nobody decides in time: the rollout ends itself (onTimeout: abort).
    start('audit-timed-out', ['canary'], { approvalTimeout: '3s' }),
    // Promoted, then undone by a person within its revert window.
    start('audit-reverted', [], { shadow: true, revertWindow: '1h' }),
  ]);
  const client = env.client;

  const review = await atGate(reviewed, 'canary-1');
  await decide(client, 'audit-reviewed', 'approve', { by: 'alice', reason: 'longer but better', gateId: review.id });
  await atGate(reviewed, 'cutover');
  await client.workflow
    .getHandle('audit-reviewed')
    .executeUpdate('approve', { args: [{ by: 'erin', reason: 'on call agrees', viaGroup: 'S-RELEASE-OWNERS' }] });
  expect((await reviewed.result()).outcome).toBe('promoted');

  await atGate(rejected, 'canary-1');
  await expect(decide(client, 'audit-rejected', 'approve', { by: 'mallory' })).rejects.toThrow('not an approver');
  await decide(client, 'audit-rejected', 'reject', { by: 'bob', reason: 'cost too high' });
  await rejected.result();

  await atGate(rolledBack, 'canary-1');
  await requestRollback(client, 'audit-rolled-back', { reason: 'INC-12: wrong tokenizer', by: 'dave' });
  await rolledBack.result();

  expect((await timedOut.result()).outcome).toBe('aborted');

  expect((await watchRollout(reverted, () => undefined)).outcome).toBe('promoted');
  // As a person would: the CLI refuses a revert without a reason, then reverts.
  await expect(rolloutCli(['revert', 'audit-reverted', '--as', 'frank'])).rejects.toMatchObject({
    stderr: expect.stringContaining('--reason is required'),
  });
  expect(
    await rolloutCli(['revert', 'audit-reverted', '--as', 'frank', '--reason', 'INC-20: answers truncated in prod']),
  ).toMatch(/^audit-reverted: reverted by frank: INC-20: answers truncated in prod; sim-baseline back on route/);
  expect((await reverted.result()).outcome).toBe('reverted');

  await atGate(waiting, 'canary-1');
  await decide(client, 'audit-waiting', 'approve', { by: 'bob', reason: 'go' });
  await atGate(waiting, 'cutover');

  // From here on no worker runs: the audit reads Temporal alone.
  worker.shutdown();
  await running;
  worker = undefined;
}, 240_000);

afterAll(async () => {
  worker?.shutdown();
  await running;
  await env?.teardown();
});

async function rolloutCli(args: string[]): Promise<string> {
  const { stdout } = await run(process.execPath, ['bin/rollout.mjs', ...args], {
    env: { ...process.env, TEMPORAL_ADDRESS: env.address, TEMPORAL_NAMESPACE: env.namespace ?? 'default' },
  });
  return stdout;
}

describe('rollout audit', () => {
  it('lists every decision and rollback with who, via which group, why and the evidence shown, with no worker running', async () => {
    const entries = await eventually('every rollout visible', async () => {
      const listed = JSON.parse(await rolloutCli(['audit', '--json'])) as AuditEntry[];
      return listed.length >= 7 ? listed : undefined;
    });
    const brief = entries.map(({ rolloutId, kind, action, by, viaGroup, before, reason, evidence }) => ({
      rolloutId,
      kind,
      action,
      by,
      ...(viaGroup && { viaGroup }),
      ...(before && { before }),
      reason,
      ...(evidence && { evidence }),
    }));
    expect(brief).toEqual(
      expect.arrayContaining([
        {
          rolloutId: 'audit-reviewed',
          kind: 'decision',
          action: 'approved',
          by: 'alice',
          before: 'canary-1',
          reason: 'longer but better',
          evidence: 'length up 31% (tolerance 30%): a human should look',
        },
        {
          rolloutId: 'audit-reviewed',
          kind: 'decision',
          action: 'approved',
          by: 'erin',
          viaGroup: 'S-RELEASE-OWNERS',
          before: 'cutover',
          reason: 'on call agrees',
        },
        {
          rolloutId: 'audit-rejected',
          kind: 'decision',
          action: 'rejected',
          by: 'bob',
          before: 'canary-1',
          reason: 'cost too high',
        },
        {
          rolloutId: 'audit-rolled-back',
          kind: 'rollback',
          action: 'requested',
          by: 'dave',
          reason: 'INC-12: wrong tokenizer',
        },
        {
          rolloutId: 'audit-waiting',
          kind: 'decision',
          action: 'approved',
          by: 'bob',
          before: 'canary-1',
          reason: 'go',
        },
        {
          rolloutId: 'audit-reverted',
          kind: 'rollback',
          action: 'reverted',
          by: 'frank',
          reason: 'INC-20: answers truncated in prod',
        },
        {
          rolloutId: 'audit-timed-out',
          kind: 'rollback',
          action: 'automatic',
          by: AUTOMATIC,
          reason: expect.stringMatching(/^aborted: no approval before canary-1/),
        },
      ]),
    );
    // A refused decision changed nothing and is not in the trail; a rejection is not also a rollback.
    expect(entries.some((entry) => entry.by === 'mallory')).toBe(false);
    expect(entries.filter((entry) => entry.rolloutId === 'audit-rejected')).toHaveLength(1);
    expect(entries.map((entry) => entry.at)).toEqual(entries.map((entry) => entry.at).sort());

    const text = await rolloutCli(['audit']);
    expect(text).toMatch(
      /audit-reviewed\s+approved before cutover\s+by erin \(via group:S-RELEASE-OWNERS\): on call agrees/,
    );
    expect(text).toContain('shown: length up 31% (tolerance 30%): a human should look');
    expect(text).toMatch(/audit-rolled-back\s+rollback requested\s+by dave: INC-12: wrong tokenizer/);
    expect(text).toMatch(/audit-reverted\s+promotion reverted\s+by frank: INC-20/);
    expect(entries.filter((entry) => entry.rolloutId === 'audit-reverted')).toHaveLength(1);
    expect(text).toMatch(/audit-timed-out\s+rolled back\s+by llm-rollout \(automatic\): aborted: no approval/);
  });

  it('filters by approver and by time, and refuses a malformed --since', async () => {
    const bob = JSON.parse(await rolloutCli(['audit', '--approver', 'bob', '--json'])) as AuditEntry[];
    expect(bob.map((entry) => [entry.rolloutId, entry.action]).sort()).toEqual([
      ['audit-rejected', 'rejected'],
      ['audit-waiting', 'approved'],
    ]);
    expect(await rolloutCli(['audit', '--since', '2999-01-01'])).toBe('no decisions or rollbacks match\n');
    expect((await auditRollouts(env.client, { sinceMs: Date.now() - 3_600_000 })).length).toBeGreaterThanOrEqual(7);
    await expect(rolloutCli(['audit', '--since', 'last tuesday'])).rejects.toMatchObject({
      stderr: expect.stringContaining('--since: expected a duration like "7d"'),
    });
  });

  it('the result of a finished rollout carries its decisions and the rollback request', async () => {
    const reviewed = await handles['audit-reviewed']!.result();
    expect(reviewed.decisions?.map((decision) => [decision.by, decision.viaGroup, decision.evidence])).toEqual([
      ['alice', undefined, 'length up 31% (tolerance 30%): a human should look'],
      ['erin', 'S-RELEASE-OWNERS', undefined],
    ]);
    expect((await handles['audit-rolled-back']!.result()).rollbackRequest).toMatchObject({
      by: 'dave',
      reason: 'INC-12: wrong tokenizer',
    });
  });
});

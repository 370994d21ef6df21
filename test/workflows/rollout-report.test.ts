// The rollout writes its report as it goes, behind patched('rollout-report'): the link is in the
// status and the result, and a report that cannot be written never stops or fails the rollout.
import { ApplicationFailure } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WriteReportInput } from '../../activities/contract';
import { ModelRolloutWorkflow } from '../../workflows/model-rollout';
import { inMemoryRouters } from '../support/in-memory-router';
import { testPlan } from '../support/plans';
import { scriptedRolloutActivities } from '../support/scripted-activities';
import { createTimeSkippingEnv, workflowBundle } from '../support/temporal';

const taskQueue = 'rollout-report-workflow';
const { routerFor } = inMemoryRouters();
/** Rollouts whose report the worker cannot write (its disk is full, say). */
const unwritable = new Set<string>();
let env: TestWorkflowEnvironment;
let worker: Worker;
let running: Promise<void>;
let reports: string;
const previousReports = process.env.ROLLOUT_REPORTS_DIR;

beforeAll(async () => {
  reports = await mkdtemp(join(tmpdir(), 'report-workflow-'));
  process.env.ROLLOUT_REPORTS_DIR = reports;
  env = await createTimeSkippingEnv();
  const activities = scriptedRolloutActivities(routerFor);
  worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowBundle: await workflowBundle(),
    activities: {
      ...activities,
      async writeRolloutReport(input: WriteReportInput) {
        if (unwritable.has(input.rolloutId)) throw ApplicationFailure.nonRetryable('ENOSPC: no space left on device');
        return activities.writeRolloutReport(input);
      },
    },
  });
  running = worker.run();
});

afterAll(async () => {
  if (previousReports === undefined) delete process.env.ROLLOUT_REPORTS_DIR;
  else process.env.ROLLOUT_REPORTS_DIR = previousReports;
  worker?.shutdown();
  await running;
  await env?.teardown();
  await rm(reports, { recursive: true, force: true });
});

function run(id: string) {
  return env.client.workflow.execute(ModelRolloutWorkflow, {
    taskQueue,
    workflowId: id,
    args: [{ plan: testPlan({ id, judge: 'statistical' }) }],
  });
}

describe('the rollout report', () => {
  it('is written as the rollout goes and linked from the result', async () => {
    const result = await run('report-written');
    expect(result.outcome, result.reason).toBe('promoted');
    const path = join(reports, 'report-written', 'report.html');
    expect(result.report).toBe(pathToFileURL(path).href);
    expect(result.timeline.map((event) => event.type)).not.toContain('report_failed');
    const html = await readFile(path, 'utf8');
    expect(html).toContain('<div class="label">promoted</div>');
    expect(html).toContain(`<div class="reason">${result.reason}</div>`);
  });

  it('never stops or fails the rollout when it cannot be written: the timeline says so', async () => {
    unwritable.add('report-unwritable');
    const result = await run('report-unwritable');
    expect(result.outcome, result.reason).toBe('promoted');
    expect(result.report).toBeUndefined();
    const failed = result.timeline.filter((event) => event.type === 'report_failed');
    expect(failed.length).toBeGreaterThan(0);
    expect(failed[0]!.message).toContain('ENOSPC: no space left on device');
  });
});

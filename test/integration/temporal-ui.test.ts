// The Temporal Web UI, used as the README tells a UI user to, in headless Chromium against the dev
// server's own UI: three rollouts started from the Start Workflow form with the JSON that `rollout
// plan check --json --as carol` prints; the list filtered by RolloutStage, RolloutOutcome and
// CandidateModel in its query box; `status` read from Queries; `approve`, `reject` and `revert`
// sent from Update; `pause`, `resume` and `rollback` sent from Signal. Every step is checked against what
// the workflow and the traffic layer then hold. The worker moves traffic on in-memory routers and
// judges scripted healthy records, so the UI is what is under test.
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Browser } from 'puppeteer-core';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { RolloutPlanInput } from '../../plan/schema';
import { startTemporalDevServer, type TemporalDevServer } from '../../stack/temporal-dev-server';
import { statusQuery } from '../../workflows/model-rollout';
import type { RolloutResult, RolloutStatus } from '../../workflows/rollout-state';
import { ROLLOUT_SEARCH_ATTRIBUTES } from '../../workflows/search-attributes';
import { launchBrowser, saveScreenshot } from '../support/browser';
import { eventually } from '../support/eventually';
import { inMemoryRouters } from '../support/in-memory-router';
import { testPlan } from '../support/plans';
import { scriptedRolloutActivities } from '../support/scripted-activities';
import { workflowBundle } from '../support/temporal';
import { TemporalUi } from '../support/temporal-ui';

// Each step drives a browser through several pages against a real server: more than the default minute.
vi.setConfig({ testTimeout: 180_000 });

// The README's task queue: the UI user types it.
const TASK_QUEUE = 'llm-rollout';
const LARGE = 'ui-sim-large';
const SMALL = 'ui-sim-small';
const REJECTED = 'ui-sim-tiny';
const run = promisify(execFile);
const { routerFor } = inMemoryRouters();

let dir: string;
let server: TemporalDevServer;
let client: Client;
let worker: Worker;
let running: Promise<void>;
let browser: Browser;
let ui: TemporalUi;
const inputFiles: Record<string, string> = {};
const previousReports = process.env.ROLLOUT_REPORTS_DIR;

/**
 * Windows of seconds. The shadow soak measures the
 * references the cutover's bake is judged against.
 */
function plan(id: string, candidateModel: string, options: { gate: 'canary' | 'cutover' }) {
  const input: RolloutPlanInput = testPlan({ id, gates: [options.gate], judge: 'statistical' });
  input.backends!.candidate = { ...input.backends!.candidate!, model: candidateModel };
  input.stages!.shadow = { enabled: true, share: 0.5, window: '2s' };
  input.stages!.canary = { ...input.stages!.canary, steps: [{ weight: 50, window: '2s' }], checkInterval: '1s' };
  input.stages!.cutover = { bake: '2s', revertWindow: '1h' };
  return input;
}

/** What the README has a UI user run first: the workflow input, written by our CLI. */
async function workflowInput(id: string, input: RolloutPlanInput): Promise<string> {
  const planFile = join(dir, `${id}.plan.json`);
  await writeFile(planFile, JSON.stringify(input));
  const { stdout } = await run(process.execPath, [
    'bin/rollout.mjs',
    'plan',
    'check',
    planFile,
    '--json',
    '--as',
    'carol',
  ]);
  const inputFile = join(dir, `${id}.input.json`);
  await writeFile(inputFile, stdout);
  return inputFile;
}

function statusOf(id: string): Promise<RolloutStatus> {
  return client.workflow.getHandle(id).query(statusQuery);
}

async function waitForStatus(id: string, what: string, predicate: (status: RolloutStatus) => boolean) {
  return eventually(
    `${id}: ${what}`,
    async () => {
      const status = await statusOf(id);
      return predicate(status) ? status : undefined;
    },
    60_000,
  );
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rollout-ui-'));
  process.env.ROLLOUT_REPORTS_DIR = join(dir, 'reports');
  [server, browser] = await Promise.all([
    startTemporalDevServer({
      dataDir: join(dir, 'temporal'),
      logDir: join(dir, 'logs'),
      searchAttributes: Object.fromEntries(ROLLOUT_SEARCH_ATTRIBUTES.map((key) => [key.name, 'Keyword' as const])),
    }),
    launchBrowser(),
  ]);
  client = new Client({ connection: await Connection.connect({ address: server.address }) });
  worker = await Worker.create({
    connection: await NativeConnection.connect({ address: server.address }),
    taskQueue: TASK_QUEUE,
    workflowBundle: await workflowBundle(),
    activities: scriptedRolloutActivities(routerFor),
  });
  running = worker.run();
  const page = await browser.newPage();
  await page.setViewport({ width: 1400, height: 1000 });
  ui = new TemporalUi(page, server.uiUrl);
  inputFiles[LARGE] = await workflowInput(LARGE, plan(LARGE, 'sim-large', { gate: 'cutover' }));
  inputFiles[SMALL] = await workflowInput(SMALL, plan(SMALL, 'sim-small', { gate: 'canary' }));
  inputFiles[REJECTED] = await workflowInput(REJECTED, plan(REJECTED, 'sim-tiny', { gate: 'canary' }));
}, 180_000);

afterAll(async () => {
  await browser?.close();
  worker?.shutdown();
  await running;
  await server?.stop();
  if (previousReports === undefined) delete process.env.ROLLOUT_REPORTS_DIR;
  else process.env.ROLLOUT_REPORTS_DIR = previousReports;
  await rm(dir, { recursive: true, force: true });
});

describe('the Temporal UI', () => {
  // What the page showed when a step failed, for the person reading the failure.
  afterEach(async ({ task }) => {
    if (task.result?.state === 'fail') await saveScreenshot(ui.page, `temporal-ui-failed-${task.name.slice(0, 40)}`);
  });

  it('starts rollouts from Start Workflow with the JSON `rollout plan check --json` prints', async () => {
    for (const id of [LARGE, SMALL, REJECTED]) {
      await ui.startWorkflow({
        workflowId: id,
        taskQueue: TASK_QUEUE,
        workflowType: 'ModelRolloutWorkflow',
        inputFile: inputFiles[id]!,
      });
    }
    await saveScreenshot(ui.page, 'temporal-ui-started');
    const described = await client.workflow.getHandle(LARGE).describe();
    expect(described.type).toBe('ModelRolloutWorkflow');
    expect(described.taskQueue).toBe(TASK_QUEUE);
    // The plan went in whole: its gate and the requester `--as` named.
    const large = await waitForStatus(LARGE, 'at the gate before cutover', (s) => s.gate?.before === 'cutover');
    expect(large.requestedBy).toBe('carol');
    expect(large.candidateModel).toBe('sim-large');
    for (const id of [SMALL, REJECTED])
      await waitForStatus(id, 'at the gate before canary-1', (s) => s.gate?.before === 'canary-1');
  });

  it('filters the rollout list by RolloutStage', async () => {
    // The large rollout waits after canary-1; the other two after their shadow soak.
    expect(await ui.listWorkflowIds("RolloutStage = 'canary-1'")).toEqual([LARGE]);
    expect(await ui.listWorkflowIds("RolloutStage = 'shadow'")).toEqual([SMALL, REJECTED]);
    await saveScreenshot(ui.page, 'temporal-ui-list-by-stage');
  });

  it('reads status from Queries, approves from Update, and reverts from Update after promotion', async () => {
    const atGate = await ui.query<RolloutStatus>(LARGE, 'status');
    expect(atGate.phase).toBe('awaiting_approval');
    expect(atGate.gate?.before).toBe('cutover');
    expect(atGate.weights).toEqual({ baseline: 50, candidate: 50 });
    await saveScreenshot(ui.page, 'temporal-ui-status-query');

    await ui.send('update', LARGE, 'approve', { by: 'alice', reason: 'looks good' });
    const promoted = await waitForStatus(LARGE, 'promoted', (s) => s.outcome === 'promoted');
    const decision = promoted.timeline.find((event) => event.type === 'gate_approved' && event.stage === 'cutover');
    expect(decision?.by).toBe('alice');
    // Promoted: the candidate serves the whole route, the old baseline retired.
    expect(routerFor(LARGE).models).toEqual({ baseline: 'sim-large' });
    // Read from the UI again: what a person sees after their approval.
    expect((await ui.query<RolloutStatus>(LARGE, 'status')).outcome).toBe('promoted');

    await ui.send('update', LARGE, 'revert', { by: 'dave', reason: 'INC-4320 answers cut off' });
    const result = (await client.workflow.getHandle(LARGE).result()) as RolloutResult;
    expect(result.outcome).toBe('reverted');
    expect(result.reverted).toMatchObject({ by: 'dave', reason: 'INC-4320 answers cut off' });
    expect(routerFor(LARGE).models).toEqual({ baseline: 'sim-baseline', candidate: 'sim-large' });
    expect(routerFor(LARGE).state.weights).toEqual({ baseline: 100, candidate: 0 });
  });

  it('pauses, resumes and rolls back from Signal, each reaching the workflow', async () => {
    await ui.send('signal', SMALL, 'pause', { by: 'alice' });
    expect((await ui.query<RolloutStatus>(SMALL, 'status')).paused).toMatchObject({ by: 'alice' });
    await ui.send('signal', SMALL, 'resume', { by: 'alice' });
    expect((await ui.query<RolloutStatus>(SMALL, 'status')).paused).toBeNull();

    await ui.send('signal', SMALL, 'rollback', { reason: 'INC-4312', by: 'dave' });
    const result = (await client.workflow.getHandle(SMALL).result()) as RolloutResult;
    expect(result.outcome).toBe('rolled_back');
    expect(result.reason).toContain('rollback requested by dave: INC-4312');
    const router = routerFor(SMALL);
    expect(router.state.weights).toEqual({ baseline: 100, candidate: 0 });
    expect(router.state.shadow.enabled).toBe(false);
    await ui.openWorkflow(SMALL);
    await saveScreenshot(ui.page, 'temporal-ui-rolled-back');
  });

  it('rejects at a gate from Update, ending the rollout aborted on its baseline', async () => {
    await ui.send('update', REJECTED, 'reject', { by: 'bob', reason: 'p99 too close to the limit' });
    const result = (await client.workflow.getHandle(REJECTED).result()) as RolloutResult;
    expect(result.outcome).toBe('aborted');
    const rejection = result.timeline.find((event) => event.type === 'gate_rejected');
    expect(rejection).toMatchObject({ by: 'bob', stage: 'canary-1' });
    expect(rejection?.message).toContain('p99 too close to the limit');
    expect(routerFor(REJECTED).state.weights).toEqual({ baseline: 100, candidate: 0 });
  });

  it('filters the list by RolloutOutcome and CandidateModel, with the README query', async () => {
    expect(await ui.listWorkflowIds("RolloutOutcome = 'aborted'")).toEqual([REJECTED]);
    expect(await ui.listWorkflowIds("RolloutOutcome = 'rolled_back'")).toEqual([SMALL]);
    expect(await ui.listWorkflowIds("CandidateModel = 'sim-large'")).toEqual([LARGE]);
    expect(await ui.listWorkflowIds("WorkflowType = 'ModelRolloutWorkflow' AND RolloutOutcome = 'reverted'")).toEqual([
      LARGE,
    ]);
    await saveScreenshot(ui.page, 'temporal-ui-list-by-outcome');
    expect(await ui.listWorkflowIds("CandidateModel = 'sim-nothing'")).toEqual([]);
  });
});

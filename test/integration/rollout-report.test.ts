// The rollout report on real parts: a short rollout on the dev server (a real golden eval against
// two simulated backends, a gate a named person approves, the statistical judge on scripted
// records) writes its report as it goes; the file opens in headless Chromium with nothing fetched
// from anywhere, shows the outcome, a chart per guardrail, the gate's decider and reason, and the
// eval's deltas and worst items; `rollout report` regenerates it once the worker is gone.
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import type { Browser } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decide } from '../../client/rollout-commands';
import { startRollout } from '../../client/rollouts';
import { configDigest } from '../../lib/config-bundle';
import { bundleOf } from '../../plan/backend-config-schema';
import { parsePlan } from '../../plan/schema';
import { startSimulatedBackend, type SimulatedBackend } from '../../simulator/sim-backend';
import { statusQuery } from '../../workflows/model-rollout';
import type { RolloutResult } from '../../workflows/rollout-state';
import { launchBrowser, saveScreenshot } from '../support/browser';
import { inMemoryRouters } from '../support/in-memory-router';
import { testPlan } from '../support/plans';
import { scriptedRolloutActivities } from '../support/scripted-activities';
import { createDevServerEnv, workflowBundle } from '../support/temporal';

const TASK_QUEUE = 'rollout-report-test';
const ID = 'report-e2e';
const DATASET = resolve(dirname(fileURLToPath(import.meta.url)), '../../examples/golden/support-bot.jsonl');
const QUICK = { latencyMedianMs: 3, latencySigma: 0, maxConcurrency: 64, contentSeed: 7 };
const run = promisify(execFile);
const CANDIDATE_CONFIG = { systemPrompt: 'Answer in <b>two</b> sentences.', sampling: { temperature: 0.2 } };
const { routerFor } = inMemoryRouters();

let env: TestWorkflowEnvironment;
let worker: Worker | undefined;
let running: Promise<void>;
let baseline: SimulatedBackend;
let candidate: SimulatedBackend;
let reports: string;
let result: RolloutResult;
let browser: Browser;
let candidateDigest: string;
const previousReports = process.env.ROLLOUT_REPORTS_DIR;

beforeAll(async () => {
  reports = await mkdtemp(join(tmpdir(), 'rollout-report-'));
  process.env.ROLLOUT_REPORTS_DIR = reports;
  [baseline, candidate, env, browser] = await Promise.all([
    startSimulatedBackend({ model: 'sim-report-base', behaviour: { ...QUICK, seed: 11 } }),
    // Some answers break their JSON schema: the eval has worst items to show.
    startSimulatedBackend({ model: 'sim-report-cand', behaviour: { ...QUICK, seed: 12, brokenJsonRate: 0.15 } }),
    createDevServerEnv(),
    launchBrowser(),
  ]);
  worker = await Worker.create({
    connection: env.nativeConnection,
    namespace: env.namespace ?? 'default',
    taskQueue: TASK_QUEUE,
    workflowBundle: await workflowBundle(),
    activities: scriptedRolloutActivities(routerFor),
  });
  running = worker.run();

  const input = testPlan({ id: ID, gates: ['canary'], judge: 'statistical', goldenEval: true });
  input.backends = {
    baseline: { baseUrl: baseline.url, model: baseline.model },
    // A model and a prompt change at once: the report shows the candidate's bundle and its digest.
    candidate: { baseUrl: candidate.url, model: candidate.model, config: CANDIDATE_CONFIG },
  };
  input.stages!.goldenEval = { enabled: true, dataset: DATASET, concurrency: 8, minPassRate: 0.5, maxRegression: 0.3 };
  input.stages!.shadow = { enabled: true, share: 0.5, window: '2s' };
  input.stages!.canary = { steps: [{ weight: 50, window: '3s' }], checkInterval: '1s' };
  input.stages!.cutover = { bake: '2s', revertWindow: '0s' };
  const plan = parsePlan(input);
  candidateDigest = configDigest(bundleOf(plan.backends.candidate.config))!;
  const handle = await startRollout(env.client, plan, { taskQueue: TASK_QUEUE, requestedBy: 'carol' });

  // Every gate (the plan's, and one the eval may open) is decided by a named person, with a reason.
  const outcome = handle.result();
  let done = false;
  void outcome.finally(() => (done = true)).catch(() => undefined);
  while (!done) {
    const status = await handle.query(statusQuery).catch(() => undefined);
    if (status?.gate && !status.gate.decision)
      await decide(env.client, ID, 'approve', {
        by: 'alice',
        reason: `checked the worst items <b>before ${status.gate.before}</b>`,
        gateId: status.gate.id,
      }).catch(() => undefined);
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
  result = await outcome;
}, 240_000);

afterAll(async () => {
  if (previousReports === undefined) delete process.env.ROLLOUT_REPORTS_DIR;
  else process.env.ROLLOUT_REPORTS_DIR = previousReports;
  worker?.shutdown();
  await running;
  await Promise.all([browser?.close(), baseline?.close(), candidate?.close()]);
  await env?.teardown();
  await rm(reports, { recursive: true, force: true });
});

interface SeenReport {
  firstSection?: string;
  outcome?: string;
  reason?: string;
  guardrails: Array<{ metric: string | null; svg: boolean }>;
  weightsChart: boolean;
  deciders: string[];
  reasons: string[];
  evalStages: Array<string | null>;
  deltas: string[];
  worstItems: number;
  candidateAnswers: string[];
  bold: number;
  segments: string[];
  configurations: Array<{ side: string | null; digest: string }>;
  candidatePrompt?: string;
}

/** Opens a report file with every request other than the file itself refused and recorded. */
async function openReport(path: string, screenshot: string) {
  const page = await browser.newPage();
  await page.setViewport({ width: 1100, height: 900 });
  const fetched: string[] = [];
  await page.setRequestInterception(true);
  const self = pathToFileURL(path).href;
  page.on('request', (request) => {
    if (request.url() === self) return void request.continue();
    fetched.push(request.url());
    void request.abort();
  });
  await page.goto(self, { waitUntil: 'load' });
  // A string, run in the page: the project's types have no DOM.
  const seen = (await page.evaluate(`(() => {
    const text = (selector) => [...document.querySelectorAll(selector)].map((e) => e.textContent ?? '');
    return {
      firstSection: document.body.querySelector('.outcome, h2')?.id,
      outcome: text('#outcome .label')[0],
      reason: text('#outcome .reason')[0],
      guardrails: [...document.querySelectorAll('.guardrail')].map((g) => ({
        metric: g.getAttribute('data-metric'),
        svg: g.querySelector('svg') !== null,
      })),
      weightsChart: document.querySelector('#weights-chart svg') !== null,
      deciders: text('tr.decision .by'),
      reasons: text('tr.decision .why'),
      evalStages: [...document.querySelectorAll('.eval')].map((e) => e.getAttribute('data-stage')),
      deltas: text('.eval td.delta'),
      worstItems: document.querySelectorAll('.worst-item').length,
      candidateAnswers: text('.worst-item .answer.candidate'),
      bold: document.querySelectorAll('tr.decision b').length,
      segments: text('tr.segment td:first-child'),
      configurations: [...document.querySelectorAll('tr.configuration')].map((row) => ({
        side: row.getAttribute('data-side'),
        digest: row.querySelector('.digest')?.textContent ?? '',
      })),
      candidatePrompt: text('.system-prompt[data-side="candidate"]')[0],
    };
  })()`)) as SeenReport;
  const screenshotPath = await saveScreenshot(page, screenshot);
  await page.close();
  return { fetched, seen, screenshotPath };
}

function expectFullReport(seen: SeenReport) {
  expect(seen.firstSection).toBe('outcome');
  expect(seen.outcome).toBe(result.outcome.replace('_', ' '));
  expect(seen.reason).toBe(result.reason);
  expect(seen.weightsChart).toBe(true);
  expect(seen.guardrails.length).toBeGreaterThanOrEqual(2);
  expect(seen.guardrails.every((guardrail) => guardrail.svg)).toBe(true);
  expect(seen.deciders).toContain('alice');
  expect(seen.reasons).toContain('checked the worst items <b>before canary-1</b>');
  expect(seen.bold).toBe(0);
  expect(seen.evalStages).toEqual(['golden_eval']);
  expect(seen.deltas.length).toBeGreaterThan(0);
  expect(seen.worstItems).toBeGreaterThan(0);
  // Every item of the example dataset is tagged "support".
  expect(seen.segments).toEqual(['support']);
  expect(seen.candidateAnswers.every((answer) => answer.length > 0)).toBe(true);
  expect(seen.configurations).toEqual([{ side: 'candidate', digest: candidateDigest }]);
  expect(seen.candidatePrompt).toBe(CANDIDATE_CONFIG.systemPrompt);
}

describe('the rollout report', () => {
  it('is written as the rollout goes, linked from the result, and self-contained in a browser', async () => {
    expect(result.outcome).toBe('promoted');
    const path = join(reports, ID, 'report.html');
    expect(result.report).toBe(pathToFileURL(path).href);
    expect(result.timeline.some((event) => event.type === 'report_failed')).toBe(false);
    const { fetched, seen } = await openReport(path, 'rollout-report');
    expect(fetched).toEqual([]);
    expectFullReport(seen);
  });

  it('is regenerated by `rollout report` from Temporal alone once the worker is gone', async () => {
    worker!.shutdown();
    await running;
    worker = undefined;
    const out = join(reports, 'regenerated.html');
    const { stdout } = await run(process.execPath, ['bin/rollout.mjs', 'report', ID, '--out', out], {
      env: { ...process.env, TEMPORAL_ADDRESS: env.address, TEMPORAL_NAMESPACE: env.namespace ?? 'default' },
    });
    expect(stdout.trim()).toBe(`rollout report: ${out}`);
    expect(await readFile(out, 'utf8')).toContain('<svg');
    const { fetched, seen } = await openReport(out, 'rollout-report-regenerated');
    expect(fetched).toEqual([]);
    expectFullReport(seen);
  });
});

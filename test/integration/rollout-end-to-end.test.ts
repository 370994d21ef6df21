// Full rollouts on real parts: the Temporal dev server, Prometheus scraping the gateway, the
// gateway routing live load to simulated GPU backends, and the worker running the real
// activities. Approvals go through Updates on the dev server (the time-skipping server cannot
// skip time while a client waits on an Update).
import { Client, Connection } from '@temporalio/client';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readPrometheusFigures } from '../../activities/metrics/prometheus-figures';
import { FALLBACK_BACKEND } from '../../activities/traffic/index';
import { decide, requestRollback } from '../../client/rollout-commands';
import { rolloutHandle, startRollout, watchRollout } from '../../client/rollouts';
import { demoPlan } from '../../demo/demo-plans';
import { withShortWindows } from '../support/plans';
import type { RequestRecord, RouteState, SetShadowRequest } from '../../gateway/admin-api';
import { GatewayAdminClient } from '../../gateway/admin-client';
import { COHORT_JUDGING_TEXT } from '../../lib/cohort-match';
import { configDigest, shortDigest } from '../../lib/config-bundle';
import { bundleOf } from '../../plan/backend-config-schema';
import { parsePlan } from '../../plan/schema';
import { runLoad } from '../../simulator/load-generator';
import { startSimulatedBackend, type SimulatedBackend } from '../../simulator/sim-backend';
import { startEmbeddedStack, type EmbeddedStack } from '../../stack/embedded-stack';
import { statusQuery } from '../../workflows/model-rollout';
import { replayAndRecord } from '../support/histories';

/** The canary's behavioral check of live answers (on by default), beside the traffic judge's verdicts. */
const isLiveAnswersVerdict = (verdict: { reason: string }) => verdict.reason.startsWith('live answers');

const run = promisify(execFile);
let dir: string;
let stack: EmbeddedStack;
let client: Client;
let connection: Connection;
const sims: Record<string, SimulatedBackend> = {};
const load = new AbortController();

let loadDone: Promise<unknown>;

const gatewayAdmin = () => new GatewayAdminClient({ adminUrl: stack.gatewayAdminUrl, token: stack.gatewayAdminToken });

async function route(name: string): Promise<RouteState> {
  const state = await gatewayAdmin().getRoute(name);
  if (!state) throw new Error(`gateway route ${name} is not defined`);
  return state;
}

/**
 * Waits for a rollout's result while reading its route's records as it goes: the gateway keeps
 * only the latest 10,000 records of all routes, fewer than a rollout's worth under this load.
 */
async function watchReadingRecords(handle: Parameters<typeof watchRollout>[0], routeName: string) {
  const gateway = gatewayAdmin();
  const records: RequestRecord[] = [];
  let cursor = { since: 0, epoch: (await gateway.info()).epoch };
  let finished = false;
  const reading = (async () => {
    while (!finished) {
      const page = await gateway.records(routeName, { ...cursor, limit: 10_000 });
      records.push(...page.records);
      cursor = { since: page.nextSince, epoch: page.epoch };
      if (page.records.length < 10_000) await new Promise((resolve) => setTimeout(resolve, 1_000));
    }
  })();
  const result = await watchRollout(handle, () => undefined).finally(() => (finished = true));
  await reading;
  return { result, records };
}

/** A prompt rollout's two system prompts: the candidate's is about 100 tokens longer. */
const PROMPT_V1 = 'You are the support assistant. Be brief.';
const PROMPT_V2 = `${PROMPT_V1} ${'Cite the help-centre article that answers the question, and say when a human should take over. '.repeat(4)}`;

function plan(
  id: string,
  routeName: string,
  candidate: SimulatedBackend,
  gates: Array<'cutover'> = [],
  {
    unpriced = false,
    warmUp,
    configs,
  }: {
    unpriced?: boolean;
    warmUp?: string;
    configs?: { baseline: Record<string, unknown>; candidate: Record<string, unknown> };
  } = {},
) {
  const input = demoPlan({ id, route: routeName, baseline: sims.baseline!, candidate, stack, gates });
  if (warmUp) input.guardrails = { ...input.guardrails, warmUp };
  // As examples/minimal.json: no prices on either backend.
  if (unpriced) for (const backend of Object.values(input.backends)) delete backend.pricing;
  if (configs) {
    input.backends.baseline.config = configs.baseline;
    input.backends.candidate.config = configs.candidate;
  }
  return parsePlan(withShortWindows(input));
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'llm-rollout-e2e-'));
  stack = await startEmbeddedStack({ dir, taskQueue: 'e2e' });
  sims.baseline = await startSimulatedBackend({
    model: 'sim-base',
    behaviour: { latencyMedianMs: 40, latencySigma: 0.1, seed: 1 },
  });
  sims.healthy = await startSimulatedBackend({
    model: 'sim-healthy',
    behaviour: { latencyMedianMs: 38, latencySigma: 0.1, seed: 2 },
  });
  sims.broken = await startSimulatedBackend({
    model: 'sim-broken',
    behaviour: { latencyMedianMs: 40, latencySigma: 0.1, errorRate: 0.3, seed: 3 },
  });
  sims.steady = await startSimulatedBackend({
    model: 'sim-steady',
    behaviour: { latencyMedianMs: 40, latencySigma: 0.1, seed: 4 },
  });
  sims.unpriced = await startSimulatedBackend({
    model: 'sim-unpriced',
    behaviour: { latencyMedianMs: 40, latencySigma: 0.1, seed: 5 },
  });
  // Cold at first: it fails most requests until the test warms it up (inside the plan's warm-up).
  sims.cold = await startSimulatedBackend({
    model: 'sim-cold',
    behaviour: { latencyMedianMs: 40, latencySigma: 0.1, errorRate: 0.6, seed: 6 },
  });
  // Answers like the healthy candidate, but refuses anything about refunds (2 of the load's 12 prompts).
  sims.refuser = await startSimulatedBackend({
    model: 'sim-refuser',
    behaviour: { latencyMedianMs: 5, latencySigma: 0.1, seed: 2, refusalTopics: ['refund'] },
  });
  // The replay's route: no load of its own, the rollout never reaches live traffic.
  await gatewayAdmin().defineRoute('e2e-replay', {
    backends: [{ name: 'baseline', baseUrl: sims.baseline.url, model: sims.baseline.model }],
  });
  const routes = [
    'e2e-unpriced',
    'e2e-healthy',
    'e2e-broken',
    'e2e-incident',
    'e2e-warmup',
    'e2e-prompt',
    'e2e-cohort',
    'e2e-fallback',
  ];
  for (const name of routes) {
    await gatewayAdmin().defineRoute(name, {
      backends: [
        {
          name: 'baseline',
          baseUrl: sims.baseline.url,
          model: sims.baseline.model,
          // The prompt rollout's route serves the current prompt before the rollout starts.
          ...(name === 'e2e-prompt' && { config: { systemPrompt: PROMPT_V1, systemPromptMode: 'prepend' as const } }),
        },
      ],
    });
  }
  // 24 requests/s per route. Enough traffic that even the JSON-only guardrail (schema adherence) and the streamed-only one
  // (time to first token) reach their minimum samples in each window.
  loadDone = runLoad({
    gatewayUrl: stack.gatewayUrl,
    routes,
    ratePerSecond: 192,
    durationMs: 520_000,
    users: 300,
    jsonShare: 0.5,
    streamShare: 0.5,
    signal: load.signal,
  });
  connection = await Connection.connect({ address: stack.temporalAddress });
  client = new Client({ connection, namespace: stack.namespace });
}, 120_000);

afterAll(async () => {
  load.abort();
  await loadDone?.catch(() => undefined);
  await connection?.close();
  for (const sim of Object.values(sims)) await sim.close();
  await stack?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('rollouts end to end on the embedded stack', () => {
  it('promotes a healthy candidate on a plan without prices and no gates, asking no one', async () => {
    const unpriced = plan('e2e-unpriced', 'e2e-unpriced', sims.unpriced!, [], { unpriced: true });
    expect(unpriced.backends.candidate.pricing).toEqual({ inputPer1k: 0, outputPer1k: 0 });
    const handle = await startRollout(client, unpriced, { taskQueue: stack.taskQueue, requestedBy: 'carol' });
    const result = await watchRollout(handle, () => undefined);
    expect(result.outcome, result.reason).toBe('promoted');
    const types = result.timeline.map((event) => event.type);
    expect(types).not.toContain('gate_opened');
    expect(types).not.toContain('window_extended');
    // The traffic judge's verdicts (the canary's checks of live answers, on by default, are not priced).
    const judged = result.verdicts.filter(
      (verdict) =>
        (verdict.stage === 'shadow' || verdict.stage.startsWith('canary-')) && !isLiveAnswersVerdict(verdict),
    );
    expect(judged.length).toBeGreaterThan(0);
    for (const verdict of judged) {
      expect(verdict.metrics.map((metric) => metric.metric)).not.toContain('costPerRequest');
      expect((verdict as { notes?: string[] }).notes).toContain('costPerRequest not judged: the plan gives no prices');
    }
  }, 120_000);

  it('leaves a cold start inside the warm-up out of judging, and promotes the candidate once it is warm', async () => {
    const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
    const cold = plan('e2e-warmup', 'e2e-warmup', sims.cold!, [], { warmUp: '6s' });
    const handle = await startRollout(client, cold, { taskQueue: stack.taskQueue, requestedBy: 'carol' });
    let status = await handle.query(statusQuery);
    for (let i = 0; i < 120 && !status.warmUpUntil; i++) {
      await sleep(250);
      status = await handle.query(statusQuery);
    }
    expect(status.warmUpUntil, `${status.phase}/${status.stage}`).toBeDefined();
    expect(status.stage).toBe('shadow');
    // The candidate's mirrored copies fail while it is cold; it warms up well inside the 6 s.
    await sleep(3_000);
    sims.cold!.setBehaviour({ errorRate: 0 });
    const result = await watchRollout(handle, () => undefined);
    expect(result.outcome, result.reason).toBe('promoted');

    const warmUp = result.timeline.find((event) => event.type === 'warm_up' && event.stage === 'shadow')!;
    const judgedFromMs = Date.parse(warmUp.at) + 6_000;
    // The cold start was real (a judge counting it would have rolled back on errorRate, critical),
    // and all of it fell inside the warm-up.
    const gateway = gatewayAdmin();
    const { epoch } = await gateway.info();
    const page = await gateway.records('e2e-warmup', { since: 0, epoch, limit: 10_000 });
    const coldFailures = page.records.filter(
      (record) => record.backend === 'candidate' && record.mode === 'shadow' && record.status >= 500,
    );
    expect(coldFailures.length).toBeGreaterThan(5);
    expect(coldFailures.every((record) => Date.parse(record.at) < judgedFromMs)).toBe(true);
    const shadowVerdicts = result.verdicts.filter((verdict) => verdict.stage === 'shadow');
    expect(shadowVerdicts.length).toBeGreaterThan(0);
    for (const verdict of shadowVerdicts)
      expect(verdict.metrics.find((metric) => metric.metric === 'errorRate')?.candidate, verdict.reason).toBe(0);
  }, 150_000);

  it('promotes a healthy candidate after an approval, rolls back a broken one, and rolls back on an incident signal', async () => {
    const healthy = await startRollout(client, plan('e2e-healthy', 'e2e-healthy', sims.healthy!, ['cutover']), {
      taskQueue: stack.taskQueue,
      requestedBy: 'carol',
    });
    const broken = await startRollout(client, plan('e2e-broken', 'e2e-broken', sims.broken!), {
      taskQueue: stack.taskQueue,
      requestedBy: 'carol',
    });
    const incident = await startRollout(client, plan('e2e-incident', 'e2e-incident', sims.steady!), {
      taskQueue: stack.taskQueue,
      requestedBy: 'carol',
    });

    // The broken candidate errors on 30% of requests: the shadow soak catches it.
    const brokenResult = await watchRollout(broken, () => undefined);
    expect(brokenResult.outcome).toBe('rolled_back');
    expect(brokenResult.reason).toMatch(/^shadow: critical regression: errorRate up/);
    const brokenRoute = await route('e2e-broken');
    expect(brokenRoute.weights).toEqual({ baseline: 100, candidate: 0 });
    expect(brokenRoute.shadow.enabled).toBe(false);

    // An incident responder rolls back the steady candidate once it serves live traffic.
    for (let i = 0; i < 160 && (await incident.query(statusQuery)).weights.candidate !== 25; i++)
      await new Promise((r) => setTimeout(r, 250));
    const incidentStatus = await incident.query(statusQuery);
    expect(
      incidentStatus.weights.candidate,
      `e2e-incident at ${incidentStatus.phase}/${incidentStatus.stage}: ${incidentStatus.gate?.evidence?.reason ?? incidentStatus.verdicts.at(-1)?.reason ?? ''}`,
    ).toBe(25);
    expect((await route('e2e-incident')).weights.candidate).toBe(25);
    await requestRollback(client, 'e2e-incident', {
      reason: 'INC-77: upstream dependency degraded',
      by: 'oncall-dave',
    });
    const incidentResult = await watchRollout(incident, () => undefined);
    expect(incidentResult.outcome).toBe('rolled_back');
    expect(incidentResult.reason).toBe('rollback requested by oncall-dave: INC-77: upstream dependency degraded');
    expect((await route('e2e-incident')).weights).toEqual({ baseline: 100, candidate: 0 });

    // The healthy one waits for a release owner before the cutover; a stranger cannot approve.
    // Real ramps and windows: on a loaded machine (CI beside other jobs) this takes well over a minute.
    for (let i = 0; i < 400 && !(await healthy.query(statusQuery)).gate; i++)
      await new Promise((r) => setTimeout(r, 250));
    const atGate = await healthy.query(statusQuery);
    expect(
      atGate.gate?.before,
      `e2e-healthy at ${atGate.phase}/${atGate.stage}: ${atGate.verdicts.at(-1)?.reason ?? ''}`,
    ).toBe('cutover');
    expect((await route('e2e-healthy')).weights).toEqual({ baseline: 50, candidate: 50 });
    await expect(decide(client, 'e2e-healthy', 'approve', { by: 'mallory' })).rejects.toThrow(
      'mallory is not an approver',
    );
    await decide(client, 'e2e-healthy', 'approve', { by: 'alice', gateId: atGate.gate!.id });
    const healthyResult = await watchRollout(healthy, () => undefined);
    expect(healthyResult.outcome).toBe('promoted');
    const promoted = await route('e2e-healthy');
    expect(promoted.backends.map((backend) => backend.model)).toEqual(['sim-healthy']);
    expect(promoted.weights).toEqual({ baseline: 100 });

    // Verdicts were made on real figures read back from Prometheus.
    const passing = healthyResult.verdicts.filter(
      (verdict) => verdict.outcome === 'pass' && !isLiveAnswersVerdict(verdict),
    );
    expect(passing.length).toBeGreaterThanOrEqual(4);
    for (const verdict of passing) {
      const errorRate = verdict.metrics.find((metric) => metric.metric === 'errorRate')!;
      expect(errorRate.samples.candidate).toBeGreaterThanOrEqual(10);
      expect(errorRate.candidate).toBe(0);
    }
    // The shadow soak measured the baseline's time to first token; the canary steps judged it.
    const canaryVerdicts = healthyResult.verdicts.filter(
      (verdict) => verdict.stage.startsWith('canary-') && verdict.outcome === 'pass' && !isLiveAnswersVerdict(verdict),
    );
    expect(canaryVerdicts.length).toBeGreaterThanOrEqual(2);
    for (const verdict of canaryVerdicts) {
      expect(
        verdict.metrics.find((metric) => metric.metric === 'timeToFirstToken'),
        verdict.reason,
      ).toMatchObject({ classification: 'pass' });
    }

    await replayAndRecord(
      await Promise.all(
        ['e2e-healthy', 'e2e-broken', 'e2e-incident'].map(async (name) => ({
          name,
          history: await rolloutHandle(client, name).fetchHistory(),
        })),
      ),
    );
  }, 180_000);

  it('promotes a prompt change on the same model at the same URL: the gateway applies each side’s bundle to live traffic', async () => {
    const prompted = plan('e2e-prompt', 'e2e-prompt', sims.baseline!, [], {
      unpriced: true, // a longer prompt costs more per request; prices would judge that as well
      configs: {
        baseline: { systemPrompt: PROMPT_V1 },
        candidate: { systemPrompt: PROMPT_V2, sampling: { temperature: 0.3 } },
      },
    });
    const digest = (side: 'baseline' | 'candidate') => configDigest(bundleOf(prompted.backends[side].config))!;
    const handle = await startRollout(client, prompted, { taskQueue: stack.taskQueue, requestedBy: 'carol' });
    const { result, records } = await watchReadingRecords(handle, 'e2e-prompt');
    expect(result.outcome, result.reason).toBe('promoted');
    // The record names both bundles.
    const started = result.timeline.find((event) => event.type === 'started')!;
    expect(started.message).toContain(`baseline configuration ${shortDigest(digest('baseline'))}: system prompt`);
    expect(started.message).toContain(`candidate configuration ${shortDigest(digest('candidate'))}: system prompt`);
    // Both sides were the same server and model; the candidate's requests carried its longer prompt.
    // Until the cutover: once promoted, 'baseline' names the same server with the candidate's bundle.
    const cutoverAt = Date.parse(result.stages.find((stage) => stage.kind === 'cutover')!.startedAt!);
    const meanPromptTokens = (backend: string) => {
      const served = records.filter(
        (r) => r.backend === backend && r.mode === 'live' && r.status === 200 && Date.parse(r.at) < cutoverAt,
      );
      expect(served.length, backend).toBeGreaterThan(50);
      return served.reduce((sum, r) => sum + r.promptTokens, 0) / served.length;
    };
    const longer = Math.ceil(PROMPT_V2.length / 4) - Math.ceil(PROMPT_V1.length / 4);
    const difference = meanPromptTokens('candidate') - meanPromptTokens('baseline');
    expect(difference).toBeGreaterThan(0.8 * longer);
    expect(difference).toBeLessThan(1.2 * longer);
    // Promoted: the route's one backend is the same server with the candidate's bundle.
    const promoted = await route('e2e-prompt');
    expect(promoted.backends).toEqual([
      expect.objectContaining({ name: 'baseline', model: 'sim-base', configDigest: digest('candidate') }),
    ]);
  }, 150_000);

  it('exposes a cohort of users first (a key range): only its users reach the candidate, judged on its own traffic, then promoted', async () => {
    const input = withShortWindows(
      demoPlan({
        id: 'e2e-cohort',
        route: 'e2e-cohort',
        baseline: sims.baseline!,
        candidate: sims.healthy!,
        stack,
        gates: [],
      }),
    );
    // 40 % of the load's users, half of them on the candidate; no random share after it.
    input.stages!.canary = {
      ...input.stages!.canary,
      cohort: { match: { keyRange: { from: 0, to: 0.4 } }, steps: [{ weight: 50, window: '12s' }] },
      steps: [],
    };
    const handle = await startRollout(client, parsePlan(input), { taskQueue: stack.taskQueue, requestedBy: 'carol' });
    const { result, records } = await watchReadingRecords(handle, 'e2e-cohort');
    expect(result.outcome, result.reason).toBe('promoted');
    expect(result.stages.map((stage) => stage.id)).toEqual(['shadow', 'cohort-1', 'cutover']);

    // Before the cutover only the cohort's users reached the candidate, and about half of them did.
    const startOf = (id: string) => Date.parse(result.stages.find((stage) => stage.id === id)!.startedAt!);
    const beforeCutover = records.filter((r) => r.mode === 'live' && Date.parse(r.at) < startOf('cutover'));
    expect(beforeCutover.filter((r) => r.backend === 'candidate' && !r.cohort)).toEqual([]);
    const live = beforeCutover.filter((r) => Date.parse(r.at) >= startOf('cohort-1'));
    const inCohort = live.filter((r) => r.cohort);
    const onCandidate = inCohort.filter((r) => r.backend === 'candidate').length;
    expect(inCohort.length).toBeGreaterThan(60);
    expect(onCandidate / inCohort.length).toBeGreaterThan(0.2);
    expect(onCandidate / inCohort.length).toBeLessThan(0.8);
    // The cohort is about 40 % of the users, so of the requests.
    const cohortShare = inCohort.length / live.length;
    expect(cohortShare).toBeGreaterThan(0.25);
    expect(cohortShare).toBeLessThan(0.55);
    // Judged on the cohort's own traffic, and the verdicts say so.
    const cohortVerdicts = result.verdicts.filter((v) => v.stage === 'cohort-1' && !isLiveAnswersVerdict(v));
    expect(cohortVerdicts.length).toBeGreaterThan(0);
    for (const verdict of cohortVerdicts)
      expect((verdict as { notes?: string[] }).notes).toContain(COHORT_JUDGING_TEXT.cohort_baseline);
    // Promoted: everyone on the candidate's model, no cohort left on the route.
    const promoted = await route('e2e-cohort');
    expect(promoted.backends.map((backend) => backend.model)).toEqual(['sim-healthy']);
    expect(promoted.cohort).toBeNull();
  }, 150_000);

  it('serves a failing candidate’s clients from the plan’s fallback while the judge still sees its failures and rolls it back', async () => {
    const input = withShortWindows(
      demoPlan({
        id: 'e2e-fallback',
        route: 'e2e-fallback',
        baseline: sims.baseline!,
        candidate: sims.broken!,
        stack,
        gates: [],
      }),
    );
    // No shadow soak: the candidate's 30 % errors meet live clients in the canary.
    input.stages!.shadow = { enabled: false };
    input.router = {
      ...input.router!,
      fallback: { baseUrl: sims.baseline!.url, model: sims.baseline!.model },
    } as typeof input.router;
    const handle = await startRollout(client, parsePlan(input), { taskQueue: stack.taskQueue, requestedBy: 'carol' });
    const { result, records } = await watchReadingRecords(handle, 'e2e-fallback');
    expect(result.outcome).toBe('rolled_back');
    expect(result.reason).toMatch(/^canary-1: critical regression: errorRate up/);
    // Every candidate failure was answered by the fallback, under its own name and the same request id.
    // A few seconds of canary at 25 % are enough for the judge, so only a handful fail before the rollback.
    const failed = records.filter((r) => r.backend === 'candidate' && r.mode === 'live' && r.status >= 500);
    expect(failed.length).toBeGreaterThan(0);
    const answered = new Map(
      records
        .filter((r) => r.backend === FALLBACK_BACKEND && r.fallbackFor === 'candidate')
        .map((r) => [r.requestId, r]),
    );
    for (const record of failed) {
      expect(record.fallbackTo).toBe(FALLBACK_BACKEND);
      expect(answered.get(record.requestId)?.status).toBe(200);
    }
    // Rolled back: nobody on the candidate, the fallback still on the route.
    const after = await route('e2e-fallback');
    expect(after.weights).toEqual({ baseline: 100, candidate: 0 });
    expect(after.fallback?.backend).toMatchObject({ name: FALLBACK_BACKEND, model: sims.baseline!.model });
  }, 150_000);

  it('captures live requests with the CLI and replays them to both backends: a candidate refusing a topic is rolled back there', async () => {
    const cli = (...args: string[]) =>
      run(process.execPath, ['bin/rollout.mjs', 'capture', ...args, '--admin-url', stack.gatewayAdminUrl], {
        env: { ...process.env, GATEWAY_ADMIN_TOKEN: stack.gatewayAdminToken },
      });
    // The promoted route of the first test still takes its share of the load.
    expect((await cli('e2e-unpriced', '--enable')).stdout.trim()).toBe(
      'capture on for e2e-unpriced: 100% of live chat requests, masking email, phone, card, ipv4, apiKey, dropping user, metadata',
    );
    await new Promise((resolve) => setTimeout(resolve, 4_000));
    expect((await cli('e2e-unpriced', '--disable')).stdout.trim()).toBe('capture off for e2e-unpriced');
    const file = join(dir, 'captured.jsonl');
    const { stdout } = await cli('e2e-unpriced', '--out', file, '--limit', '80');
    expect(stdout.trim()).toMatch(new RegExp(`^rollout capture: 80 requests of e2e-unpriced written to ${file}$`));
    const items = (await readFile(file, 'utf8'))
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { messages: Array<{ role: string; content: string }>; params?: object });
    expect(items).toHaveLength(80);
    expect(items.every((item) => item.messages.some((m) => m.role === 'user'))).toBe(true);
    // Half the load asks for JSON: those requests keep their response_format.
    expect(items.some((item) => JSON.stringify(item.params ?? {}).includes('json_object'))).toBe(true);

    const input = withShortWindows(
      demoPlan({
        id: 'e2e-replay',
        route: 'e2e-replay',
        baseline: sims.baseline!,
        candidate: sims.refuser!,
        stack,
        gates: [],
      }),
    );
    input.stages!.shadow = { enabled: false };
    input.stages!.replay = { enabled: true, dataset: file, concurrency: 8, minPassRate: 0.5 };
    const handle = await startRollout(client, parsePlan(input), { taskQueue: stack.taskQueue, requestedBy: 'carol' });
    const result = await watchRollout(handle, () => undefined);
    expect(result.outcome).toBe('rolled_back');
    expect(result.reason).toMatch(/^replay: regression on blocking metric\(s\): refusalRate \+/);
    const replay = result.verdicts.find((verdict) => verdict.stage === 'replay')!;
    expect(replay.metrics.find((metric) => metric.metric === 'refusalRate')).toMatchObject({ baseline: 0 });
    expect((await route('e2e-replay')).weights).toEqual({ baseline: 100, candidate: 0 });
  }, 150_000);

  it('reads the gateway series back from Prometheus: a 30% error candidate reads near 0.3, the baseline near 0', async () => {
    // Mirror all of the route's traffic to the broken candidate for a few seconds of its own.
    const shadow = (body: SetShadowRequest) => gatewayAdmin().setShadow('e2e-broken', body);
    const startMs = Date.now();
    await shadow({ enabled: true, target: 'candidate', share: 1 });
    await new Promise((resolve) => setTimeout(resolve, 8_000));
    await shadow({ enabled: false });
    await new Promise((resolve) => setTimeout(resolve, 1_500)); // one more scrape
    const figures = await readPrometheusFigures({
      prometheusUrl: stack.prometheusUrl,
      route: 'e2e-broken',
      startMs,
      endMs: Date.now(),
      baseline: { backend: 'baseline', mode: 'live' },
      candidate: { backend: 'candidate', mode: 'shadow' },
    });
    // ~24 requests/s reach this route: ~190 in the window, each mirrored once.
    expect(figures.baseline.requests).toBeGreaterThan(80);
    expect(figures.baseline.errorRate).toBe(0);
    expect(figures.candidate.requests).toBeGreaterThan(80);
    // 30% errors; with ≥ 80 requests the standard error is ≤ 0.05, so ±0.15 is 3 SE.
    expect(figures.candidate.errorRate).toBeGreaterThan(0.15);
    expect(figures.candidate.errorRate).toBeLessThan(0.45);
    expect(figures.baseline.p99LatencySeconds).toBeGreaterThan(0.02);
    // Milliseconds, not seconds or an empty histogram: a loaded CI machine adds tens of ms at p99.
    expect(figures.baseline.p99LatencySeconds).toBeLessThan(0.5);
  });
});

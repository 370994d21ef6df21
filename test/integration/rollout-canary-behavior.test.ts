// The canary's behavioral check end to end on the embedded stack: the real gateway keeps live
// answers as text, the worker's activity reads them at every check, and with no shadow soak, no
// golden eval and no LLM judge, a candidate that opens half its answers with a qualifying phrase
// is stopped during the canary on phrasing alone; a healthy one is promoted; and with the phrasing
// check off, a candidate that hedges is stopped by the LLM judge (a simulated one) on live answers.
import { Client, Connection } from '@temporalio/client';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decide } from '../../client/rollout-commands';
import { startRollout } from '../../client/rollouts';
import { demoPlan } from '../../demo/demo-plans';
import { GatewayAdminClient } from '../../gateway/admin-client';
import { parsePlan, type RolloutPlanInput } from '../../plan/schema';
import { runLoad } from '../../simulator/load-generator';
import { startSimulatedBackend, type SimulatedBackend } from '../../simulator/sim-backend';
import { startEmbeddedStack, type EmbeddedStack } from '../../stack/embedded-stack';
import { statusQuery } from '../../workflows/model-rollout';

let dir: string;
let stack: EmbeddedStack;
let client: Client;
let connection: Connection;
const sims: Record<string, SimulatedBackend> = {};
const load = new AbortController();
let loadDone: Promise<unknown>;

const gatewayAdmin = () => new GatewayAdminClient({ adminUrl: stack.gatewayAdminUrl, token: stack.gatewayAdminToken });

type Behavioral = NonNullable<NonNullable<NonNullable<RolloutPlanInput['stages']>['canary']>['behavioral']>;

function plan(id: string, candidate: SimulatedBackend, behavioral: Behavioral = {}) {
  const input = demoPlan({ id, route: id, baseline: sims.baseline!, candidate, stack, gates: [] });
  // Only the canary sees the candidate's answers: no shadow soak, no golden eval.
  input.stages!.shadow = { enabled: false };
  input.stages!.canary = {
    checkInterval: '4s',
    steps: [{ weight: 50, window: '12s' }],
    behavioral,
  };
  input.stages!.cutover = { bake: '4s', revertWindow: '0s' }; // ends at promotion: no revert window to wait out
  // Without mirroring the bake has no live baseline: its verdict asks a person (the test approves).
  input.guardrails = { ...input.guardrails, onInconclusive: 'ask' };
  return parsePlan(input);
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'llm-rollout-canary-behavior-'));
  stack = await startEmbeddedStack({ dir, taskQueue: 'canary-behavior' });
  sims.baseline = await startSimulatedBackend({
    model: 'sim-base',
    behaviour: { latencyMedianMs: 30, latencySigma: 0.1, seed: 1 },
  });
  sims.qualifier = await startSimulatedBackend({
    model: 'sim-qualifier',
    // The baseline's content, with the qualifier: only the phrasing changed.
    behaviour: { latencyMedianMs: 30, latencySigma: 0.1, seed: 2, contentSeed: 1, qualifierRate: 0.5 },
  });
  // Says what the baseline says, hedged in half its answers: no new opening phrase, no refusals.
  sims.hedging = await startSimulatedBackend({
    model: 'sim-hedging',
    behaviour: { latencyMedianMs: 30, latencySigma: 0.1, seed: 4, contentSeed: 1, hedgeRate: 0.5 },
  });
  // The SIMULATED JUDGE (simulator/judge-answer.ts): the LLM judge's real code path against a simulator.
  sims.judge = await startSimulatedBackend({
    model: 'sim-judge',
    behaviour: { latencyMedianMs: 10, latencySigma: 0.1, maxConcurrency: 64, seed: 5 },
  });
  sims.healthy = await startSimulatedBackend({
    model: 'sim-healthy',
    behaviour: { latencyMedianMs: 30, latencySigma: 0.1, seed: 3, contentSeed: 1 },
  });
  for (const name of ['cb-qualifier', 'cb-healthy', 'cb-hedging'])
    await gatewayAdmin().defineRoute(name, {
      backends: [{ name: 'baseline', baseUrl: sims.baseline.url, model: sims.baseline.model }],
    });
  loadDone = runLoad({
    gatewayUrl: stack.gatewayUrl,
    routes: ['cb-qualifier', 'cb-healthy', 'cb-hedging'],
    ratePerSecond: 60,
    durationMs: 180_000,
    users: 200,
    jsonShare: 0.3,
    streamShare: 0.3,
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

describe('canary behavioral checks on the embedded stack', () => {
  it('stops a candidate that adds a qualifying phrase during the canary, with no judge, and promotes a healthy one', async () => {
    const bad = await startRollout(client, plan('cb-qualifier', sims.qualifier!), {
      taskQueue: stack.taskQueue,
      requestedBy: 'carol',
    });
    const good = await startRollout(client, plan('cb-healthy', sims.healthy!), {
      taskQueue: stack.taskQueue,
      requestedBy: 'carol',
    });

    const badResult = await bad.result();
    expect(badResult.outcome, `${badResult.reason}; ${badResult.verdicts.map((v) => v.reason).join(' | ')}`).toBe(
      'rolled_back',
    );
    expect(badResult.reason).toMatch(/^canary-1: live answers: blocking regression/);
    expect(badResult.reason).toMatch(/candidate starts \d+\.\d% of answers with "As far as I can tell/);
    expect(badResult.reason).toMatch(/refusals, JSON and length \(canary judge\): refusalRate/);
    const verdict = badResult.verdicts.find((v) => v.reason.startsWith('live answers'))!;
    expect((verdict.metrics[0] as { decidedBy?: string }).decidedBy).toMatch(/Fisher.*α spent over the looks/);
    expect((await gatewayAdmin().getRoute('cb-qualifier'))!.weights).toEqual({ baseline: 100, candidate: 0 });

    // The bake (no mirrored baseline) asks a person; the canary step passed on its own.
    for (let i = 0; i < 240; i++) {
      const status = await good.query(statusQuery);
      if (status.phase === 'finished') break;
      if (status.gate)
        await decide(client, 'cb-healthy', 'approve', { by: 'alice', gateId: status.gate.id, reason: 'bake ok' });
      await new Promise((r) => setTimeout(r, 500));
    }
    const goodResult = await good.result();
    expect(goodResult.outcome, `${goodResult.reason}; ${goodResult.verdicts.map((v) => v.reason).join(' | ')}`).toBe(
      'promoted',
    );
    const behavioral = goodResult.verdicts.filter((v) => v.reason.startsWith('live answers'));
    expect(behavioral.find((v) => v.stage === 'canary-1')?.outcome, behavioral[0]?.reason).toBe('pass');
    expect(goodResult.timeline.map((e) => e.type)).not.toContain('behavior_differs');
  }, 180_000);

  it("stops a candidate that hedges during the canary on the LLM judge's scores of live answers, phrasing check off", async () => {
    const handle = await startRollout(
      client,
      plan('cb-hedging', sims.hedging!, {
        phrasing: { enabled: false },
        judge: { baseUrl: sims.judge!.url, model: sims.judge!.model, concurrency: 8 },
        judgeCallsPerCheck: 30,
      }),
      { taskQueue: stack.taskQueue, requestedBy: 'carol' },
    );
    const result = await handle.result();
    expect(result.outcome, `${result.reason}; ${result.verdicts.map((v) => v.reason).join(' | ')}`).toBe('rolled_back');
    expect(result.reason).toMatch(/^canary-1: live answers: blocking regression/);
    expect(result.reason).toMatch(/judge\.directness/);
    const verdict = result.verdicts.find((v) => v.reason.startsWith('live answers'))!;
    const directness = verdict.metrics.find((m) => m.metric === 'judge.directness')!;
    expect(directness.classification).toBe('low');
    expect(directness.samples.candidate).toBeGreaterThanOrEqual(10);
    expect(directness.interval![1]).toBeLessThan(0);
    // Phrasing was not judged: the judge alone found it.
    expect(verdict.metrics.map((m) => m.metric)).not.toContain('phrasing');
    expect((await gatewayAdmin().getRoute('cb-hedging'))!.weights).toEqual({ baseline: 100, candidate: 0 });
  }, 120_000);
});

// Issue 4's acceptance for the shadow soak: a real gateway mirrors live traffic from the load
// generator to the candidate, and the compareShadow activity pairs each mirrored answer with the
// baseline's for the same request. Each simulated regression breaches the thresholds meant for it
// (two or more roll back, one asks a human), the healthy-but-different candidate goes to a human,
// and a healthy one passes.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ShadowCompareInput } from '../../activities/contract';
import { createShadowCompareActivities, readShadowPairs } from '../../activities/shadow-compare';
import type { BehavioralMetricEvidence, BehavioralVerdict } from '../../evals/metric-judgement';
import type { GatewayHandle } from '../../gateway/server';
import { parsePlan, type RolloutPlan } from '../../plan/schema';
import { DEFAULT_BEHAVIOUR, type Behaviour } from '../../simulator/behaviour';
import { runLoad } from '../../simulator/load-generator';
import { startSimulatedBackend, type SimulatedBackend } from '../../simulator/sim-backend';
import { freePort } from '../../stack/free-port';
import { FailureType } from '../../workflows/failure-types';
import { adminOf, startGatewayOverPair } from '../support/gateway-over-pair';

const ROUTE = 'support-shadow';
const QUICK = { latencyMedianMs: 2, latencySigma: 0.2, maxConcurrency: 256, contentSeed: 7 };
const JSON_SCHEMA = {
  type: 'object',
  required: ['answer', 'confidence'],
  properties: { answer: { type: 'string' }, confidence: { type: 'number' } },
};

let baseline: SimulatedBackend;
let candidate: SimulatedBackend;
let judge: SimulatedBackend;
let gateway: GatewayHandle;
let reports: string;
let run = 0;
const previousReports = process.env.ROLLOUT_REPORTS_DIR;

beforeAll(async () => {
  [baseline, candidate, judge] = await Promise.all([
    startSimulatedBackend({ model: 'sim-shadow-base', behaviour: { ...QUICK, seed: 11 } }),
    startSimulatedBackend({ model: 'sim-shadow-cand', behaviour: { ...QUICK, seed: 12 } }),
    startSimulatedBackend({
      model: 'sim-shadow-judge',
      behaviour: { latencyMedianMs: 0, latencySigma: 0, maxConcurrency: 256 },
    }),
  ]);
  gateway = await startGatewayOverPair(ROUTE, { baseline, candidate }, 3);
  await adminOf(gateway).setWeights(ROUTE, { weights: { baseline: 100, candidate: 0 } });
  await adminOf(gateway).setShadow(ROUTE, { enabled: true, target: 'candidate', share: 1 });
  // The activity reads the shadow pairs as the worker would, with the token from its environment.
  process.env.GATEWAY_ADMIN_TOKEN = gateway.adminToken;
  reports = await mkdtemp(join(tmpdir(), 'shadow-compare-'));
  process.env.ROLLOUT_REPORTS_DIR = reports;
});

afterAll(async () => {
  if (previousReports === undefined) delete process.env.ROLLOUT_REPORTS_DIR;
  else process.env.ROLLOUT_REPORTS_DIR = previousReports;
  delete process.env.GATEWAY_ADMIN_TOKEN;
  await gateway?.close();
  await Promise.all([baseline?.close(), candidate?.close(), judge?.close()]);
  await rm(reports, { recursive: true, force: true });
});

/** Polls until the route's shadow pairs on `at` stop growing (bounded to 5 s). */
async function settledPairs(at: GatewayHandle = gateway): Promise<number> {
  let previous = -1;
  for (const deadline = Date.now() + 5_000; Date.now() < deadline;) {
    const count = (await readShadowPairs({ adminUrl: at.adminUrl, route: ROUTE, sinceSeq: 0 })).length;
    if (count === previous) return count;
    previous = count;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return previous;
}

function plan(compare: Record<string, unknown>): RolloutPlan {
  return parsePlan({
    rollout: { id: 'shadow-compare' },
    backends: {
      baseline: { baseUrl: baseline.url, model: baseline.model },
      candidate: { baseUrl: candidate.url, model: candidate.model },
    },
    approvals: { approvers: ['alice'] },
    stages: { shadow: { share: 1, compare } },
  });
}

/** Mirrors `requests` live requests with the candidate behaving as `patch`, then compares the window. */
async function soak(
  patch: Partial<Behaviour>,
  options: {
    requests?: number;
    compare?: Record<string, unknown>;
    replicas?: { serving: GatewayHandle[]; adminUrls: string[] };
  } = {},
): Promise<{ verdict: BehavioralVerdict; byName: Record<string, BehavioralMetricEvidence> }> {
  candidate.setBehaviour({ ...DEFAULT_BEHAVIOUR, ...QUICK, seed: 12, ...patch });
  const serving = options.replicas?.serving ?? [gateway];
  await Promise.all(serving.map((g) => settledPairs(g)));
  const windowStartMs = Date.now();
  run++;
  // The load is split evenly over the gateways serving the route, as a load balancer would.
  const loads = await Promise.all(
    serving.map((g, i) =>
      runLoad({
        gatewayUrl: g.url,
        routes: [ROUTE],
        ratePerSecond: 1_000,
        maxRequests: (options.requests ?? 300) / serving.length,
        users: 1_000,
        userPrefix: `soak${run}-${i}-`,
        jsonShare: 0.3,
        maxInFlight: 500,
        seed: run * 10 + i,
      }),
    ),
  );
  expect(loads.reduce((sum, load) => sum + (load.byStatus['200'] ?? 0), 0)).toBe(options.requests ?? 300);
  await Promise.all(serving.map((g) => settledPairs(g)));
  const compare = options.compare ?? {
    judge: { baseUrl: judge.url, model: judge.model, concurrency: 8 },
    embeddings: { baseUrl: judge.url, model: judge.model, concurrency: 8 },
    sample: { share: 0.5 },
  };
  const p = plan(compare);
  const input: ShadowCompareInput = {
    rolloutId: 'shadow-compare',
    stage: `shadow-${run}`,
    adminUrl: gateway.adminUrl,
    ...(options.replicas ? { replicas: options.replicas.adminUrls } : {}),
    route: ROUTE,
    windowStartMs,
    config: p.stages.shadow,
    guardrails: p.guardrails,
    pricing: { baseline: p.backends.baseline.pricing, candidate: p.backends.candidate.pricing },
  };
  const verdict = (await new MockActivityEnvironment(undefined, { logger: new DefaultLogger('WARN') }).run(
    createShadowCompareActivities().compareShadow,
    input,
  )) as BehavioralVerdict;
  return { verdict, byName: Object.fromEntries(verdict.metrics.map((m) => [m.metric, m as BehavioralMetricEvidence])) };
}

const breaches = (byName: Record<string, BehavioralMetricEvidence>) =>
  Object.values(byName)
    .filter((m) => m.change === 'regression')
    .map((m) => m.metric)
    .sort();

describe('shadow comparison on mirrored traffic', () => {
  it('passes a healthy candidate, comparing only the window’s pairs, with a report', async () => {
    const { verdict, byName } = await soak({});
    expect(verdict.outcome).toBe('pass');
    expect(verdict.reason).toMatch(/^no breached threshold on 300 shadow pairs \(13 metrics\)$/);
    expect(byName.errorRate!.samples.baseline).toBe(300);
    expect(byName.schemaAdherence!.samples.baseline).toBeGreaterThan(50);
    // The sample: about half the pairs, chosen by request id, judged and embedded.
    expect(byName['judge.completeness']!.samples.baseline).toBeGreaterThan(100);
    expect(byName['judge.completeness']!.samples.baseline).toBeLessThan(200);
    expect(byName.similarity!.noScore).toBe(0);
    expect(byName.tokens).toBeDefined();
    const md = await readFile(verdict.report!, 'utf8');
    expect(md).toContain('# shadow comparison: shadow-compare / shadow-');
    expect(md).toContain('- shadow pairs in the window: 300');
  });

  it('rolls back shorter answers that skip content: length and the judge’s completeness', async () => {
    const { verdict, byName } = await soak({ skipContentRate: 0.7 });
    expect(verdict.outcome).toBe('fail');
    expect(breaches(byName)).toEqual(expect.arrayContaining(['judge.completeness', 'length']));
    expect(verdict.reason).toMatch(/^\d breached thresholds on 300 shadow pairs: /);
    // The gateway holds the earlier soak's pairs too; only this window's 300 were compared.
    expect((await readShadowPairs({ adminUrl: gateway.adminUrl, route: ROUTE, sinceSeq: 0 })).length).toBeGreaterThan(
      300,
    );
    expect(byName.length!.message).toMatch(/per-pair length ratio p10 0\.\d\d, p50 0\.\d\d, p90 \d\.\d\d/);
  });

  it('rolls back hedging: the hedge rate and the judge’s directness', async () => {
    const { verdict, byName } = await soak({ hedgeRate: 0.5 });
    expect(verdict.outcome).toBe('fail');
    expect(breaches(byName)).toEqual(expect.arrayContaining(['hedgeRate', 'judge.directness']));
  });

  it('stops a new qualifier the hedge patterns do not know, without a judge: a person sees the phrase', async () => {
    const { verdict, byName } = await soak({ qualifierRate: 0.5 }, { compare: {} });
    expect(verdict.outcome).toBe('inconclusive');
    expect(breaches(byName)).toEqual(['phrasing']);
    expect(byName.hedgeRate!.change).toBe('none');
    expect(verdict.reason).toMatch(
      /^1 breached threshold on 300 shadow pairs; differs from the baseline; needs review: phrasing: candidate starts \d+\.\d% of answers with "As far as I can tell …"; baseline 0\.0%/,
    );
  });

  it('rolls back refusals on a topic: the refusal rate, and what the refusals do to the rest', async () => {
    const { verdict, byName } = await soak({ refusalTopics: ['refund'] });
    expect(verdict.outcome).toBe('fail');
    expect(byName.refusalRate).toMatchObject({ change: 'regression', baseline: 0 });
    expect(byName.refusalRate!.candidate!).toBeGreaterThan(0.08);
    expect(breaches(byName).length).toBeGreaterThanOrEqual(2);
  });

  it('asks a human about JSON that drops a field: one breach, of the JSON contract (the baseline’s keys)', async () => {
    const { verdict, byName } = await soak({ jsonDropFields: ['confidence'] });
    expect(verdict.outcome).toBe('inconclusive');
    expect(breaches(byName)).toEqual(['schemaAdherence']);
    expect(byName.schemaAdherence).toMatchObject({ baseline: 1, candidate: 0 });
    expect(verdict.reason).toMatch(
      /^1 breached threshold on 300 shadow pairs; differs from the baseline; needs review: schemaAdherence −100\.0 pts/,
    );
  });

  it('checks renamed JSON fields against the plan’s schema when it has one; a plan can make that breach roll back alone', async () => {
    const compare = { schema: JSON_SCHEMA, policy: { metrics: { schemaAdherence: { blocking: true } } } };
    const { verdict, byName } = await soak({ jsonRenameFields: { answer: 'response' } }, { compare });
    expect(verdict.outcome).toBe('fail');
    expect(breaches(byName)).toEqual(['schemaAdherence']);
    expect(byName['judge.completeness']).toBeUndefined();
  });

  it('sends the healthy-but-different candidate to a human: only the similarity moves, and clarity improves', async () => {
    const { verdict, byName } = await soak({ wordingDrift: 1 });
    expect(verdict.outcome).toBe('inconclusive');
    expect(breaches(byName)).toEqual(['similarity']);
    expect(byName['judge.clarity']!.change).toBe('improvement');
    expect(verdict.reason).toMatch(
      /^1 breached threshold on 300 shadow pairs; differs from the baseline; needs review: similarity −0\.\d\d .*; improvement: judge\.clarity \+/,
    );
  });

  it('compares the pairs of every gateway serving the route, and names a gateway it cannot read', async () => {
    const replica = await startGatewayOverPair(ROUTE, { baseline, candidate }, 4, gateway.adminToken);
    try {
      await adminOf(replica).setWeights(ROUTE, { weights: { baseline: 100, candidate: 0 } });
      await adminOf(replica).setShadow(ROUTE, { enabled: true, target: 'candidate', share: 1 });
      const unreachable = `http://127.0.0.1:${await freePort()}`;
      const { verdict, byName } = await soak(
        { skipContentRate: 0.7 },
        { replicas: { serving: [gateway, replica], adminUrls: [gateway.adminUrl, replica.adminUrl, unreachable] } },
      );
      expect(verdict.outcome).toBe('fail');
      expect(breaches(byName)).toEqual(expect.arrayContaining(['length']));
      // 150 mirrored through each gateway: all 300 pairs compared, one gateway named as unread.
      expect(verdict.reason).toMatch(/^\d breached thresholds on 300 shadow pairs: /);
      expect(verdict.reason).toContain(`compared on the other gateways' pairs: ${unreachable} (`);
    } finally {
      await replica.close();
    }
  });

  it('is inconclusive on too few pairs, never a pass', async () => {
    const { verdict } = await soak({}, { requests: 10, compare: {} });
    expect(verdict).toMatchObject({
      outcome: 'inconclusive',
      reason: 'only 10 shadow pairs (needs 30); not enough evidence; needs review',
    });
  });

  it('refuses, non-retryably, to read the pairs of a route the gateway does not have, with the traffic activities’ type for that case', async () => {
    const error = await readShadowPairs({ adminUrl: gateway.adminUrl, route: 'no-such-route', sinceSeq: 0 }).catch(
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(ApplicationFailure);
    expect(error).toMatchObject({ type: FailureType.RouteNotFound, nonRetryable: true });
    expect((error as ApplicationFailure).message).toContain('"no-such-route"');
  });
});

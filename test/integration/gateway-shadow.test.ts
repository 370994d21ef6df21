// Shadow mirroring through a real gateway: copies go to the shadow target, are recorded and
// paired, and never affect what the client gets.
import { afterAll, beforeAll, beforeEach, describe, it, expect } from 'vitest';
import type { RequestRecord, ShadowPair } from '../../gateway/admin-api';
import { startGateway } from '../../gateway/server';
import type { GatewayHandle } from '../../gateway/server';
import { runLoad } from '../../simulator/load-generator';
import { startSimulatedBackend } from '../../simulator/sim-backend';
import type { SimulatedBackend } from '../../simulator/sim-backend';
import { adminOf, startGatewayOverPair } from '../support/gateway-over-pair';

const ROUTE = 'support-chat';
const INSTANT = { latencyMedianMs: 0, latencySigma: 0, errorRate: 0, maxConcurrency: 1000 };

let baseline: SimulatedBackend;
let candidate: SimulatedBackend;
let gateway: GatewayHandle;
/** Records and pairs are paged from here on, so each test sees only its own traffic. */
let recordsSince = 0;
let pairsSince = 0;

async function newRecords(): Promise<RequestRecord[]> {
  return (await adminOf(gateway).records(ROUTE, { since: recordsSince, limit: 10_000 })).records;
}

async function newPairs(): Promise<ShadowPair[]> {
  return (await adminOf(gateway).shadowPairs(ROUTE, { since: pairsSince, limit: 10_000 })).pairs;
}

/** Polls until the number of shadow pairs stops growing (bounded to 5 s). */
async function settledPairs(): Promise<ShadowPair[]> {
  let previous = -1;
  let pairs: ShadowPair[] = [];
  for (const deadline = Date.now() + 5000; Date.now() < deadline;) {
    pairs = await newPairs();
    if (pairs.length === previous) break;
    previous = pairs.length;
    await new Promise((resolve) => setTimeout(resolve, 150));
  }
  return pairs;
}

function load(requests: number, userPrefix: string) {
  return runLoad({
    gatewayUrl: gateway.url,
    routes: [ROUTE],
    ratePerSecond: 500,
    maxRequests: requests,
    users: requests,
    userPrefix,
    jsonShare: 0.3,
    maxInFlight: requests,
  });
}

beforeAll(async () => {
  baseline = await startSimulatedBackend({ model: 'sim-base-8b', behaviour: { ...INSTANT, seed: 1 } });
  candidate = await startSimulatedBackend({
    model: 'sim-cand-8b',
    behaviour: { ...INSTANT, seed: 2, refusalRate: 0.2 },
  });
  gateway = await startGatewayOverPair(ROUTE, { baseline, candidate }, 3);
});

afterAll(async () => {
  await gateway?.close();
  await Promise.all([baseline?.close(), candidate?.close()]);
});

beforeEach(async () => {
  candidate.setBehaviour(INSTANT);
  await adminOf(gateway).setWeights(ROUTE, { weights: { baseline: 100 } });
  await adminOf(gateway).setShadow(ROUTE, { enabled: true, target: 'candidate', share: 0.5 });
  await settledPairs();
  recordsSince = (await adminOf(gateway).records(ROUTE, { since: recordsSince, limit: 10_000 })).nextSince;
  pairsSince = (await adminOf(gateway).shadowPairs(ROUTE, { since: pairsSince, limit: 10_000 })).nextSince;
});

describe('shadow mirroring', () => {
  it('mirrors about the configured share and pairs both answers with the request', async () => {
    const summary = await load(400, 'shadow-');
    expect(summary.byStatus).toEqual({ '200': 400 });
    expect(summary.byBackend).toEqual({ baseline: 400 });

    const pairs = await settledPairs();
    const records = await newRecords();
    const live = records.filter((r) => r.mode === 'live');
    const shadow = records.filter((r) => r.mode === 'shadow');
    expect(live).toHaveLength(400);
    // Share 0.5 of 400: binomial SD is 10 copies, so ±50 is 5 SD.
    expect(Math.abs(shadow.length - 200)).toBeLessThan(50);
    expect(shadow.every((r) => r.backend === 'candidate' && r.model === 'sim-cand-8b' && r.status === 200)).toBe(true);
    expect(pairs).toHaveLength(shadow.length);

    const liveIds = new Set(live.map((r) => r.requestId));
    for (const pair of pairs) {
      expect(liveIds.has(pair.requestId)).toBe(true);
      expect(pair.primary).toMatchObject({ backend: 'baseline', status: 200 });
      expect(pair.shadow).toMatchObject({ backend: 'candidate', status: 200 });
      expect(pair.primary.content).toEqual(expect.any(String));
      expect(pair.shadow.content).toEqual(expect.any(String));
      expect(pair.messages.map((m) => m.role)).toEqual(['system', 'user']);
    }
    // The candidate refuses 20% of the time; the pairs carry that difference for the judge.
    expect(shadow.filter((r) => r.refusal).length).toBeGreaterThan(0);

    const metrics = await (await fetch(`${gateway.adminUrl}/metrics`)).text();
    expect(metrics).toMatch(
      /llm_gateway_requests_total\{route="support-chat",backend="candidate",model="sim-cand-8b",mode="shadow",code="200"\} \d+/,
    );
    expect(metrics).toMatch(
      /llm_gateway_request_duration_seconds_count\{route="support-chat",backend="candidate",model="sim-cand-8b",mode="shadow"\} \d+/,
    );
    expect(metrics).toMatch(
      /llm_gateway_responses_flagged_total\{route="support-chat",backend="candidate",model="sim-cand-8b",mode="shadow",flag="refusal"\} \d+/,
    );
    expect(metrics).toContain('llm_gateway_shadow_share{route="support-chat"} 0.5');
  });

  it('keeps client responses intact when the shadow target fails', async () => {
    candidate.setBehaviour({ errorRate: 1 });
    const summary = await load(100, 'failing-');
    expect(summary.byStatus).toEqual({ '200': 100 });
    await settledPairs();
    const shadow = (await newRecords()).filter((r) => r.mode === 'shadow');
    expect(shadow.length).toBeGreaterThan(20);
    expect(shadow.every((r) => r.status === 500 || r.status === 503)).toBe(true);
    const metrics = await (await fetch(`${gateway.adminUrl}/metrics`)).text();
    expect(metrics).toMatch(/backend="candidate",model="sim-cand-8b",mode="shadow",code="50[03]"\} \d+/);
  });

  it('does not mirror requests the target itself served, nor when disabled', async () => {
    await adminOf(gateway).setWeights(ROUTE, { weights: { candidate: 100 } });
    const served = await load(50, 'target-');
    expect(served.byBackend).toEqual({ candidate: 50 });
    await adminOf(gateway).setWeights(ROUTE, { weights: { baseline: 100 } });
    await adminOf(gateway).setShadow(ROUTE, { enabled: false });
    await load(50, 'disabled-');
    const records = await newRecords();
    expect(records.filter((r) => r.mode === 'shadow')).toEqual([]);
    expect(records.filter((r) => r.mode === 'live')).toHaveLength(100);
  });

  it('never makes the client wait for a slow shadow target', async () => {
    candidate.setBehaviour({ latencyMedianMs: 2000 });
    await adminOf(gateway).setShadow(ROUTE, { enabled: true, share: 1 });
    const summary = await load(20, 'slow-');
    expect(summary.byStatus).toEqual({ '200': 20 });
    // Baseline answers instantly; waiting on the 2 s shadow would push every latency past 2 s.
    expect(summary.latencyMs.max).toBeLessThan(1000);
    expect(candidate.stats().inFlight).toBeGreaterThan(0);
  });
});

describe('shadow in-flight cap', () => {
  it('skips mirroring while the cap of copies is in flight', async () => {
    const slow = await startSimulatedBackend({
      model: 'sim-slow-8b',
      behaviour: { latencyMedianMs: 1500, latencySigma: 0 },
    });
    const capped = await startGateway({
      defaultMetrics: false,
      maxShadowInFlight: 3,
      routes: {
        capped: {
          backends: [
            { name: 'baseline', baseUrl: baseline.url, model: 'sim-base-8b' },
            { name: 'slow', baseUrl: slow.url, model: 'sim-slow-8b' },
          ],
        },
      },
    });
    try {
      capped.routes.setShadow('capped', { enabled: true, target: 'slow', share: 1 });
      const summary = await runLoad({
        gatewayUrl: capped.url,
        routes: ['capped'],
        ratePerSecond: 200,
        maxRequests: 20,
        users: 20,
        jsonShare: 0,
      });
      expect(summary.byStatus).toEqual({ '200': 20 });
      expect(slow.stats().requests).toBe(3);
    } finally {
      await capped.close();
      await slow.close();
    }
  });
});

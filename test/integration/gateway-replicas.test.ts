// Several gateways serving one route, each with its own admin plane (machines behind a load
// balancer), on real gateways and simulated backends: the traffic activities change every one,
// reconciliation puts back the one that restarted empty, and the statistical judge reads the
// records of all of them, naming a gateway it cannot read and one that restarted.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCanaryJudgeActivities } from '../../activities/metrics/judge-canary-window';
import { readGatewayRecords } from '../../activities/metrics/gateway-records';
import { createTrafficActivities } from '../../activities/traffic';
import { startGateway, type GatewayHandle } from '../../gateway/server';
import { parsePlan, type RolloutPlan } from '../../plan/schema';
import { runLoad } from '../../simulator/load-generator';
import { startSimulatedBackend, type SimulatedBackend } from '../../simulator/sim-backend';
import { adminOf } from '../support/gateway-over-pair';

const ROUTE = 'replicated';
const TOKEN = 'replica-test-token-0123456789';
const FAST = { latencyMedianMs: 5, latencySigma: 0.1, maxConcurrency: 256 };

let baseline: SimulatedBackend;
let candidate: SimulatedBackend;
const gateways: GatewayHandle[] = [];
let plan: RolloutPlan;
const env = process.env;

function startReplica(port = 0, adminPort = 0): Promise<GatewayHandle> {
  return startGateway({ port, adminPort, adminToken: TOKEN, defaultMetrics: false });
}

beforeAll(async () => {
  env.GATEWAY_ADMIN_TOKEN = TOKEN;
  [baseline, candidate] = await Promise.all([
    startSimulatedBackend({ model: 'sim-rep-base', behaviour: { ...FAST, seed: 1 } }),
    startSimulatedBackend({ model: 'sim-rep-cand', behaviour: { ...FAST, seed: 2 } }),
  ]);
  gateways.push(await startReplica(), await startReplica());
  plan = parsePlan({
    rollout: { id: ROUTE },
    backends: {
      baseline: { baseUrl: baseline.url, model: baseline.model },
      candidate: { baseUrl: candidate.url, model: candidate.model },
    },
    router: { kind: 'gateway', adminUrl: gateways[0]!.adminUrl, replicas: [gateways[1]!.adminUrl], route: ROUTE },
    approvals: { approvers: ['alice'] },
    guardrails: { minRequests: 20 },
  });
});

afterAll(async () => {
  await Promise.all(gateways.map((gateway) => gateway.close()));
  await Promise.all([baseline?.close(), candidate?.close()]);
});

const target = () => ({ router: plan.router, route: ROUTE });
const traffic = createTrafficActivities();
const { judgeCanaryWindow } = createCanaryJudgeActivities(readGatewayRecords);

async function judge(cursors: Awaited<ReturnType<typeof judgeCanaryWindow>>['cursors'] | null, windowStartMs: number) {
  return judgeCanaryWindow({
    rolloutId: ROUTE,
    stage: 'canary-1',
    mode: 'canary',
    route: ROUTE,
    windowStartMs,
    guardrails: plan.guardrails,
    pricing: { baseline: plan.backends.baseline.pricing, candidate: plan.backends.candidate.pricing },
    adminUrl: gateways[0]!.adminUrl,
    replicas: [gateways[0]!.adminUrl, gateways[1]!.adminUrl],
    sinceSeq: 0,
    cursors,
    judgeState: null,
    latencyReference: null,
  });
}

const load = (gateway: GatewayHandle, requests: number, seed: number) =>
  runLoad({
    gatewayUrl: gateway.url,
    routes: [ROUTE],
    ratePerSecond: 400,
    maxRequests: requests,
    users: 40,
    jsonShare: 0,
    streamShare: 0,
    seed,
  });

describe('several gateways behind one load balancer', () => {
  it('defines the route and moves the weights on every gateway', async () => {
    await traffic.prepareRoute({ ...target(), baseline: plan.backends.baseline, candidate: plan.backends.candidate });
    const state = await traffic.setCandidateWeight({ ...target(), candidatePercent: 50 });
    expect(state.weights).toEqual({ baseline: 50, candidate: 50 });
    for (const gateway of gateways)
      expect((await adminOf(gateway).getRoute(ROUTE))?.weights).toEqual({ baseline: 50, candidate: 50 });
  });

  it('judges on the records of all gateways, with one cursor per gateway process', async () => {
    const start = Date.now();
    await Promise.all([load(gateways[0]!, 120, 1), load(gateways[1]!, 80, 2)]);
    const result = await judge(null, start);
    const counts = result.verdict.metrics.find((metric) => metric.metric === 'errorRate')!.samples;
    expect(counts.baseline + counts.candidate).toBe(200);
    expect(Object.keys(result.cursors)).toEqual([gateways[0]!.adminUrl, gateways[1]!.adminUrl]);
    expect(result.cursors[gateways[1]!.adminUrl]).toMatchObject({ epoch: gateways[1]!.epoch, seen: 80 });
    // Nothing about the gateways: the only note is the plan's own (it gives no prices).
    expect(result.verdict.notes ?? []).toEqual(['costPerRequest not judged: the plan gives no prices']);
  });

  it('puts back the gateway that restarted empty, names it, and judges from its new process', async () => {
    const start = Date.now();
    await Promise.all([load(gateways[0]!, 60, 3), load(gateways[1]!, 60, 4)]);
    const before = await judge(null, start);
    // The second gateway restarts on the same ports with no state file: its route is gone.
    const { port, adminUrl } = gateways[1]!;
    await gateways[1]!.close();
    gateways[1] = await startReplica(port, Number(new URL(adminUrl).port));
    const corrected = await traffic.reconcileTraffic({
      ...target(),
      baseline: plan.backends.baseline,
      candidate: plan.backends.candidate,
      desired: { weights: { baseline: 50, candidate: 50 }, shadow: { enabled: false, target: null, share: 0 } },
    });
    expect(corrected.corrections).toEqual([
      `${adminUrl}: the route was not defined on the traffic layer; recreated from the plan`,
      `${adminUrl}: weights were baseline 100 % / candidate 0 %; set back to baseline 50 % / candidate 50 %`,
    ]);
    await load(gateways[1]!, 40, 5);
    const after = await judge(before.cursors, start);
    expect(after.verdict.notes?.join('\n')).toContain(
      `gateway ${adminUrl} restarted (process ${before.cursors[adminUrl]!.epoch} → ${gateways[1]!.epoch}): the 60 records of this window read before the restart`,
    );
    const counts = after.verdict.metrics.find((metric) => metric.metric === 'errorRate')!.samples;
    expect(counts.baseline + counts.candidate).toBe(100); // 60 still on the first gateway, 40 in the second's new process
    expect(after.cursors[adminUrl]).toMatchObject({ epoch: gateways[1]!.epoch, seen: 40 });
  });

  it('judges on the gateways it can read, naming the one it cannot, and fails the read only when none answers', async () => {
    const start = Date.now();
    await load(gateways[0]!, 50, 6);
    const down = gateways[1]!.adminUrl;
    await gateways[1]!.close();
    const result = await judge(null, start);
    expect(result.verdict.notes?.join('\n')).toMatch(
      new RegExp(`gateway ${down.replace(/[.:/]/g, '\\$&')} could not be read`),
    );
    const counts = result.verdict.metrics.find((metric) => metric.metric === 'errorRate')!.samples;
    expect(counts.baseline + counts.candidate).toBe(50);
    // A restore cannot finish while a gateway is down: retryable, and the live one is restored already.
    await expect(
      traffic.restoreBaseline({ ...target(), baseline: plan.backends.baseline, candidate: plan.backends.candidate }),
    ).rejects.toThrow(/1 of 2 gateways did not take the change/);
    expect((await adminOf(gateways[0]!).getRoute(ROUTE))?.weights).toEqual({ baseline: 100, candidate: 0 });
    const first = gateways[0]!;
    await first.close();
    await expect(judge(null, start)).rejects.toThrow(/no gateway's records could be read/);
    gateways.splice(0, 2);
  });
});

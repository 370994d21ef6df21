// Time to first token on real parts: streamed load through the gateway to two simulated backends,
// the gateway's per-request records, and the canary judge's activity reading them. A candidate
// whose first token comes late, with the same end-to-end latency, fails on timeToFirstToken alone.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createCanaryJudgeActivities,
  type JudgeCanaryWindowResult,
} from '../../activities/metrics/judge-canary-window';
import { readGatewayRecords } from '../../activities/metrics/gateway-records';
import type { RequestRecord } from '../../gateway/admin-api';
import type { GatewayHandle } from '../../gateway/server';
import { parsePlan } from '../../plan/schema';
import { runLoad } from '../../simulator/load-generator';
import { startSimulatedBackend, type SimulatedBackend } from '../../simulator/sim-backend';
import { startGatewayOverPair } from '../support/gateway-over-pair';

const ROUTE = 'chat';
// The same latency on both backends, so only the first token can tell them apart; slots enough that
// no request queues (a queue's wait would come before the first token, on one backend only).
const LATENCY = { latencyMedianMs: 250, latencySigma: 0.1, firstTokenShare: 0.1, maxConcurrency: 256 };

const guardrails = parsePlan({
  rollout: { id: 'ttft' },
  backends: { baseline: { baseUrl: 'http://a', model: 'a' }, candidate: { baseUrl: 'http://b', model: 'b' } },
  approvals: { approvers: ['alice'] },
  guardrails: { minRequests: 60 },
}).guardrails;
const free = { inputPer1k: 0, outputPer1k: 0 };

describe('time to first token, from the gateway to the canary judge', () => {
  let baseline: SimulatedBackend;
  let candidate: SimulatedBackend;
  let gateway: GatewayHandle;
  const { judgeCanaryWindow } = createCanaryJudgeActivities(readGatewayRecords);

  beforeAll(async () => {
    baseline = await startSimulatedBackend({ model: 'sim-ttft-base', behaviour: { ...LATENCY, seed: 3 } });
    candidate = await startSimulatedBackend({ model: 'sim-ttft-cand', behaviour: { ...LATENCY, seed: 4 } });
    gateway = await startGatewayOverPair(ROUTE, { baseline, candidate }, 11);
    // The judge reads the records as a worker would: token from the variable the plan names.
    process.env.TTFT_TEST_GATEWAY_TOKEN = gateway.adminToken;
  });

  afterAll(async () => {
    delete process.env.TTFT_TEST_GATEWAY_TOKEN;
    await gateway?.close();
    await Promise.all([baseline?.close(), candidate?.close()]);
  });

  const load = (streamShare: number, requests: number) =>
    runLoad({
      gatewayUrl: gateway.url,
      routes: [ROUTE],
      ratePerSecond: 60,
      maxRequests: requests,
      users: 50,
      jsonShare: 0,
      streamShare,
      seed: requests,
    });

  async function judge(
    mode: 'shadow' | 'canary',
    windowStartMs: number,
    references: Pick<JudgeCanaryWindowResult, 'measuredLatencyReference' | 'measuredFirstTokenReference'> | null,
  ) {
    return judgeCanaryWindow({
      rolloutId: 'ttft',
      stage: mode === 'shadow' ? 'shadow' : 'canary-1',
      mode,
      route: ROUTE,
      windowStartMs,
      guardrails,
      pricing: { baseline: free, candidate: free },
      adminUrl: gateway.adminUrl,
      adminTokenEnv: 'TTFT_TEST_GATEWAY_TOKEN',
      sinceSeq: 0,
      judgeState: null,
      latencyReference: references?.measuredLatencyReference ?? null,
      firstTokenReference: references?.measuredFirstTokenReference ?? null,
    });
  }

  it('times streamed answers to their first token and leaves unstreamed ones without', async () => {
    await load(0.5, 80);
    const records: RequestRecord[] = gateway.log.recordsFor(ROUTE, 0, 1_000).items;
    const streamed = records.filter((r) => r.ttftMs !== null);
    expect(streamed.length).toBeGreaterThan(20);
    expect(records.length - streamed.length).toBeGreaterThan(20);
    for (const record of streamed) {
      // The first token comes after about a tenth of the answer's time, well before its end.
      expect(record.ttftMs!).toBeLessThan(record.latencyMs * 0.7);
      expect(record.ttftMs!).toBeGreaterThan(5);
    }
    const metrics = await (await fetch(`${gateway.adminUrl}/metrics`)).text();
    expect(metrics).toMatch(
      new RegExp(
        `llm_gateway_time_to_first_token_seconds_count\\{route="${ROUTE}",backend="baseline",model="sim-ttft-base",mode="live"\\} ${streamed.length}`,
      ),
    );
  });

  it('measures the baseline in shadow, then fails a canary whose first token is late though its latency is not', async () => {
    gateway.routes.setShadow(ROUTE, { enabled: true, target: 'candidate', share: 1 });
    const shadowStart = Date.now();
    await load(1, 150);
    const shadow = await judge('shadow', shadowStart, null);
    expect(shadow.measuredFirstTokenReference).not.toBeNull();
    expect(shadow.measuredLatencyReference).not.toBeNull();
    expect(shadow.verdict.metrics.map((m) => m.metric)).toContain('timeToFirstToken');
    expect(shadow.verdict.outcome, shadow.verdict.reason).not.toBe('fail');

    // A scheduling regression: the same total time, but 80 % of it before the first token.
    gateway.routes.setShadow(ROUTE, { enabled: false });
    candidate.setBehaviour({ firstTokenShare: 0.8 });
    gateway.routes.setWeights(ROUTE, { weights: { baseline: 50, candidate: 50 } });
    const canaryStart = Date.now();
    await load(1, 300);
    const canary = await judge('canary', canaryStart, shadow);
    const byMetric = Object.fromEntries(canary.verdict.metrics.map((m) => [m.metric, m.classification]));
    const evidence = `${canary.verdict.reason}\n${canary.verdict.metrics.map((m) => `${m.metric} ${m.classification}: ${m.message}`).join('\n')}`;
    expect(canary.verdict.outcome, evidence).toBe('fail');
    expect(byMetric.timeToFirstToken).toBe('high');
    expect(byMetric.p99Latency).not.toBe('high');
    expect(canary.verdict.reason).toContain('timeToFirstToken');
  });
});

// The series judge (judgeSeriesWindow) on real parts: HAProxy with its built-in Prometheus
// exporter in front of two simulated backends exporting vLLM series, all scraped every second by
// a real Prometheus. A healthy candidate gets a pass, one failing ~20 % of its requests a fail,
// and a scrape target that goes away is no data, never a pass.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createSeriesJudgeActivities,
  type JudgeSeriesWindowInput,
  type JudgeSeriesWindowResult,
} from '../../activities/metrics/judge-series-window';
import { haproxyCommand } from '../../activities/traffic/haproxy-router';
import type { JudgeVerdict } from '../../judge/canary-judge';
import { resolveMetrics } from '../../plan/metrics-schema';
import { parsePlan, type RolloutPlan } from '../../plan/schema';
import { startSimulatedBackend, type SimulatedBackend } from '../../simulator/sim-backend';
import { startHaproxy, type RunningHaproxy } from '../../stack/haproxy';
import { startPrometheus, type RunningPrometheus } from '../../stack/prometheus';

const BACKEND = 'llm_chat';
const dir = mkdtempSync(join(tmpdir(), 'sj-'));
let haproxy: RunningHaproxy;
let prometheus: RunningPrometheus;
let baseline: SimulatedBackend;
let candidate: SimulatedBackend;
let plan: RolloutPlan;
const { judgeSeriesWindow } = createSeriesJudgeActivities();

/** Chat requests through HAProxy for `ms`, `parallel` at a time, half of them streamed; statuses seen. */
async function load(ms: number, parallel = 6): Promise<Record<string, number>> {
  const statuses: Record<string, number> = {};
  const end = Date.now() + ms;
  let n = 0;
  // Random, not alternating: alternation would beat with HAProxy's round-robin and stream to one arm only.
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      while (Date.now() < end) {
        n += 1;
        const stream = Math.random() < 0.5;
        const res = await fetch(`${haproxy.url}/v1/chat/completions`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ messages: [{ role: 'user', content: `Where is order ${n}?` }], stream }),
        });
        await res.text();
        statuses[res.status] = (statuses[res.status] ?? 0) + 1;
      }
    }),
  );
  return statuses;
}

async function weights(b: number, c: number): Promise<void> {
  expect(await haproxyCommand(haproxy.statsSocket, `set server ${BACKEND}/current weight ${b}`)).toBe('');
  expect(await haproxyCommand(haproxy.statsSocket, `set server ${BACKEND}/next weight ${c}`)).toBe('');
}

function windowInput(windowStartMs: number, overrides: Partial<JudgeSeriesWindowInput> = {}): JudgeSeriesWindowInput {
  const resolved = resolveMetrics(plan);
  if (resolved.source !== 'prometheus') throw new Error('expected a series plan');
  return {
    rolloutId: plan.rollout.id,
    stage: 'canary-1',
    mode: 'canary',
    prometheusUrl: prometheus.url,
    route: BACKEND,
    windowStartMs,
    guardrails: plan.guardrails,
    pricing: { baseline: plan.backends.baseline.pricing, candidate: plan.backends.candidate.pricing },
    series: resolved.selection,
    judgeState: null,
    snapshot: null,
    latencyReference: null,
    firstTokenReference: null,
    ...overrides,
  };
}

/** Looks every 2 s while load runs, carrying the snapshot, state and references like the workflow; stops at `until`. */
async function judgeWhileLoaded(
  windowStartMs: number,
  until: (verdict: JudgeVerdict) => boolean,
  maxLooks = 12,
): Promise<JudgeSeriesWindowResult[]> {
  const results: JudgeSeriesWindowResult[] = [];
  let input = windowInput(windowStartMs);
  for (let look = 0; look < maxLooks; look++) {
    await load(2_000);
    const result = await judgeSeriesWindow(input);
    results.push(result);
    if (until(result.verdict)) break;
    input = {
      ...input,
      snapshot: result.snapshot,
      judgeState: result.judgeState,
      latencyReference: input.latencyReference ?? result.measuredLatencyReference,
      firstTokenReference: input.firstTokenReference ?? result.measuredFirstTokenReference,
    };
  }
  return results;
}

beforeAll(async () => {
  const behaviour = { latencyMedianMs: 20, latencySigma: 0.3, maxConcurrency: 100 };
  [baseline, candidate] = await Promise.all([
    startSimulatedBackend({ model: 'sim-sj-base', behaviour: { ...behaviour, seed: 1 } }),
    startSimulatedBackend({ model: 'sim-sj-cand', behaviour: { ...behaviour, seed: 2 } }),
  ]);
  haproxy = await startHaproxy({
    dataDir: join(dir, 'h'),
    logDir: join(dir, 'logs'),
    backendName: BACKEND,
    servers: [
      { name: 'current', host: '127.0.0.1', port: baseline.port, weight: 100 },
      { name: 'next', host: '127.0.0.1', port: candidate.port, weight: 0 },
    ],
  });
  prometheus = await startPrometheus({
    dataDir: join(dir, 'prom'),
    logDir: join(dir, 'logs'),
    scrapeIntervalSeconds: 1,
    targets: [
      { job: 'haproxy', target: haproxy.metricsTarget },
      { job: 'vllm', target: `127.0.0.1:${baseline.port}` },
      { job: 'vllm', target: `127.0.0.1:${candidate.port}` },
    ],
  });
  // Debian's Prometheus applies new targets on its ~5 s discovery tick.
  await prometheus.waitForTargetsUp(['haproxy', 'vllm'], 30_000);
  plan = parsePlan({
    rollout: { id: 'series-judge' },
    backends: {
      baseline: { baseUrl: baseline.url, model: baseline.model },
      candidate: { baseUrl: candidate.url, model: candidate.model },
    },
    router: {
      kind: 'haproxy',
      statsSocket: haproxy.statsSocket,
      haproxyBackend: BACKEND,
      baselineServer: 'current',
      candidateServer: 'next',
    },
    stages: { shadow: { enabled: false } },
    approvals: { requiredBefore: [] },
    guardrails: { onInconclusive: 'rollback', minRequests: 50 },
  });
  // The baseline alone first: the latency reference is read from before the canary window.
  await load(6_000);
}, 90_000);

afterAll(async () => {
  await prometheus?.stop();
  await haproxy?.stop();
  await Promise.all([baseline?.close(), candidate?.close()]);
  rmSync(dir, { recursive: true, force: true });
});

describe('judgeSeriesWindow on HAProxy and vLLM series in Prometheus', () => {
  it('runs HAProxy’s exporter with per-server response counters', async () => {
    expect(readFileSync(haproxy.configFile, 'utf8')).toContain(
      'http-request use-service prometheus-exporter if { path /metrics }',
    );
    const text = await (await fetch(`http://${haproxy.metricsTarget}/metrics`)).text();
    expect(text).toMatch(
      new RegExp(`haproxy_server_http_responses_total\\{proxy="${BACKEND}",server="current",code="2xx"\\} [1-9]`),
    );
    expect(text).toContain(`haproxy_server_http_responses_total{proxy="${BACKEND}",server="next",code="5xx"} 0`);
    const sim = await (await fetch(`http://127.0.0.1:${baseline.port}/metrics`)).text();
    expect(sim).toMatch(
      /vllm:e2e_request_latency_seconds_bucket\{le="0.3",model_name="sim-sj-base",engine="0"\} [1-9]/,
    );
    expect(sim).toMatch(/vllm:time_to_first_token_seconds_count\{model_name="sim-sj-base",engine="0"\} [1-9]/);
    expect(sim).toMatch(
      /vllm:request_success_total\{model_name="sim-sj-base",engine="0",finished_reason="stop"\} [1-9]/,
    );
  });

  it('passes a healthy candidate at 50 %, with the latency reference from before the window', async () => {
    await weights(50, 50);
    const start = Date.now();
    const results = await judgeWhileLoaded(start, (verdict) => verdict.outcome === 'pass');
    const last = results.at(-1)!;
    expect(last.verdict.outcome, last.verdict.reason).toBe('pass');
    expect(results.some((result) => result.verdict.outcome === 'fail')).toBe(false);
    expect(last.verdict.metrics.map((metric) => metric.metric).sort()).toEqual([
      'errorRate',
      'p99Latency',
      'timeToFirstToken',
    ]);
    const errorRate = last.verdict.metrics.find((metric) => metric.metric === 'errorRate')!;
    expect(errorRate.samples.candidate).toBeGreaterThanOrEqual(50);
    expect(errorRate.candidate).toBe(0);
    // The reference came from the baseline alone, before the window, at a bucket boundary.
    const reference = results[0]!.measuredLatencyReference!;
    expect(reference).not.toBeNull();
    expect([10, 25, 50, 75, 100, 150, 200, 300]).toContain(reference.threshold);
    expect(results[0]!.verdict.notes?.join('\n')).toMatch(
      /p99Latency reference: the baseline's histogram in the 10 min before this window/,
    );
    expect(last.verdict.notes?.join('\n')).toMatch(/not judged from these series: .*refusalRate/);
  }, 60_000);

  it('fails a candidate that fails ~20 % of its requests', async () => {
    await weights(50, 50);
    candidate.setBehaviour({ errorRate: 0.2 });
    try {
      const results = await judgeWhileLoaded(Date.now(), (verdict) => verdict.outcome === 'fail');
      const last = results.at(-1)!;
      expect(last.verdict.outcome, last.verdict.reason).toBe('fail');
      expect(last.verdict.reason).toMatch(/^critical regression: errorRate up/);
      const errorRate = last.verdict.metrics.find((metric) => metric.metric === 'errorRate')!;
      expect(errorRate.candidate!).toBeGreaterThan(0.08);
      expect(errorRate.candidate!).toBeLessThan(0.35);
      expect(errorRate.baseline).toBe(0);
    } finally {
      candidate.setBehaviour({ errorRate: 0 });
    }
  }, 60_000);

  it('reads a candidate whose series are not there as no data, and a target that went down as no data', async () => {
    const wrong = windowInput(Date.now() - 5_000, {
      series: {
        ...windowInput(0).series,
        traffic: { ...windowInput(0).series.traffic, candidate: { proxy: BACKEND, server: 'nope' } },
      },
    });
    await load(1_500);
    const missing = await judgeSeriesWindow(wrong);
    expect(missing.verdict.outcome).toBe('inconclusive');
    expect(missing.verdict.metrics.find((metric) => metric.metric === 'errorRate')!.classification).toBe('no_data');

    await weights(100, 0);
    const before = await judgeSeriesWindow(windowInput(Date.now() - 5_000));
    await candidate.close();
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    const after = await judgeSeriesWindow({
      ...windowInput(before.snapshot.look.atMs),
      snapshot: before.snapshot,
      judgeState: before.judgeState,
    });
    expect(after.verdict.outcome).toBe('inconclusive');
    expect(after.verdict.reason).toMatch(
      /^no data from Prometheus: .*(no series for the candidate latency any more|scrape target down: vllm\/127\.0\.0\.1:\d+)/,
    );
    // The snapshot is kept, so the next good look counts what happened meanwhile.
    expect(after.snapshot).toEqual(before.snapshot);
  }, 30_000);
});

// The canary metrics reader against a real Prometheus scraping an in-test exporter that exposes
// the gateway's series (gateway/metric-names.ts) with known values.
import { mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Counter, Histogram, Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BackendWindowFigures, CanaryWindowFigures } from '../../activities/metrics/canary-metrics';
import { readCanaryWindow } from '../../activities/metrics/canary-metrics';
import {
  PrometheusQueryError,
  PrometheusUnavailableError,
  queryInstant,
} from '../../activities/metrics/prometheus-client';
import { readScrapeTargetHealth } from '../../activities/metrics/scrape-target';
import { DURATION_BUCKETS_SECONDS, GATEWAY_METRICS } from '../../gateway/metric-names';
import { freePort } from '../../stack/managed-process';
import type { RunningPrometheus } from '../../stack/prometheus';
import { startPrometheus } from '../../stack/prometheus';
import { FIGURE_NAMES } from '../../activities/metrics/canary-queries';

const ROUTE = 'chat';
const BASE = ['route', 'backend', 'model', 'mode'] as const;

function gatewayRegistry() {
  const registry = new Registry();
  const registers = [registry];
  return {
    registry,
    requests: new Counter({
      name: GATEWAY_METRICS.requests,
      help: 'requests',
      labelNames: [...BASE, 'code'],
      registers,
    }),
    duration: new Histogram({
      name: GATEWAY_METRICS.duration,
      help: 'duration',
      labelNames: [...BASE],
      buckets: DURATION_BUCKETS_SECONDS,
      registers,
    }),
    timeToFirstToken: new Histogram({
      name: GATEWAY_METRICS.timeToFirstToken,
      help: 'ttft',
      labelNames: [...BASE],
      buckets: DURATION_BUCKETS_SECONDS,
      registers,
    }),
    tokens: new Counter({ name: GATEWAY_METRICS.tokens, help: 'tokens', labelNames: [...BASE, 'kind'], registers }),
    flagged: new Counter({ name: GATEWAY_METRICS.flagged, help: 'flagged', labelNames: [...BASE, 'flag'], registers }),
    jsonRequested: new Counter({
      name: GATEWAY_METRICS.jsonRequested,
      help: 'json requests',
      labelNames: [...BASE],
      registers,
    }),
  };
}

type Side = { route: string; backend: string; model: string; mode: 'live' | 'shadow' };
const baselineLive: Side = { route: ROUTE, backend: 'baseline', model: 'base-model', mode: 'live' };
const candidateShadow: Side = { route: ROUTE, backend: 'candidate', model: 'cand-model', mode: 'shadow' };
// A small live side that never served a 5xx and never had flag/json series created.
const candidateLive: Side = { route: ROUTE, backend: 'candidate', model: 'cand-model', mode: 'live' };

describe('readCanaryWindow against a real Prometheus', () => {
  const dir = mkdtempSync(join(tmpdir(), 'llm-rollout-prom-'));
  const g = gatewayRegistry();
  let exporter: Server;
  let prometheus: RunningPrometheus;
  let quietEndMs: number;
  let endMs: number;
  let figures: CanaryWindowFigures;

  /** Epoch ms of the newest sample of `query` (a timestamp() expression). */
  async function latestTimestampMs(query: string): Promise<number> {
    const result = await queryInstant({ baseUrl: prometheus.url, query, timeMs: Date.now() });
    if (result.resultType !== 'vector' || result.samples.length === 0) return 0;
    return Math.round(result.samples[0]!.value * 1000);
  }

  /** Waits for a scrape of the exporter that started after `afterMs`; returns its timestamp. */
  async function scrapeAfter(afterMs: number): Promise<number> {
    const query = `max(timestamp(${GATEWAY_METRICS.requests}))`;
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      const ts = await latestTimestampMs(query);
      if (ts > afterMs) return ts;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`no scrape after ${new Date(afterMs).toISOString()} within 10 s; see ${prometheus.logFile}`);
  }

  beforeAll(async () => {
    // Series exist at 0 before any traffic: increase() cannot see the first increment of a series
    // that is born inside the window, and the gateway initialises its series the same way.
    for (const side of [baselineLive, candidateShadow]) {
      for (const code of ['200', '500']) g.requests.inc({ ...side, code }, 0);
      g.duration.zero(side);
      for (const kind of ['prompt', 'completion']) g.tokens.inc({ ...side, kind }, 0);
      for (const flag of ['refusal', 'invalid_json']) g.flagged.inc({ ...side, flag }, 0);
      g.jsonRequested.inc(side, 0);
    }
    // Only the baseline streamed: the candidate has no time-to-first-token series at all.
    g.timeToFirstToken.zero(baselineLive);
    g.requests.inc({ ...candidateShadow, code: '502' }, 0);
    g.requests.inc({ ...candidateLive, code: '200' }, 0);
    g.duration.zero(candidateLive);
    for (const kind of ['prompt', 'completion']) g.tokens.inc({ ...candidateLive, kind }, 0);

    exporter = createServer((req, res) => {
      void g.registry
        .metrics()
        .then((text) => res.writeHead(200, { 'content-type': g.registry.contentType }).end(text));
    });
    const exporterPort = await freePort();
    await new Promise<void>((resolve) => exporter.listen(exporterPort, '127.0.0.1', resolve));

    prometheus = await startPrometheus({
      dataDir: join(dir, 'data'),
      logDir: join(dir, 'logs'),
      scrapeIntervalSeconds: 1,
      targets: [
        { job: 'gateway', target: `127.0.0.1:${exporterPort}` },
        // Nothing listens here: a target Prometheus knows but cannot scrape.
        { job: 'dead', target: `127.0.0.1:${await freePort()}` },
      ],
    });
    await prometheus.waitForTargetsUp(['gateway'], 20_000);

    // A few scrapes of the all-zero state, so a window before the traffic has samples.
    quietEndMs = await scrapeAfter(await scrapeAfter(Date.now()));

    const trafficAt = Date.now();
    g.requests.inc({ ...baselineLive, code: '200' }, 990);
    g.requests.inc({ ...baselineLive, code: '500' }, 10);
    for (let i = 0; i < 980; i++) g.duration.observe(baselineLive, 0.08);
    for (let i = 0; i < 20; i++) g.duration.observe(baselineLive, 0.4);
    for (let i = 0; i < 98; i++) g.timeToFirstToken.observe(baselineLive, 0.04);
    for (let i = 0; i < 2; i++) g.timeToFirstToken.observe(baselineLive, 0.3);
    g.tokens.inc({ ...baselineLive, kind: 'prompt' }, 990 * 120);
    g.tokens.inc({ ...baselineLive, kind: 'completion' }, 990 * 45);
    g.flagged.inc({ ...baselineLive, flag: 'refusal' }, 33);
    g.jsonRequested.inc(baselineLive, 100);
    g.flagged.inc({ ...baselineLive, flag: 'invalid_json' }, 2);

    g.requests.inc({ ...candidateShadow, code: '200' }, 180);
    g.requests.inc({ ...candidateShadow, code: '500' }, 12);
    g.requests.inc({ ...candidateShadow, code: '502' }, 8);
    for (let i = 0; i < 150; i++) g.duration.observe(candidateShadow, 0.15);
    for (let i = 0; i < 50; i++) g.duration.observe(candidateShadow, 1.2);
    g.tokens.inc({ ...candidateShadow, kind: 'prompt' }, 180 * 130);
    g.tokens.inc({ ...candidateShadow, kind: 'completion' }, 180 * 60);
    g.flagged.inc({ ...candidateShadow, flag: 'refusal' }, 18);
    g.jsonRequested.inc(candidateShadow, 40);
    g.flagged.inc({ ...candidateShadow, flag: 'invalid_json' }, 10);

    g.requests.inc({ ...candidateLive, code: '200' }, 50);
    for (let i = 0; i < 50; i++) g.duration.observe(candidateLive, 0.03);
    g.tokens.inc({ ...candidateLive, kind: 'prompt' }, 50 * 100);
    g.tokens.inc({ ...candidateLive, kind: 'completion' }, 50 * 20);

    // Ending the window exactly on a scrape, with every series at 0 at its first sample, leaves
    // increase() nothing to extrapolate: the counts come out exact.
    endMs = await scrapeAfter(trafficAt);
    figures = await readCanaryWindow({
      prometheusUrl: prometheus.url,
      route: ROUTE,
      window: { endMs, seconds: 60 },
      baseline: { backend: 'baseline', mode: 'live' },
      candidate: { backend: 'candidate', mode: 'shadow' },
    });
  }, 60_000);

  afterAll(async () => {
    await prometheus?.stop();
    await new Promise((resolve) => exporter?.close(resolve));
    rmSync(dir, { recursive: true, force: true });
  });

  it('reads the baseline (live) figures', () => {
    const b = figures.baseline;
    expect(b).toMatchObject({ backend: 'baseline', mode: 'live' });
    expect(b.requestCount).toBeCloseTo(1000, 6);
    expect(b.successCount).toBeCloseTo(990, 6);
    expect(b.errorCount).toBeCloseTo(10, 6);
    expect(b.errorRate).toBeCloseTo(0.01, 9);
    expect(b.latencyP50Ms).toBeGreaterThan(50);
    expect(b.latencyP50Ms).toBeLessThanOrEqual(100);
    expect(b.latencyP99Ms).toBeGreaterThan(300);
    expect(b.latencyP99Ms).toBeLessThanOrEqual(500);
    // The 99th of 100 first tokens lies halfway through the (0.2 s, 0.3 s] bucket.
    expect(b.timeToFirstTokenP99Ms).toBeCloseTo(250, 6);
    expect(b.meanPromptTokens).toBeCloseTo(120, 6);
    expect(b.meanCompletionTokens).toBeCloseTo(45, 6);
    expect(b.refusalRate).toBeCloseTo(33 / 990, 9);
    expect(b.invalidJsonRate).toBeCloseTo(0.02, 9);
  });

  it('reads the candidate with mode="shadow", counting 502s as errors', () => {
    const c = figures.candidate;
    expect(c).toMatchObject({ backend: 'candidate', mode: 'shadow' });
    expect(c.requestCount).toBeCloseTo(200, 6);
    expect(c.errorCount).toBeCloseTo(20, 6);
    expect(c.errorRate).toBeCloseTo(0.1, 9);
    expect(c.latencyP50Ms).toBeGreaterThan(100);
    expect(c.latencyP50Ms).toBeLessThanOrEqual(200);
    expect(c.latencyP99Ms).toBeGreaterThan(1000);
    expect(c.latencyP99Ms).toBeLessThanOrEqual(1500);
    expect(c.timeToFirstTokenP99Ms).toBeNull();
    expect(c.meanPromptTokens).toBeCloseTo(130, 6);
    expect(c.meanCompletionTokens).toBeCloseTo(60, 6);
    expect(c.refusalRate).toBeCloseTo(0.1, 9);
    expect(c.invalidJsonRate).toBeCloseTo(0.25, 9);
    expect(c.queries.errorRate).toContain('mode="shadow"');
    expect(figures.window).toEqual({ startMs: endMs - 60_000, endMs, seconds: 60 });
  });

  it('keeps ratios exact when the window end is not on a scrape (counts are extrapolated)', async () => {
    const unaligned = await readCanaryWindow({
      prometheusUrl: prometheus.url,
      route: ROUTE,
      window: { startMs: endMs - 45_000, endMs: endMs + 400 },
      baseline: { backend: 'baseline', mode: 'live' },
      candidate: { backend: 'candidate', mode: 'shadow' },
    });
    expect(unaligned.window.seconds).toBe(45);
    expect(unaligned.baseline.requestCount).toBeGreaterThanOrEqual(1000);
    expect(unaligned.baseline.errorRate).toBeCloseTo(0.01, 9);
    expect(unaligned.candidate.errorRate).toBeCloseTo(0.1, 9);
    expect(unaligned.candidate.refusalRate).toBeCloseTo(0.1, 9);
  });

  it('reads a real 0 error rate from traffic without any 5xx series, but null for never-created flag series', async () => {
    const read = await readCanaryWindow({
      prometheusUrl: prometheus.url,
      route: ROUTE,
      window: { endMs, seconds: 60 },
      baseline: { backend: 'baseline', mode: 'live' },
      candidate: { backend: 'candidate', mode: 'live' },
    });
    const c: BackendWindowFigures = read.candidate;
    expect(c.requestCount).toBeCloseTo(50, 6);
    expect(c.errorCount).toBe(0);
    expect(c.errorRate).toBe(0);
    expect(c.latencyP99Ms).toBeGreaterThan(25);
    expect(c.latencyP99Ms).toBeLessThanOrEqual(50);
    expect(c.meanPromptTokens).toBeCloseTo(100, 6);
    expect(c.refusalRate).toBeNull();
    expect(c.invalidJsonRate).toBeNull();
  });

  it('reads a backend/mode without series as no data (null), never 0', async () => {
    const read = await readCanaryWindow({
      prometheusUrl: prometheus.url,
      route: ROUTE,
      window: { endMs, seconds: 60 },
      baseline: { backend: 'baseline', mode: 'shadow' },
      candidate: { backend: 'no-such-backend', mode: 'live' },
    });
    for (const side of [read.baseline, read.candidate]) {
      for (const name of FIGURE_NAMES) {
        expect(side[name], `${side.backend}/${side.mode} ${name}`).toBeNull();
      }
    }
  });

  it('reads a window without traffic as 0 requests but no rates (zero denominators are null)', async () => {
    const quiet = await readCanaryWindow({
      prometheusUrl: prometheus.url,
      route: ROUTE,
      window: { endMs: quietEndMs, seconds: 2 },
      baseline: { backend: 'baseline', mode: 'live' },
      candidate: { backend: 'candidate', mode: 'shadow' },
    });
    expect(quiet.baseline.requestCount).toBe(0);
    expect(quiet.baseline.errorCount).toBe(0);
    expect(quiet.baseline.errorRate).toBeNull();
    expect(quiet.baseline.latencyP99Ms).toBeNull();
    expect(quiet.baseline.meanPromptTokens).toBeNull();
    expect(quiet.baseline.refusalRate).toBeNull();
    expect(quiet.candidate.invalidJsonRate).toBeNull();
  });

  it('tells a scraped target from a down or unknown one', async () => {
    const gateway = await readScrapeTargetHealth({ prometheusUrl: prometheus.url, job: 'gateway', windowSeconds: 5 });
    expect(gateway).toMatchObject({ state: 'up', targets: 1, targetsUp: 1, upFractionOverWindow: 1 });
    // The dead target may not have had its first scrape yet.
    let dead = await readScrapeTargetHealth({ prometheusUrl: prometheus.url, job: 'dead' });
    for (let i = 0; i < 50 && dead.state === 'absent'; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      dead = await readScrapeTargetHealth({ prometheusUrl: prometheus.url, job: 'dead' });
    }
    expect(dead).toMatchObject({ state: 'down', targets: 1, targetsUp: 0 });
    const unknown = await readScrapeTargetHealth({ prometheusUrl: prometheus.url, job: 'not-configured' });
    expect(unknown).toMatchObject({ state: 'absent', targets: 0 });
  });

  it("passes on Prometheus's own error message for a bad query", async () => {
    const error = await queryInstant({ baseUrl: prometheus.url, query: 'sum(rate(x[5m])', timeMs: Date.now() }).catch(
      (err: unknown) => err,
    );
    expect(error).toBeInstanceOf(PrometheusQueryError);
    expect((error as PrometheusQueryError).errorType).toBe('bad_data');
    expect((error as Error).message).toMatch(/parse error/);
    expect((error as Error).message).toContain('sum(rate(x[5m])');
  });

  it('fails clearly when Prometheus is unreachable', async () => {
    const url = `http://127.0.0.1:${await freePort()}`;
    const error = await readCanaryWindow({
      prometheusUrl: url,
      route: ROUTE,
      window: { endMs: Date.now(), seconds: 60 },
      baseline: { backend: 'baseline', mode: 'live' },
      candidate: { backend: 'candidate', mode: 'shadow' },
    }).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(PrometheusUnavailableError);
    expect((error as Error).message).toContain(`Prometheus at ${url} unavailable (ECONNREFUSED)`);
  });
});

// The route dashboard (dashboards/llm-rollout.json, provisioned by docker-compose.yml's Grafana) on
// real parts: a real Prometheus scraping a real gateway that the rollout's own traffic activities
// set up (priced backends, a 60/40 split, mirroring, a stage marker), under streamed load to two
// simulated backends, one of them failing now and then. Every panel's PromQL and the stage
// annotation's run as Grafana would run them, and each must return exactly the series it should,
// with sensible values. A panel added without an expectation here fails the test.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryInstant, type PromSample } from '../../activities/metrics/prometheus-client';
import { createTrafficActivities } from '../../activities/traffic';
import type { RouteTarget } from '../../activities/contract';
import { startGateway, type GatewayHandle } from '../../gateway/server';
import { parsePlan } from '../../plan/schema';
import { runLoad, type LoadSummary } from '../../simulator/load-generator';
import { startSimulatedBackend, type SimulatedBackend } from '../../simulator/sim-backend';
import { startPrometheus, type RunningPrometheus } from '../../stack/prometheus';
import { eventually } from '../support/eventually';
import { DASHBOARD_FILE } from '../support/deploy-files';

interface Target {
  expr: string;
  legendFormat: string;
}
interface Dashboard {
  panels: Array<{ title: string; targets: Target[] }>;
  annotations: { list: Array<{ name: string; expr?: string; titleFormat?: string; textFormat?: string }> };
  templating: { list: Array<{ name: string; definition?: string }> };
}

// The file the compose stack's Grafana provisions (docker-compose.yml).
const dashboard = JSON.parse(readFileSync(DASHBOARD_FILE, 'utf8')) as Dashboard;

const ROUTE = 'dash-chat';
const ROLLOUT = 'dash-rollout-v2';
const TOKEN_ENV = 'DASHBOARD_TEST_GATEWAY_TOKEN';
// Wide enough to hold several 1 s scrapes of the load, which ends just before the queries run.
const RATE_INTERVAL = '15s';

/** Grafana's variables as a person viewing this route would have them. */
function expand(expr: string): string {
  return expr.replaceAll('$__rate_interval', RATE_INTERVAL).replaceAll('$route', ROUTE);
}

/** A series' legend as Grafana draws it from legendFormat. */
function legend(format: string, labels: Record<string, string>): string {
  return format.replace(/\{\{\s*(\w+)\s*\}\}/g, (_, name: string) => labels[name] ?? '');
}

type Expectation = Record<string, (value: number) => boolean>;
const positive = (value: number) => Number.isFinite(value) && value > 0;
const between = (low: number, high: number) => (value: number) => value > low && value < high;

/** Per panel title: the legends it must show (no more, no fewer), and what each value must be. */
const EXPECTED: Record<string, Expectation> = {
  'Request rate (req/s)': { baseline: positive, candidate: positive },
  // The baseline never fails: a real 0, not a missing series.
  'Error rate (5xx share)': { baseline: (v) => v === 0, candidate: (v) => v > 0.02 && v < 0.4 },
  'Latency p50 / p99': {
    'baseline p50': positive,
    'candidate p50': positive,
    'baseline p99': positive,
    'candidate p99': positive,
  },
  'Time to first token p50 / p99': {
    'baseline p50': positive,
    'candidate p50': positive,
    'baseline p99': positive,
    'candidate p99': positive,
  },
  'Tokens (tokens/s)': {
    'baseline prompt': positive,
    'baseline completion': positive,
    'candidate prompt': positive,
    'candidate completion': positive,
  },
  // Mirrored copies go to the candidate, and cost too.
  'Cost (USD/hour)': { 'baseline live': positive, 'candidate live': positive, 'candidate shadow': positive },
  'Cost per request (USD)': { baseline: positive, candidate: positive },
  'Weights (%)': { baseline: (v) => v === 60, candidate: (v) => v === 40 },
  // Copies per live request: some, and not past the share. How near 0.5 depends on how the rate
  // window lines up with when mirroring began, and on copies shed under load (mirroring is best effort).
  'Shadow share': {
    'share mirrored': (v) => v === 0.5,
    'candidate copies per live request': between(0.1, 0.7),
  },
};

describe('the route dashboard against a real Prometheus scraping a real gateway', () => {
  const dir = mkdtempSync(join(tmpdir(), 'llm-rollout-dashboard-'));
  let baseline: SimulatedBackend;
  let candidate: SimulatedBackend;
  let gateway: GatewayHandle;
  let prometheus: RunningPrometheus;
  let load: LoadSummary;

  beforeAll(async () => {
    baseline = await startSimulatedBackend({
      model: 'sim-dash-base',
      behaviour: { seed: 1, latencyMedianMs: 30, firstTokenShare: 0.3, errorRate: 0 },
    });
    candidate = await startSimulatedBackend({
      model: 'sim-dash-cand',
      behaviour: { seed: 2, latencyMedianMs: 45, firstTokenShare: 0.3, errorRate: 0.12 },
    });
    gateway = await startGateway({ defaultMetrics: false });
    process.env[TOKEN_ENV] = gateway.adminToken;

    // The route as a rollout sets it up: through the traffic activities, from a plan with prices.
    const plan = parsePlan({
      rollout: { id: ROLLOUT },
      backends: {
        baseline: {
          baseUrl: baseline.url,
          model: baseline.model,
          pricing: { inputPer1k: 0.0002, outputPer1k: 0.0006 },
        },
        candidate: {
          baseUrl: candidate.url,
          model: candidate.model,
          pricing: { inputPer1k: 0.0009, outputPer1k: 0.0009 },
        },
      },
      router: { kind: 'gateway', adminUrl: gateway.adminUrl, adminTokenEnv: TOKEN_ENV, route: ROUTE },
      approvals: { approvers: ['alice'] },
    });
    const target: RouteTarget = { router: plan.router, route: ROUTE };
    const traffic = createTrafficActivities();
    await traffic.prepareRoute({ ...target, baseline: plan.backends.baseline, candidate: plan.backends.candidate });
    await traffic.markRolloutStage({ ...target, rolloutId: ROLLOUT, stage: 'shadow' });
    await traffic.markRolloutStage({ ...target, rolloutId: ROLLOUT, stage: 'canary-1' });
    await traffic.setCandidateWeight({ ...target, candidatePercent: 40 });
    await traffic.setShadow({ ...target, enabled: true, target: 'candidate', share: 0.5 });

    prometheus = await startPrometheus({
      dataDir: join(dir, 'prom'),
      logDir: join(dir, 'logs'),
      scrapeIntervalSeconds: 1,
      targets: [{ job: 'llm-gateway', target: new URL(gateway.adminUrl).host }],
    });
    // Debian's Prometheus applies new targets on its ~5 s discovery tick.
    await prometheus.waitForTargetsUp(['llm-gateway'], 30_000);
    load = await runLoad({
      gatewayUrl: gateway.url,
      routes: [ROUTE],
      ratePerSecond: 40,
      durationMs: 8_000,
      users: 200,
      jsonShare: 0,
      streamShare: 0.5,
      seed: 5,
    });
    // Queries run once Prometheus holds every live request the load sent.
    await eventually(
      'the last of the load scraped',
      async () => {
        const result = await queryInstant({
          baseUrl: prometheus.url,
          query: `sum(llm_gateway_requests_total{route="${ROUTE}",mode="live"})`,
          timeMs: Date.now(),
        });
        const scraped = result.resultType === 'vector' ? (result.samples[0]?.value ?? 0) : 0;
        return scraped >= load.completed ? scraped : undefined;
      },
      20_000,
    );
  }, 120_000);

  afterAll(async () => {
    delete process.env[TOKEN_ENV];
    await prometheus?.stop();
    await gateway?.close();
    await Promise.all([baseline?.close(), candidate?.close()]);
    rmSync(dir, { recursive: true, force: true });
  });

  async function run(expr: string): Promise<PromSample[]> {
    const result = await queryInstant({ baseUrl: prometheus.url, query: expand(expr), timeMs: Date.now() });
    if (result.resultType !== 'vector') throw new Error(`${expr}: a ${result.resultType}, not a vector`);
    return result.samples;
  }

  it('has an expectation for every panel, and every panel shows exactly its series', async () => {
    expect(load.completed).toBeGreaterThan(200);
    expect(dashboard.panels.map((panel) => panel.title).sort()).toEqual(Object.keys(EXPECTED).sort());
    for (const panel of dashboard.panels) {
      const shown: Record<string, number> = {};
      for (const target of panel.targets)
        for (const sample of await run(target.expr)) shown[legend(target.legendFormat, sample.labels)] = sample.value;
      const expected = EXPECTED[panel.title]!;
      expect(Object.keys(shown).sort(), panel.title).toEqual(Object.keys(expected).sort());
      for (const [name, check] of Object.entries(expected))
        expect(check(shown[name]!), `${panel.title}: ${name} = ${shown[name]}`).toBe(true);
    }
  });

  it('prices the candidate as the plan does: its cost per request over the baseline matches the tokens', async () => {
    const panel = dashboard.panels.find((p) => p.title === 'Cost per request (USD)')!;
    const costs = await run(panel.targets[0]!.expr);
    const tokens = await run(
      `sum by (backend, kind) (rate(llm_gateway_tokens_total{route="$route",mode="live"}[$__rate_interval])) / on (backend) group_left sum by (backend) (rate(llm_gateway_requests_total{route="$route",mode="live"}[$__rate_interval]))`,
    );
    const perRequest = (backend: string, kind: string) =>
      tokens.find((s) => s.labels.backend === backend && s.labels.kind === kind)!.value;
    const priced = {
      baseline: (perRequest('baseline', 'prompt') * 0.0002 + perRequest('baseline', 'completion') * 0.0006) / 1000,
      candidate: (perRequest('candidate', 'prompt') * 0.0009 + perRequest('candidate', 'completion') * 0.0009) / 1000,
    };
    for (const sample of costs) {
      const expected = priced[sample.labels.backend as keyof typeof priced];
      expect(sample.value / expected).toBeGreaterThan(0.98);
      expect(sample.value / expected).toBeLessThan(1.02);
    }
  });

  it("draws the rollout's current stage as an annotation, and offers the route in the route picker", async () => {
    const annotation = dashboard.annotations.list.find((a) => a.name === 'Rollout stage')!;
    const samples = await run(annotation.expr!);
    expect(
      samples.map((s) => [legend(annotation.titleFormat!, s.labels), legend(annotation.textFormat!, s.labels)]),
    ).toEqual([[ROLLOUT, 'stage canary-1']]);

    const picker = dashboard.templating.list.find((v) => v.name === 'route')!;
    const metric = /label_values\((\w+), route\)/.exec(picker.definition!)![1]!;
    const res = await fetch(`${prometheus.url}/api/v1/label/route/values?match[]=${metric}`);
    expect(((await res.json()) as { data: string[] }).data).toContain(ROUTE);
  });
});

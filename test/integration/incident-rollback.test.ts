// Incidents roll rollouts back: from the Alertmanager webhook receiver (bearer token, version 4
// payloads; resolved alerts do nothing, repeats are idempotent, bad input gets a clear status),
// fed by a real Prometheus alert rule on the gateway's metrics through the real Alertmanager;
// and from the `temporal` CLI and the `rollout` CLI, as documented. Real dev server, worker,
// gateway and simulated backends.
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createActivities } from '../../activities';
import { startRollout } from '../../client/rollouts';
import type { RouteState } from '../../gateway/admin-api';
import { startGateway, type GatewayHandle } from '../../gateway/server';
import { adminOf } from '../support/gateway-over-pair';
import type { AlertResult, RunningIncidentReceiver } from '../../incidents/receiver';
import { startIncidentReceiver } from '../../incidents/receiver';
import { parsePlan } from '../../plan/schema';
import { runLoad } from '../../simulator/load-generator';
import { startSimulatedBackend, type SimulatedBackend } from '../../simulator/sim-backend';
import { RolloutService } from '../../client/rollout-service';
import { startAlertmanager } from '../../stack/alertmanager';
import { startPrometheus } from '../../stack/prometheus';
import { temporalCliPath } from '../../stack/temporal-binaries';
import { statusQuery } from '../../workflows/model-rollout';
import { createDevServerEnv, workflowBundle } from '../support/temporal';
import { eventually } from '../support/eventually';
import { ALERT_RULES_FILE } from '../support/deploy-files';

const TOKEN = 'incident-token-0123456789abcdef';
const TASK_QUEUE = 'incidents-test';
const run = promisify(execFile);

const dir = mkdtempSync(join(tmpdir(), 'llm-rollout-incidents-'));
const cleanups: Array<() => Promise<unknown>> = [];
let env: TestWorkflowEnvironment;
let gateway: GatewayHandle;
let receiver: RunningIncidentReceiver;
let baseline: SimulatedBackend;
let broken: SimulatedBackend;

beforeAll(async () => {
  [env, gateway, baseline, broken] = await Promise.all([
    createDevServerEnv(),
    startGateway({ port: 0 }),
    startSimulatedBackend({ model: 'sim-base', behaviour: { latencyMedianMs: 20, latencySigma: 0.1, seed: 11 } }),
    startSimulatedBackend({
      model: 'sim-broken',
      behaviour: { latencyMedianMs: 20, latencySigma: 0.1, errorRate: 0.6, seed: 12 },
    }),
  ]);
  cleanups.push(
    () => env.teardown(),
    () => gateway.close(),
    () => baseline.close(),
    () => broken.close(),
  );
  // The in-process worker's activities find the admin token where any worker does.
  process.env.GATEWAY_ADMIN_TOKEN = gateway.adminToken;
  cleanups.push(async () => {
    delete process.env.GATEWAY_ADMIN_TOKEN;
  });
  const worker = await Worker.create({
    connection: env.nativeConnection,
    namespace: env.namespace ?? 'default',
    taskQueue: TASK_QUEUE,
    workflowBundle: await workflowBundle(),
    activities: createActivities({ slack: false }),
  });
  const done = worker.run();
  cleanups.push(async () => {
    worker.shutdown();
    await done;
  });
  receiver = await startIncidentReceiver({ service: new RolloutService(env.client), token: TOKEN });
  cleanups.push(() => receiver.stop());
}, 120_000);

afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  rmSync(dir, { recursive: true, force: true });
});

async function start(id: string, backends?: { baseline: SimulatedBackend; candidate: SimulatedBackend }) {
  const plan = parsePlan({
    rollout: { id, requestedBy: 'carol' },
    backends: {
      baseline: {
        baseUrl: backends?.baseline.url ?? 'http://127.0.0.1:9/v1',
        model: backends?.baseline.model ?? 'sim-base',
      },
      candidate: {
        baseUrl: backends?.candidate.url ?? 'http://127.0.0.1:9/v1',
        model: backends?.candidate.model ?? 'sim-candidate',
      },
    },
    router: { kind: 'gateway', adminUrl: gateway.adminUrl, route: id },
    // Straight to a long 25% canary, judged only after the test is over: only the incident rolls back.
    stages: {
      shadow: { enabled: false },
      canary: { steps: [{ weight: 25, window: '10m' }], checkInterval: '10m' },
      cutover: { bake: '10m' },
    },
    approvals: { requiredBefore: [], approvers: ['alice'] },
    guardrails: { judge: 'threshold' },
  });
  const handle = await startRollout(env.client, plan, { taskQueue: TASK_QUEUE, requestedBy: 'carol' });
  await eventually(`${id} at 25%`, async () => (await route(id))?.weights.candidate === 25);
  return handle;
}

async function route(name: string): Promise<RouteState | null> {
  return adminOf(gateway).getRoute(name);
}

function alert(rolloutId: string | null, overrides: Record<string, unknown> = {}) {
  return {
    status: 'firing',
    labels: {
      alertname: 'CandidateErrorRateHigh',
      severity: 'critical',
      ...(rolloutId ? { rollout_id: rolloutId } : {}),
    },
    annotations: { summary: 'candidate 5xx rate 41% on its route' },
    startsAt: '2026-11-22T10:00:00.000Z',
    endsAt: '0001-01-01T00:00:00Z',
    generatorURL: 'http://prometheus/graph',
    fingerprint: `fp-${rolloutId ?? 'none'}`,
    ...overrides,
  };
}

function payload(alerts: unknown[], status = 'firing') {
  return {
    version: '4',
    groupKey: '{}:{alertname="CandidateErrorRateHigh"}',
    truncatedAlerts: 0,
    status,
    receiver: 'webhook',
    groupLabels: {},
    commonLabels: {},
    commonAnnotations: {},
    externalURL: 'http://alertmanager',
    alerts,
  };
}

async function post(
  body: unknown,
  headers: Record<string, string> = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
) {
  const response = await fetch(receiver.url, {
    method: 'POST',
    headers,
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as { results?: AlertResult[]; error?: string } };
}

describe('the Alertmanager webhook receiver', () => {
  it('refuses requests without the token, and malformed or foreign payloads, with a clear status', async () => {
    const body = payload([alert('whatever')]);
    expect((await post(body, { 'content-type': 'application/json' })).status).toBe(401);
    const wrong = await post(body, { authorization: 'Bearer not-the-token', 'content-type': 'application/json' });
    expect(wrong).toEqual({ status: 401, body: { error: 'wrong bearer token' } });
    expect((await post(body, { authorization: `Basic ${TOKEN}`, 'content-type': 'application/json' })).status).toBe(
      401,
    );
    expect(
      (await post('{"version":', { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' })).body.error,
    ).toMatch(/^malformed JSON/);
    expect((await post(body, { authorization: `Bearer ${TOKEN}`, 'content-type': 'text/plain' })).status).toBe(415);
    const v3 = await post({ ...body, version: '3' });
    expect(v3.status).toBe(400);
    expect(v3.body.error).toContain('only Alertmanager webhook payload version "4" is understood');
    const noAlerts = await post({ ...body, alerts: 'none' });
    expect(noAlerts.status).toBe(400);
    expect(noAlerts.body.error).toContain('alerts');
    expect((await fetch(receiver.url)).status).toBe(405);
    expect((await fetch(receiver.url.replace('/alertmanager', '/other'), { method: 'POST' })).status).toBe(404);
  });

  it('rolls back on a firing alert naming the rollout; resolved alerts, other alerts and repeats change nothing', async () => {
    const id = 'inc-direct';
    const handle = await start(id);

    const resolved = await post(
      payload([alert(id, { status: 'resolved', endsAt: '2026-11-22T10:05:00.000Z' })], 'resolved'),
    );
    expect(resolved.status).toBe(200);
    expect(resolved.body.results).toMatchObject([{ rolloutId: id, action: 'ignored_resolved' }]);
    const unlabelled = await post(payload([alert(null)]));
    expect(unlabelled.body.results).toMatchObject([{ rolloutId: null, action: 'ignored_no_rollout' }]);
    const unknown = await post(payload([alert('no-such-rollout')]));
    expect(unknown.status).toBe(404);
    expect(unknown.body.results).toMatchObject([
      { action: 'unknown_rollout', message: 'no rollout with id no-such-rollout' },
    ]);
    const invalid = await post(payload([alert('Not A Rollout')]));
    expect(invalid.status).toBe(404);
    expect(invalid.body.results).toMatchObject([{ action: 'invalid_rollout_id' }]);
    expect((await handle.query(statusQuery)).rollbackRequest).toBeNull();

    const firing = await post(payload([alert(id)]));
    expect(firing.status).toBe(200);
    expect(firing.body.results).toMatchObject([{ rolloutId: id, action: 'rollback_requested' }]);
    // Alertmanager sends the same alert again (repeat, regrouping): nothing more happens.
    const repeat = await post(payload([alert(id)]));
    expect(repeat.body.results).toMatchObject([{ action: 'duplicate' }]);

    const result = await handle.result();
    expect(result.outcome).toBe('rolled_back');
    expect(result.reason).toBe(
      'rollback requested by alertmanager: alert CandidateErrorRateHigh firing: candidate 5xx rate 41% on its route',
    );
    expect(result.timeline.filter((event) => event.type === 'rollback_requested')).toHaveLength(1);
    expect((await route(id))?.weights).toEqual({ baseline: 100, candidate: 0 });

    // Another alert about the finished rollout: a clear, permanent answer.
    const late = await post(payload([alert(id, { fingerprint: 'another', startsAt: '2026-11-22T10:10:00.000Z' })]));
    expect(late.status).toBe(409);
    expect(late.body.results).toMatchObject([
      { action: 'rollout_finished', message: expect.stringContaining('has finished (rolled_back') },
    ]);
  });

  it('signals the rollback even when the rollout’s worker is down', async () => {
    const id = 'inc-no-worker';
    const plan = parsePlan({
      rollout: { id },
      backends: {
        baseline: { baseUrl: 'http://127.0.0.1:9/v1', model: 'a' },
        candidate: { baseUrl: 'http://127.0.0.1:9/v1', model: 'b' },
      },
      router: { kind: 'gateway', adminUrl: gateway.adminUrl },
      approvals: { approvers: ['alice'] },
    });
    const handle = await startRollout(env.client, plan, { taskQueue: 'nobody-polls-this', requestedBy: 'carol' });
    try {
      const firing = await post(payload([alert(id)]));
      expect(firing.status).toBe(200);
      expect(firing.body.results).toMatchObject([{ action: 'rollback_requested' }]);
      const history = await handle.fetchHistory();
      const signal = history.events?.find(
        (event) => event.workflowExecutionSignaledEventAttributes?.signalName === 'rollback',
      );
      expect(signal).toBeDefined();
    } finally {
      await handle.terminate('test over');
    }
  }, 30_000);

  it('the same rollback from the temporal CLI and from the rollout CLI', async () => {
    const namespace = env.namespace ?? 'default';
    const viaTemporal = await start('inc-temporal-cli');
    await run(temporalCliPath(), [
      'workflow',
      'signal',
      '--address',
      env.address,
      '--namespace',
      namespace,
      '--workflow-id',
      'inc-temporal-cli',
      '--name',
      'rollback',
      '--input',
      '{"reason": "INC-4312", "by": "dave"}',
    ]);
    expect((await viaTemporal.result()).reason).toBe('rollback requested by dave: INC-4312');
    expect((await route('inc-temporal-cli'))?.weights).toEqual({ baseline: 100, candidate: 0 });

    const viaRollout = await start('inc-rollout-cli');
    const cli = await run(
      process.execPath,
      ['--import', 'tsx', 'cli/main.ts', 'rollback', 'inc-rollout-cli', '--reason', 'INC-4313', '--as', 'erin'],
      {
        env: { ...process.env, TEMPORAL_ADDRESS: env.address, TEMPORAL_NAMESPACE: namespace },
      },
    );
    expect(cli.stdout).toContain('inc-rollout-cli: rollback requested by erin: INC-4313');
    expect((await viaRollout.result()).reason).toBe('rollback requested by erin: INC-4313');
    const unknown = await run(
      process.execPath,
      ['--import', 'tsx', 'cli/main.ts', 'rollback', 'no-such-rollout', '--reason', 'x'],
      { env: { ...process.env, TEMPORAL_ADDRESS: env.address } },
    ).catch((error: { code: number; stderr: string }) => error);
    expect((unknown as { code: number }).code).toBe(1);
    expect((unknown as { stderr: string }).stderr).toContain('no rollout with id no-such-rollout');
  }, 60_000);
});

describe('a Prometheus alert rule on the gateway, through the real Alertmanager', () => {
  it('rolls back the rollout whose candidate the alert names', async () => {
    const alertmanager = await startAlertmanager({
      dataDir: join(dir, 'am'),
      logDir: join(dir, 'logs'),
      webhookUrl: receiver.url,
      webhookBearerToken: TOKEN,
      groupBy: ['alertname', 'rollout_id'],
    });
    cleanups.push(() => alertmanager.stop());
    const prometheus = await startPrometheus({
      dataDir: join(dir, 'prom'),
      logDir: join(dir, 'logs'),
      targets: [{ job: 'llm-gateway', target: new URL(gateway.adminUrl).host }],
      // The rules file the compose stack's Prometheus loads (docker-compose.yml).
      ruleFiles: [ALERT_RULES_FILE],
      alertmanagerUrl: alertmanager.url,
    });
    cleanups.push(() => prometheus.stop());
    await prometheus.waitForTargetsUp(['llm-gateway'], 30_000);

    const id = 'inc-alert';
    const handle = await start(id, { baseline, candidate: broken });
    const load = new AbortController();
    const loadDone = runLoad({
      gatewayUrl: gateway.url,
      routes: [id],
      ratePerSecond: 30,
      durationMs: 60_000,
      users: 200,
      jsonShare: 0,
      signal: load.signal,
    });
    try {
      const result = await Promise.race([
        handle.result(),
        new Promise<never>((_, reject) =>
          setTimeout(
            () => reject(new Error(`no rollback within 50 s; see ${prometheus.logFile} and ${alertmanager.logFile}`)),
            50_000,
          ).unref(),
        ),
      ]);
      expect(result.outcome).toBe('rolled_back');
      expect(result.reason).toMatch(
        /^rollback requested by alertmanager: alert CandidateErrorRateHigh firing: candidate 5xx rate \d+(\.\d+)?% on route inc-alert$/,
      );
      expect((await route(id))?.weights).toEqual({ baseline: 100, candidate: 0 });
    } finally {
      load.abort();
      await loadDone.catch(() => undefined);
    }
  }, 90_000);
});

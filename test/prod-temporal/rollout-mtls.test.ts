// A whole rollout on a production-shaped Temporal: the real server (built from the Go module
// proxy by scripts/setup-temporal-server.sh) on PostgreSQL, mTLS required on its frontend. The
// worker is its own process and it and the client are configured only the way a user would:
// Temporal's own profile file and environment variables. The server is killed (-9) mid-canary and
// restarted on the same database; the rollout carries on. `npm run test:temporal-prod`.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectTemporal, TemporalUnreachableError, type TemporalClient } from '../../client/connection';
import { rolloutHandle, startRollout, watchRollout } from '../../client/rollouts';
import { temporalConfig } from '../../client/temporal-config';
import { demoPlan } from '../../demo/demo-plans';
import { withShortWindows } from '../support/plans';
import { GatewayAdminClient } from '../../gateway/admin-client';
import { startGateway, type GatewayHandle } from '../../gateway/server';
import { parsePlan } from '../../plan/schema';
import { runLoad } from '../../simulator/load-generator';
import { startSimulatedBackend, type SimulatedBackend } from '../../simulator/sim-backend';
import { startManagedProcess, type ManagedProcess, type Probe } from '../../stack/managed-process';
import { startPrometheus, type RunningPrometheus } from '../../stack/prometheus';
import { statusQuery } from '../../workflows/model-rollout';
import { eventually } from '../support/eventually';
import { startPostgresCluster, type PostgresCluster } from '../support/prod-temporal/postgres-cluster';
import { startTemporalServer, type TemporalServer } from '../support/prod-temporal/temporal-server';
import { makeTestCertificates, type TestCertificates } from '../support/prod-temporal/tls-certificates';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const TASK_QUEUE = 'prod-temporal';
const ROUTE = 'prod-mtls';

let dir: string;
let certs: TestCertificates;
let postgres: PostgresCluster;
let server: TemporalServer;
let gateway: GatewayHandle;
let prometheus: RunningPrometheus;
let worker: ManagedProcess;
let temporal: TemporalClient;
let profileEnv: NodeJS.ProcessEnv;
const sims: Record<string, SimulatedBackend> = {};
const load = new AbortController();
let loadDone: Promise<unknown>;

/** The environment a user sets: a profile file and its name; nothing else about Temporal. */
function userEnvironment(extra: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('TEMPORAL_')));
  return { ...env, HOME: dir, ...extra };
}

function writeProfileFile(): string {
  const file = join(dir, 'temporal.toml');
  writeFileSync(
    file,
    `[profile.prod]
address = "${server.address}"
namespace = "${server.namespace}"

[profile.prod.tls]
server_ca_cert_path = "${certs.caCert}"
server_name = "${certs.serverName}"
client_cert_path = "${certs.clientCert}"
client_key_path = "${certs.clientKey}"
`,
  );
  return file;
}

function logLine(logFile: string, line: string): Probe {
  return {
    description: `${logFile} says "${line}"`,
    attempt: async () => {
      if (!readFileSync(logFile, 'utf8').includes(line)) throw new Error('not yet');
    },
  };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'llm-rollout-prod-temporal-'));
  const logDir = join(dir, 'logs');
  certs = makeTestCertificates(dir);
  postgres = await startPostgresCluster({ dir, logDir });
  server = await startTemporalServer({ dir, logDir, postgres, certs, namespace: 'rollouts' });
  gateway = await startGateway({ recordsCapacity: 100_000 });
  prometheus = await startPrometheus({
    dataDir: join(dir, 'prometheus'),
    logDir,
    scrapeIntervalSeconds: 1,
    targets: [{ job: 'llm-gateway', target: new URL(gateway.adminUrl).host }],
  });
  await prometheus.waitForTargetsUp(['llm-gateway'], 30_000);
  sims.baseline = await startSimulatedBackend({
    model: 'sim-base',
    behaviour: { latencyMedianMs: 40, latencySigma: 0.1, seed: 11 },
  });
  sims.candidate = await startSimulatedBackend({
    model: 'sim-healthy',
    behaviour: { latencyMedianMs: 38, latencySigma: 0.1, seed: 12 },
  });
  await new GatewayAdminClient({ adminUrl: gateway.adminUrl, token: gateway.adminToken }).defineRoute(ROUTE, {
    backends: [{ name: 'baseline', baseUrl: sims.baseline.url, model: sims.baseline.model }],
  });
  loadDone = runLoad({
    gatewayUrl: gateway.url,
    routes: [ROUTE],
    ratePerSecond: 40,
    durationMs: 300_000,
    users: 200,
    jsonShare: 0.5,
    streamShare: 0.5,
    signal: load.signal,
  });

  profileEnv = userEnvironment({ TEMPORAL_CONFIG_FILE: writeProfileFile(), TEMPORAL_PROFILE: 'prod' });
  const workerLog = join(logDir, 'worker.log');
  worker = await startManagedProcess({
    name: 'rollout worker',
    command: join(repoRoot, 'node_modules', '.bin', 'tsx'),
    args: ['workers/main.ts'],
    cwd: repoRoot,
    env: { ...profileEnv, ROLLOUT_TASK_QUEUE: TASK_QUEUE, GATEWAY_ADMIN_TOKEN: gateway.adminToken },
    logFile: workerLog,
    ready: [logLine(workerLog, 'rollout worker polling')],
    readyTimeoutMs: 60_000,
  });
  temporal = await connectTemporal(temporalConfig(profileEnv));
}, 180_000);

afterAll(async () => {
  load.abort();
  await loadDone?.catch(() => undefined);
  await temporal?.close();
  await worker?.stop();
  for (const sim of Object.values(sims)) await sim.close();
  await prometheus?.stop();
  await gateway?.close();
  await server?.stop();
  await postgres?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('a production Temporal: PostgreSQL, mTLS', () => {
  it('refuses a client without the client certificate, and one in plaintext', async () => {
    const withoutCert = temporalConfig(
      userEnvironment({
        TEMPORAL_ADDRESS: server.address,
        TEMPORAL_NAMESPACE: server.namespace,
        TEMPORAL_TLS_SERVER_CA_CERT_PATH: certs.caCert,
        TEMPORAL_TLS_SERVER_NAME: certs.serverName,
      }),
    );
    await expect(connectTemporal(withoutCert)).rejects.toBeInstanceOf(TemporalUnreachableError);
    const plaintext = temporalConfig(userEnvironment({ TEMPORAL_ADDRESS: server.address }));
    await expect(connectTemporal(plaintext)).rejects.toBeInstanceOf(TemporalUnreachableError);
  }, 30_000);

  it('runs a rollout over mTLS through a kill -9 and restart of the server mid-canary, to promotion', async () => {
    expect(temporal.config).toMatchObject({ address: server.address, namespace: 'rollouts' });
    const input = demoPlan({
      id: 'prod-mtls-rollout',
      route: ROUTE,
      baseline: sims.baseline!,
      candidate: sims.candidate!,
      stack: { gatewayAdminUrl: gateway.adminUrl, prometheusUrl: prometheus.url, uiUrl: 'http://127.0.0.1:8233' },
      gates: [],
    });
    // The first step is long enough for the server's kill and restart inside it.
    const handle = await startRollout(temporal.client, parsePlan(withShortWindows(input, '12s')), {
      taskQueue: TASK_QUEUE,
      requestedBy: 'carol',
    });
    await eventually('the canary', async () => (await handle.query(statusQuery)).stage?.startsWith('canary-'), 90_000);

    const killedAt = Date.now();
    const pid = server.pid();
    process.kill(pid, 'SIGKILL');
    await eventually('the Temporal server gone', async () => {
      try {
        process.kill(pid, 0);
        return false;
      } catch {
        return true;
      }
    });
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    await server.restart();
    const upAt = Date.now();
    console.log(`Temporal server down ${upAt - killedAt} ms (restart included)`);

    // A fresh handle over the same profile: the state is the server's, in PostgreSQL.
    const result = await watchRollout(rolloutHandle(temporal.client, handle.workflowId), () => undefined);
    expect(result.outcome, result.reason).toBe('promoted');
    expect(result.timeline.filter((event) => event.type === 'started')).toHaveLength(1);
    expect(result.verdicts.some((verdict) => Date.parse(verdict.at) > upAt)).toBe(true);
    const route = await new GatewayAdminClient({ adminUrl: gateway.adminUrl, token: gateway.adminToken }).getRoute(
      ROUTE,
    );
    expect(route?.backends.map((backend) => backend.model)).toEqual(['sim-healthy']);
    expect(route?.weights).toEqual({ baseline: 100 });
  }, 240_000);
});

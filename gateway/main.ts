// CLI: `npm run gateway -- --port 8080 --admin-port 8480 --state-file gateway-state.json`. Runs
// until SIGINT/SIGTERM, then closes gracefully (in-flight upstream calls are aborted, connections
// closed). The admin token comes from GATEWAY_ADMIN_TOKEN, or a file (--admin-token-file or
// GATEWAY_ADMIN_TOKEN_FILE); it is never printed. `--processes N` (N > 1) runs a primary and N
// data-plane workers (cluster-primary.ts); the workers run this file too, as cluster workers.
import cluster from 'node:cluster';
import { parseArgs } from 'node:util';
import {
  DEFAULT_ADMIN_TOKEN_ENV,
  MAKE_TOKEN_HINT,
  MIN_ADMIN_TOKEN_LENGTH,
  readAdminToken,
  readTokenFile,
} from './admin-token';
import { startClusterGateway } from './cluster-primary';
import { runClusterWorker } from './cluster-worker';
import { applyGatewayConfig, loadGatewayConfig } from './config-file';
import { DEFAULT_CLIENT_BODY_TIMEOUT_MS } from './http-io';
import { RouteTable } from './route-table';
import { startGateway } from './server';
import { DEFAULT_FEEDBACK_INDEX_CAPACITY } from './feedback-index';
import { DEFAULT_CAPTURE_CAPACITY, DEFAULT_FEEDBACK_CAPACITY } from './traffic-log';
import type { GatewayOptions } from './server';

const USAGE = `usage: gateway [--port 8080] [--host 127.0.0.1] [--admin-port 8480] [--admin-host 127.0.0.1]
                [--admin-socket PATH] [--state-file PATH] [--config routes.yaml]
                [--admin-token-file PATH] [--records-capacity 100000] [--upstream-timeout-ms 60000]
                [--answer-sample-every 1] (keep every k-th answer per backend as text; 0: none)
                [--answer-samples-capacity 2000]
                [--capture-capacity 10000] (captured requests kept, all routes; 0: capturing off)
                [--feedback-capacity 20000] (feedback events kept, all routes)
                [--feedback-index-capacity 100000] (recent live requests feedback may name by request id)
                [--client-body-timeout-ms 30000] (a client still sending its body then gets 408)
                [--processes 1]   (N > 1: a primary with the admin plane and N data-plane worker processes)
  admin token: env ${DEFAULT_ADMIN_TOKEN_ENV}, or a file named by --admin-token-file or ${DEFAULT_ADMIN_TOKEN_ENV}_FILE
  (at least ${MIN_ADMIN_TOKEN_LENGTH} characters; ${MAKE_TOKEN_HINT})`;

function intFlag(name: string, raw: string | undefined, fallback: number, min: number): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min) throw new Error(`--${name} must be an integer >= ${min}, got '${raw}'`);
  return value;
}

/** The token from the flag's file, else the environment; refused when missing or short. */
function adminTokenFrom(tokenFile: string | undefined): string {
  const token = tokenFile ? readTokenFile(tokenFile) : readAdminToken(DEFAULT_ADMIN_TOKEN_ENV);
  if (!token) {
    throw new Error(
      `no admin token: set ${DEFAULT_ADMIN_TOKEN_ENV} (or ${DEFAULT_ADMIN_TOKEN_ENV}_FILE, or --admin-token-file) to a secret of at least ${MIN_ADMIN_TOKEN_LENGTH} characters; ${MAKE_TOKEN_HINT}`,
    );
  }
  if (token.length < MIN_ADMIN_TOKEN_LENGTH) {
    throw new Error(
      `the admin token is too short (${token.length} characters, at least ${MIN_ADMIN_TOKEN_LENGTH} needed); ${MAKE_TOKEN_HINT}`,
    );
  }
  return token;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string', default: '8080' },
      host: { type: 'string', default: '127.0.0.1' },
      'admin-port': { type: 'string', default: '8480' },
      'admin-host': { type: 'string', default: '127.0.0.1' },
      'admin-socket': { type: 'string' },
      'admin-token-file': { type: 'string' },
      'state-file': { type: 'string' },
      config: { type: 'string' },
      'records-capacity': { type: 'string' },
      'answer-sample-every': { type: 'string' },
      'answer-samples-capacity': { type: 'string' },
      'capture-capacity': { type: 'string' },
      'feedback-capacity': { type: 'string' },
      'feedback-index-capacity': { type: 'string' },
      'upstream-timeout-ms': { type: 'string' },
      'client-body-timeout-ms': { type: 'string' },
      processes: { type: 'string', default: '1' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const adminToken = adminTokenFrom(values['admin-token-file']);
  const config = values.config ? await loadGatewayConfig(values.config) : null;
  // Dry run on a scratch table so a bad file fails before anything listens.
  if (config) applyGatewayConfig(new RouteTable(), config);
  const processes = intFlag('processes', values.processes, 1, 1);
  const start =
    processes > 1 ? (options: GatewayOptions) => startClusterGateway({ ...options, processes }) : startGateway;
  const gateway = await start({
    port: intFlag('port', values.port, 8080, 0),
    host: values.host,
    adminPort: intFlag('admin-port', values['admin-port'], 8480, 0),
    adminHost: values['admin-host'],
    adminSocket: values['admin-socket'],
    adminToken,
    stateFile: values['state-file'],
    recordsCapacity: intFlag('records-capacity', values['records-capacity'], 100_000, 1),
    answerSampleEvery: intFlag('answer-sample-every', values['answer-sample-every'], 1, 0),
    answerSamplesCapacity: intFlag('answer-samples-capacity', values['answer-samples-capacity'], 2_000, 1),
    captureCapacity: intFlag('capture-capacity', values['capture-capacity'], DEFAULT_CAPTURE_CAPACITY, 0),
    feedbackCapacity: intFlag('feedback-capacity', values['feedback-capacity'], DEFAULT_FEEDBACK_CAPACITY, 1),
    feedbackIndexCapacity: intFlag(
      'feedback-index-capacity',
      values['feedback-index-capacity'],
      DEFAULT_FEEDBACK_INDEX_CAPACITY,
      1,
    ),
    upstreamTimeoutMs: intFlag('upstream-timeout-ms', values['upstream-timeout-ms'], 60_000, 1),
    clientBodyTimeoutMs: intFlag(
      'client-body-timeout-ms',
      values['client-body-timeout-ms'],
      DEFAULT_CLIENT_BODY_TIMEOUT_MS,
      1,
    ),
    // The state file wins for the routes it holds (a rollout's last weights); --config adds the rest.
    configure: (table) => {
      if (!config) return;
      const applied = new Set(applyGatewayConfig(table, config, { onlyMissing: true }));
      for (const route of Object.keys(config.routes)) {
        if (!applied.has(route))
          console.log(`[gateway] route ${route}: kept as saved in the state file (--config entry not applied)`);
      }
    },
    log: (line) => console.log(`[gateway] ${line}`),
  });
  for (const route of gateway.routes.list()) {
    console.log(
      `[gateway] route ${route.route}: ${route.backends.map((b) => `${b.name}=${route.weights[b.name]}% -> ${b.baseUrl} (${b.model})`).join(', ')}`,
    );
  }
  console.log(`[gateway] data plane ${gateway.url} (OpenAI base URL ${gateway.baseUrl})`);
  if (processes > 1)
    console.log(
      `[gateway] ${processes} data-plane worker processes share the data plane; this primary (pid ${process.pid}) holds the routes, records and /metrics`,
    );
  console.log(
    `[gateway] admin plane ${gateway.adminUrl} (bearer token required for /admin; /metrics and /healthz open)`,
  );

  const shutdown = (signal: string) => {
    console.log(`[gateway] ${signal} received, shutting down`);
    gateway.close().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error('[gateway] shutdown failed:', error);
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', () => shutdown('SIGINT'));
  process.once('SIGTERM', () => shutdown('SIGTERM'));
}

if (cluster.isWorker) {
  runClusterWorker().catch((error: unknown) => {
    console.error(`[gateway worker ${process.pid}] ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  });
} else {
  main().catch((error: unknown) => {
    console.error(`[gateway] ${error instanceof Error ? error.message : String(error)}`);
    console.error(USAGE);
    process.exitCode = 1;
  });
}

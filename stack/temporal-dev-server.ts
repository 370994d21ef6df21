// The real Temporal dev server (`temporal server start-dev`, SQLite-backed, Web UI embedded) as a
// managed child, so the demo and the integration tests run workflows against the same server a
// developer would use, not the time-skipping test server.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, httpJsonProbe, httpProbe, startManagedProcess, tcpProbe } from './managed-process';
import { temporalCliPath } from './temporal-binaries';

export type SearchAttributeType = 'Keyword' | 'Text' | 'Int' | 'Double' | 'Bool' | 'Datetime' | 'KeywordList';

export interface TemporalDevServerOptions {
  /** Holds temporal.db, so workflow state survives a restart with the same dataDir. */
  dataDir: string;
  logDir: string;
  /** Frontend gRPC port; a free one when omitted. */
  port?: number;
  uiPort?: number;
  namespace?: string;
  searchAttributes?: Record<string, SearchAttributeType>;
  readyTimeoutMs?: number;
}

export interface TemporalDevServer {
  /** host:port of the gRPC frontend, for Connection.connect / NativeConnection.connect. */
  address: string;
  uiUrl: string;
  /** Base URL of the frontend's HTTP API (used for readiness; handy for curl). */
  httpApiUrl: string;
  /** The server's own Prometheus endpoint. */
  metricsUrl: string;
  namespace: string;
  logFile: string;
  /** The server's process id (what a supervisor, or a test's kill -9, acts on). */
  pid: number;
  stop(): Promise<void>;
}

const HOST = '127.0.0.1';
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * The dev server's internal services (history, matching) take ports of their own choosing after
 * ours are picked, so one can land on a port we chose but had not bound yet. That start fails
 * with "address already in use"; it is started again on fresh ports, a few times.
 */
export async function startTemporalDevServer(options: TemporalDevServerOptions): Promise<TemporalDevServer> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(options);
    } catch (error) {
      if (attempt >= 3 || !(error instanceof Error) || !error.message.includes('address already in use')) throw error;
    }
  }
}

async function startOnce(options: TemporalDevServerOptions): Promise<TemporalDevServer> {
  const namespace = options.namespace ?? 'default';
  const searchAttributes = options.searchAttributes ?? {};
  for (const name of Object.keys(searchAttributes)) {
    // The CLI would reject these too, but only after a slow start and with a less direct message.
    if (!IDENTIFIER.test(name)) throw new Error(`search attribute name ${JSON.stringify(name)} is not an identifier`);
  }
  mkdirSync(options.dataDir, { recursive: true });

  const port = options.port ?? (await freePort());
  const uiPort = options.uiPort ?? (await freePort());
  // Pinned rather than left to the CLI's random choice so every listener is known and on loopback.
  const httpPort = await freePort();
  const metricsPort = await freePort();

  const args = [
    'server',
    'start-dev',
    '--ip',
    HOST,
    '--port',
    String(port),
    '--ui-port',
    String(uiPort),
    '--http-port',
    String(httpPort),
    '--metrics-port',
    String(metricsPort),
    '--db-filename',
    join(options.dataDir, 'temporal.db'),
    '--log-level',
    'warn',
    // No outbound request from the UI to temporal.io for its newsfeed.
    '--ui-disable-news-fetch',
    // Ignore any developer's ~/.config/temporal profile or TEMPORAL_* variables.
    '--disable-config-file',
    '--disable-config-env',
  ];
  // "default" always exists; -n only creates additional namespaces.
  if (namespace !== 'default') args.push('--namespace', namespace);
  for (const [name, type] of Object.entries(searchAttributes)) args.push('--search-attribute', `${name}=${type}`);

  const httpApiUrl = `http://${HOST}:${httpPort}`;
  const uiUrl = `http://${HOST}:${uiPort}`;
  const nsPath = `/api/v1/namespaces/${encodeURIComponent(namespace)}`;
  const wanted = Object.keys(searchAttributes);

  const child = await startManagedProcess({
    name: 'temporal dev server',
    command: temporalCliPath(),
    args,
    logFile: join(options.logDir, 'temporal.log'),
    readyTimeoutMs: options.readyTimeoutMs ?? 60_000,
    ready: [
      tcpProbe(HOST, port),
      // The HTTP API answers from the frontend's own handlers, so a REGISTERED namespace here means
      // workflow calls on it will be accepted.
      httpJsonProbe(`namespace ${namespace} is registered`, `${httpApiUrl}${nsPath}`, (body) => {
        const state = (body as { namespaceInfo?: { state?: string } }).namespaceInfo?.state;
        return state === 'NAMESPACE_STATE_REGISTERED' ? null : `namespace state is ${state ?? 'missing'}`;
      }),
      httpJsonProbe('search attributes are registered', `${httpApiUrl}${nsPath}/search-attributes`, (body) => {
        const custom = (body as { customAttributes?: Record<string, string> }).customAttributes ?? {};
        const missing = wanted.filter((name) => !(name in custom));
        return missing.length === 0 ? null : `not yet registered: ${missing.join(', ')}`;
      }),
      // The UI proxies to the gRPC frontend; this proves the UI is serving and can reach it.
      httpProbe(`${uiUrl}${nsPath}`),
    ],
  });

  return {
    address: `${HOST}:${port}`,
    uiUrl,
    httpApiUrl,
    metricsUrl: `http://${HOST}:${metricsPort}/metrics`,
    namespace,
    logFile: child.logFile,
    pid: child.pid,
    stop: () => child.stop(),
  };
}

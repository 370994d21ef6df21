// Programmatic entry point: startGateway() runs the embedded traffic layer on two node:http
// servers, both on loopback unless told otherwise: the data plane (the OpenAI-compatible API
// only) and the admin plane (route control, records, shadow pairs behind a bearer token, plus
// /metrics and /healthz). With a state file, the route table is restored before either listens
// and every change is written back (route-store.ts).
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RouteDefinition } from './admin-api';
import { AdminAuth } from './admin-auth';
import { handleAdminPlane } from './admin-handler';
import type { AdminDeps } from './admin-handler';
import { generateAdminToken } from './admin-token';
import { handleInference } from './data-plane';
import type { DataPlaneDeps } from './data-plane';
import { ExchangeRecorder } from './exchange-recorder';
import { DEFAULT_MAX_BODY_BYTES, sendCaughtError, sendError, sendJson } from './http-io';
import { GatewayMetrics } from './metrics';
import { RouteStore, loadRouteState, restoreRoutes } from './route-store';
import { RouteTable } from './route-table';
import { DEFAULT_MAX_SHADOW_IN_FLIGHT, ShadowMirror } from './shadow-mirror';
import { TrafficLog } from './traffic-log';
import { UpstreamClient } from './upstream';
import { listenOn, listenOnSocket } from '../stack/listen';

export interface GatewayOptions {
  /** Data plane port; 0 (the default) picks a free port. */
  port?: number;
  /** Data plane host (default 127.0.0.1). */
  host?: string;
  /** Admin plane port; 0 (the default) picks a free port. */
  adminPort?: number;
  /** Admin plane host (default 127.0.0.1): keep it off public interfaces. */
  adminHost?: string;
  /** A unix socket path for the admin plane instead of adminHost/adminPort (mode 0600). */
  adminSocket?: string;
  /** Bearer token for /admin/*; a random 32-byte hex token when omitted (read it from the handle). */
  adminToken?: string;
  /** JSON file holding the route table: restored at start, rewritten atomically on every change. */
  stateFile?: string;
  /** Routes created at start-up (weight 100 on each route's first backend), unless the state file already has them. */
  routes?: Record<string, RouteDefinition>;
  /** Runs after the state file's routes are restored and before either plane listens (main.ts applies --config here). */
  configure?: (table: RouteTable) => void;
  /** Per-request records kept for /admin/routes/:route/records (default 10,000). */
  recordsCapacity?: number;
  /** Shadow pairs kept for /admin/routes/:route/shadow-pairs (default 2,000). */
  shadowPairsCapacity?: number;
  /** Whole-exchange timeout for a live upstream call before it becomes a 502 (default 60 s). */
  upstreamTimeoutMs?: number;
  /** Timeout for shadow copies (default: upstreamTimeoutMs). */
  shadowTimeoutMs?: number;
  /** Shadow copies allowed in flight at once; beyond it requests are not mirrored (default 256). */
  maxShadowInFlight?: number;
  /** Request body limit; larger bodies get 413 (default 2 MiB). */
  maxBodyBytes?: number;
  /** Export prom-client's default process metrics too (default true). */
  defaultMetrics?: boolean;
  /** Source of randomness for keyless routing and shadow sampling (default Math.random). */
  random?: () => number;
  /** Never given the admin token. */
  log?: (line: string) => void;
}

export interface GatewayHandle {
  /** Data plane root URL, e.g. http://127.0.0.1:8080 (the OpenAI-compatible API and /healthz only). */
  url: string;
  /** OpenAI-compatible base URL for clients: `${url}/v1`. */
  baseUrl: string;
  /** Data plane port. */
  port: number;
  /** Admin plane root, e.g. http://127.0.0.1:8480 (admin API, /metrics); `unix:/path` on a unix socket. */
  adminUrl: string;
  adminToken: string;
  /** This process's epoch, carried by every record and shadow pair. */
  epoch: string;
  routes: RouteTable;
  metrics: GatewayMetrics;
  log: TrafficLog;
  close(): Promise<void>;
}

export async function startGateway(options: GatewayOptions = {}): Promise<GatewayHandle> {
  const host = options.host ?? '127.0.0.1';
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const upstreamTimeoutMs = options.upstreamTimeoutMs ?? 60_000;
  const random = options.random ?? Math.random;
  const log = options.log ?? (() => {});
  const adminToken = options.adminToken ?? generateAdminToken();
  const startedAt = new Date().toISOString();

  const table = new RouteTable();
  const metrics = new GatewayMetrics({ defaultMetrics: options.defaultMetrics ?? true });
  table.onChange((route, state, previous) => metrics.reflectRoute(route, state, previous));
  let store: RouteStore | null = null;
  if (options.stateFile) {
    const saved = await loadRouteState(options.stateFile);
    if (saved) {
      restoreRoutes(table, saved, options.stateFile);
      log(`restored ${saved.length} route(s) from ${options.stateFile}`);
    } else {
      log(`no state file at ${options.stateFile} yet: starting with no saved routes`);
    }
  }
  // Seeds only add what the state lacks: the saved weights are the last ones a rollout set.
  for (const [route, definition] of Object.entries(options.routes ?? {})) if (!table.has(route)) table.define(route, definition);
  options.configure?.(table);
  if (options.stateFile) {
    store = new RouteStore(options.stateFile, table, (error) => log(`state file not saved: ${error.message}`));
    store.attach();
    // Written once before listening, so an unwritable location fails the start, not a rollout.
    await store.save();
  }

  const traffic = new TrafficLog({ records: options.recordsCapacity, shadowPairs: options.shadowPairsCapacity });
  const recorder = new ExchangeRecorder(metrics, traffic);
  const closing = new AbortController();
  const upstream = new UpstreamClient();
  const shadow = new ShadowMirror({
    recorder,
    upstream,
    timeoutMs: options.shadowTimeoutMs ?? upstreamTimeoutMs,
    maxInFlight: options.maxShadowInFlight ?? DEFAULT_MAX_SHADOW_IN_FLIGHT,
    closing: closing.signal,
    random,
  });
  const dataPlane: DataPlaneDeps = { table, recorder, log: traffic, shadow, upstream, upstreamTimeoutMs, maxBodyBytes, closing: closing.signal, random };
  const adminPlane: AdminDeps = {
    table,
    log: traffic,
    metrics,
    auth: new AdminAuth(adminToken),
    maxBodyBytes,
    startedAt,
    durable: () => (store ? store.flush() : Promise.resolve()),
  };

  async function dispatchData(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://gateway.invalid');
    const method = req.method ?? 'GET';
    if (method === 'POST' && url.pathname === '/v1/chat/completions') return handleInference(req, res, 'chat/completions', dataPlane);
    if (method === 'POST' && url.pathname === '/v1/embeddings') return handleInference(req, res, 'embeddings', dataPlane);
    if (method === 'GET' && url.pathname === '/v1/models') {
      sendJson(res, 200, { object: 'list', data: table.list().map((r) => ({ id: r.route, object: 'model', created: 0, owned_by: 'llm-rollout-gateway' })) });
      return;
    }
    if (method === 'GET' && url.pathname === '/healthz') {
      sendJson(res, 200, { ok: true });
      return;
    }
    sendError(res, 404, 'not_found', `no endpoint ${method} ${url.pathname}`);
  }

  const dataServer = createServer((req, res) => {
    void dispatchData(req, res).catch((error: unknown) => sendCaughtError(res, error));
  });
  const adminServer = createServer((req, res) => {
    void handleAdminPlane(req, res, adminPlane).catch((error: unknown) => sendCaughtError(res, error));
  });
  let adminUrl: string;
  if (options.adminSocket) {
    await listenOnSocket(adminServer, options.adminSocket);
    adminUrl = `unix:${options.adminSocket}`;
  } else {
    adminUrl = (await listenOn(adminServer, options.adminHost ?? '127.0.0.1', options.adminPort ?? 0)).origin;
  }
  let bound: { port: number; origin: string };
  try {
    bound = await listenOn(dataServer, host, options.port);
  } catch (error) {
    adminServer.close();
    throw error;
  }
  const url = bound.origin;
  log(`gateway data plane on ${url} (OpenAI-compatible base URL ${url}/v1); admin plane on ${adminUrl}; epoch ${traffic.epoch}`);

  let closed: Promise<void> | null = null;
  return {
    url,
    baseUrl: `${url}/v1`,
    port: bound.port,
    adminUrl,
    adminToken,
    epoch: traffic.epoch,
    routes: table,
    metrics,
    log: traffic,
    close() {
      closed ??= (async () => {
        // Abort upstream calls (live and shadow) first so no handler is left waiting on a backend.
        closing.abort();
        const stopped = Promise.all([dataServer, adminServer].map((server) => new Promise<void>((resolve) => server.close(() => resolve()))));
        dataServer.closeAllConnections();
        adminServer.closeAllConnections();
        await shadow.drain();
        upstream.close();
        await stopped;
        // Changes made just before closing still reach the file.
        await store?.flush().catch((error: unknown) => log(`state file not saved at close: ${(error as Error).message}`));
        log('gateway stopped');
      })();
      return closed;
    },
  };
}

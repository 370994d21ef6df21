// Programmatic entry point: startGateway() runs the embedded traffic layer (data plane, admin
// API, /metrics, /healthz) on one node:http server, on loopback unless told otherwise.
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RouteDefinition } from './admin-api';
import { handleAdmin } from './admin-handler';
import { handleInference } from './data-plane';
import type { DataPlaneDeps } from './data-plane';
import { ExchangeRecorder } from './exchange-recorder';
import { DEFAULT_MAX_BODY_BYTES, sendCaughtError, sendError, sendJson } from './http-io';
import { GatewayMetrics } from './metrics';
import { RouteTable } from './route-table';
import { DEFAULT_MAX_SHADOW_IN_FLIGHT, ShadowMirror } from './shadow-mirror';
import { TrafficLog } from './traffic-log';
import { UpstreamClient } from './upstream';
import { listenOn } from '../stack/listen';

export interface GatewayOptions {
  /** 0 (the default) picks a free port. */
  port?: number;
  host?: string;
  /** Routes created at start-up (weight 100 on each route's first backend). */
  routes?: Record<string, RouteDefinition>;
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
  log?: (line: string) => void;
}

export interface GatewayHandle {
  /** Root URL, e.g. http://127.0.0.1:8080 (admin API and /metrics live here). */
  url: string;
  /** OpenAI-compatible base URL for clients: `${url}/v1`. */
  baseUrl: string;
  port: number;
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

  const table = new RouteTable();
  const metrics = new GatewayMetrics({ defaultMetrics: options.defaultMetrics ?? true });
  table.onChange((route, state, previous) => metrics.reflectRoute(route, state, previous));
  for (const [route, definition] of Object.entries(options.routes ?? {})) table.define(route, definition);

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

  async function dispatch(req: IncomingMessage, res: ServerResponse): Promise<void> {
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
    if (method === 'GET' && url.pathname === '/metrics') {
      const { contentType, body } = await metrics.render();
      res.writeHead(200, { 'content-type': contentType }).end(body);
      return;
    }
    if (await handleAdmin(req, res, url, { table, log: traffic, maxBodyBytes })) return;
    sendError(res, 404, 'not_found', `no endpoint ${method} ${url.pathname}`);
  }

  const server = createServer((req, res) => {
    void dispatch(req, res).catch((error: unknown) => sendCaughtError(res, error));
  });
  const { port, origin: url } = await listenOn(server, host, options.port);
  log(`gateway listening on ${url}`);

  let closed: Promise<void> | null = null;
  return {
    url,
    baseUrl: `${url}/v1`,
    port,
    routes: table,
    metrics,
    log: traffic,
    close() {
      closed ??= (async () => {
        // Abort upstream calls (live and shadow) first so no handler is left waiting on a backend.
        closing.abort();
        const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeAllConnections();
        await shadow.drain();
        upstream.close();
        await stopped;
        log('gateway stopped');
      })();
      return closed;
    },
  };
}

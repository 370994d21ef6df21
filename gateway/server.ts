// Programmatic entry point: startGateway() runs the embedded traffic layer on two node:http
// servers, both on loopback unless told otherwise: the data plane (the OpenAI-compatible API
// only) and the admin plane (route control, records, shadow pairs behind a bearer token, plus
// /metrics and /healthz). With a state file, the route table is restored before either listens
// and every change is written back (route-store.ts).
import type { ProcessesInfo, RouteDefinition } from './admin-api';
import { AdminAuth } from './admin-auth';
import { generateAdminToken } from './admin-token';
import { startAdminPlane } from './admin-server';
import { closeServer, createDataPlane } from './data-plane-server';
import { DEFAULT_ANSWER_SAMPLING, type AnswerSamplingOptions } from './answer-sampler';
import { ExchangeRecorder } from './exchange-recorder';
import { FeedbackRecorder } from './feedback-recorder';
import { DEFAULT_MAX_BODY_BYTES } from './http-io';
import { GatewayMetrics } from './metrics';
import { openRouteTable } from './route-setup';
import type { RouteTable } from './route-table';
import { DEFAULT_CAPTURE_CAPACITY, TrafficLog } from './traffic-log';
import { listenOn } from '../lib/listen';

/** /admin/info of a one-process gateway: the data plane runs in this process, no workers. */
const ONE_PROCESS: ProcessesInfo = { workers: 0, alive: 0, restarts: 0 };

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
  /**
   * Keep every k-th successful chat answer of each backend of each route as text, for
   * /admin/routes/:route/answer-samples and the canary's behavioral check (default 1: all;
   * 0: none, and nothing is done per request).
   */
  answerSampleEvery?: number;
  /** Answer samples kept, all routes (default 2,000). */
  answerSamplesCapacity?: number;
  /**
   * Captured live chat requests kept for /admin/routes/:route/captures, all routes (default 10,000);
   * 0: none, and nothing is done per request whatever the routes' capture settings say.
   */
  captureCapacity?: number;
  /** Feedback events kept for /admin/routes/:route/feedback, all routes (default 20,000). */
  feedbackCapacity?: number;
  /**
   * Recent live requests whose answering backend is remembered, so feedback can name them by
   * request id (default 100,000); feedback for an older one is dropped and counted.
   */
  feedbackIndexCapacity?: number;
  /** Characters of each sampled answer kept, its start and end when longer (default 2,000). */
  answerSampleChars?: number;
  /** Whole-exchange timeout for a live upstream call before it becomes a 502 (default 60 s). */
  upstreamTimeoutMs?: number;
  /** Timeout for shadow copies (default: upstreamTimeoutMs). */
  shadowTimeoutMs?: number;
  /** Shadow copies allowed in flight at once; beyond it requests are not mirrored (default 256). */
  maxShadowInFlight?: number;
  /** Request body limit; larger bodies get 413 (default 2 MiB). */
  maxBodyBytes?: number;
  /** How long a data plane client may take to send its body once its headers are in; then 408 (default 30 s). */
  clientBodyTimeoutMs?: number;
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
  const log = options.log ?? (() => {});
  const adminToken = options.adminToken ?? generateAdminToken();
  const startedAt = new Date().toISOString();

  const metrics = new GatewayMetrics({ defaultMetrics: options.defaultMetrics ?? true });
  const { table, store } = await openRouteTable(options, metrics, log);
  const traffic = trafficLogFor(options);
  const recorder = new ExchangeRecorder(metrics, traffic);
  // Here a live record is always added before its client has the answer: an unknown id is final.
  const feedback = new FeedbackRecorder(metrics, traffic, { retryUnknownMs: 0 });
  const answerSampling = answerSamplingOf(options);
  const dataPlane = createDataPlane(
    table,
    { recorder, pairs: traffic, samples: traffic, captures: traffic, feedback },
    {
      upstreamTimeoutMs: options.upstreamTimeoutMs ?? 60_000,
      shadowTimeoutMs: options.shadowTimeoutMs,
      maxShadowInFlight: options.maxShadowInFlight,
      maxBodyBytes,
      clientBodyTimeoutMs: options.clientBodyTimeoutMs,
      random: options.random ?? Math.random,
      ...(answerSampling ? { answerSampling } : {}),
      capture: capturingOf(options),
    },
  );
  const admin = await startAdminPlane(
    {
      table,
      log: traffic,
      metrics,
      auth: new AdminAuth(adminToken),
      maxBodyBytes,
      startedAt,
      durable: () => (store ? store.flush() : Promise.resolve()),
      processes: () => ONE_PROCESS,
    },
    options,
  );
  let bound: { port: number; origin: string };
  try {
    bound = await listenOn(dataPlane.server, host, options.port);
  } catch (error) {
    admin.server.close();
    throw error;
  }
  const url = bound.origin;
  log(
    `gateway data plane on ${url} (OpenAI-compatible base URL ${url}/v1); admin plane on ${admin.url}; epoch ${traffic.epoch}`,
  );

  let closed: Promise<void> | null = null;
  return {
    url,
    baseUrl: `${url}/v1`,
    port: bound.port,
    adminUrl: admin.url,
    adminToken,
    epoch: traffic.epoch,
    routes: table,
    metrics,
    log: traffic,
    close() {
      closed ??= (async () => {
        await Promise.all([dataPlane.stop(), closeServer(admin.server)]);
        // Changes made just before closing still reach the file.
        await store
          ?.flush()
          .catch((error: unknown) => log(`state file not saved at close: ${(error as Error).message}`));
        log('gateway stopped');
      })();
      return closed;
    },
  };
}

/** The traffic log's capacities from the options (one process and the multi-process primary alike). */
export function trafficLogFor(options: GatewayOptions): TrafficLog {
  return new TrafficLog({
    records: options.recordsCapacity,
    shadowPairs: options.shadowPairsCapacity,
    answerSamples: options.answerSamplesCapacity,
    captures: options.captureCapacity,
    feedback: options.feedbackCapacity,
    feedbackIndex: options.feedbackIndexCapacity,
  });
}

/** Whether the data plane captures at all: --capture-capacity 0 turns it off for every route. */
export function capturingOf(options: GatewayOptions): boolean {
  return (options.captureCapacity ?? DEFAULT_CAPTURE_CAPACITY) > 0;
}

/** The answer sampling the options ask for; null when it is off. */
export function answerSamplingOf(options: GatewayOptions): AnswerSamplingOptions | null {
  const every = options.answerSampleEvery ?? DEFAULT_ANSWER_SAMPLING.every;
  if (every === 0) return null;
  return {
    every,
    maxAnswerChars: options.answerSampleChars ?? DEFAULT_ANSWER_SAMPLING.maxAnswerChars,
    maxRequestChars: DEFAULT_ANSWER_SAMPLING.maxRequestChars,
  };
}

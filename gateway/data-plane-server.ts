// The data plane as a node:http server: the OpenAI-compatible API, POST /v1/feedback and /healthz,
// over a route table and five sinks (exchanges, shadow pairs, answer samples, captured requests,
// feedback). The one-process gateway gives it its own table and recorders; a cluster worker gives
// it the table the primary sent and a batcher that forwards to the primary (cluster-worker.ts).
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { handleInference } from './data-plane';
import type { DataPlaneDeps } from './data-plane';
import { AnswerSampler, type AnswerSamplingOptions, type SampleSink } from './answer-sampler';
import type { ExchangeSink, PairSink } from './exchange-recorder';
import { handleFeedback } from './feedback-endpoint';
import type { FeedbackSink } from './feedback-recorder';
import { RequestCapturer, type CaptureSink } from './request-capture';
import {
  answerClientError,
  DEFAULT_CLIENT_BODY_TIMEOUT_MS,
  requestUrl,
  sendCaughtError,
  sendError,
  sendJson,
} from './http-io';
import type { RouteTable } from './route-table';
import { DEFAULT_MAX_SHADOW_IN_FLIGHT, ShadowMirror } from './shadow-mirror';
import { UpstreamClient } from './upstream';

export interface DataPlaneOptions {
  upstreamTimeoutMs: number;
  shadowTimeoutMs?: number;
  maxShadowInFlight?: number;
  maxBodyBytes: number;
  /** How long a client may take to send its body (default DEFAULT_CLIENT_BODY_TIMEOUT_MS). */
  clientBodyTimeoutMs?: number;
  random: () => number;
  /** Answers kept as text (answer-sampler.ts); absent: none. */
  answerSampling?: AnswerSamplingOptions;
  /** Live requests of routes with capture on are kept (request-capture.ts); absent or false: none. */
  capture?: boolean;
}

export interface DataPlane {
  server: Server;
  /** `deps.table` may be replaced at any time; each request reads it once. */
  deps: DataPlaneDeps;
  /** Aborts upstream calls (live and shadow), closes the listener and its connections, waits for shadow copies. */
  stop(): Promise<void>;
}

export function createDataPlane(
  table: RouteTable,
  sinks: {
    recorder: ExchangeSink;
    pairs: PairSink;
    samples: SampleSink;
    captures: CaptureSink;
    feedback: FeedbackSink;
  },
  options: DataPlaneOptions,
): DataPlane {
  const closing = new AbortController();
  const upstream = new UpstreamClient();
  const sampler = options.answerSampling ? new AnswerSampler(sinks.samples, options.answerSampling) : null;
  const shadow = new ShadowMirror({
    recorder: sinks.recorder,
    sampler,
    upstream,
    timeoutMs: options.shadowTimeoutMs ?? options.upstreamTimeoutMs,
    maxInFlight: options.maxShadowInFlight ?? DEFAULT_MAX_SHADOW_IN_FLIGHT,
    closing: closing.signal,
    random: options.random,
  });
  const deps: DataPlaneDeps = {
    table,
    recorder: sinks.recorder,
    log: sinks.pairs,
    feedback: sinks.feedback,
    sampler,
    capturer: options.capture ? new RequestCapturer(sinks.captures, options.random) : null,
    shadow,
    upstream,
    upstreamTimeoutMs: options.upstreamTimeoutMs,
    maxBodyBytes: options.maxBodyBytes,
    bodyTimeoutMs: options.clientBodyTimeoutMs ?? DEFAULT_CLIENT_BODY_TIMEOUT_MS,
    closing: closing.signal,
    random: options.random,
  };

  async function dispatch(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const pathname = pathnameOf(req);
    const method = req.method ?? 'GET';
    if (method === 'POST' && pathname === '/v1/chat/completions')
      return handleInference(req, res, 'chat/completions', deps);
    if (method === 'POST' && pathname === '/v1/embeddings') return handleInference(req, res, 'embeddings', deps);
    if (method === 'POST' && pathname === '/v1/feedback') return handleFeedback(req, res, deps);
    if (method === 'GET' && pathname === '/v1/models') {
      sendJson(res, 200, {
        object: 'list',
        data: deps.table
          .list()
          .map((r) => ({ id: r.route, object: 'model', created: 0, owned_by: 'llm-rollout-gateway' })),
      });
      return;
    }
    if (method === 'GET' && pathname === '/healthz') {
      sendJson(res, 200, { ok: true });
      return;
    }
    sendError(res, 404, 'not_found', `no endpoint ${method} ${pathname}`);
  }

  const server = createServer(
    // Node closes an idle keep-alive connection after 5 s; a client or load balancer that sends on
    // it just then gets a reset. Idle connections stay open longer than the usual 60 s idle timeout
    // of the balancers in front, so the client side is the one that closes them.
    { keepAliveTimeout: DATA_PLANE_KEEP_ALIVE_MS, headersTimeout: DATA_PLANE_KEEP_ALIVE_MS + 1_000 },
    (req, res) => {
      void dispatch(req, res).catch((error: unknown) => sendCaughtError(res, error));
    },
  );
  server.on('clientError', answerClientError);
  let stopped: Promise<void> | null = null;
  return {
    server,
    deps,
    stop() {
      stopped ??= (async () => {
        // Abort upstream calls first so no handler is left waiting on a backend.
        closing.abort();
        const closed = closeServer(server);
        await shadow.drain();
        upstream.close();
        await closed;
      })();
      return stopped;
    },
  };
}

/** How long an idle client connection stays open on the data plane. */
export const DATA_PLANE_KEEP_ALIVE_MS = 65_000;

/** Request targets that are already a bare path: parsing them as a URL gives them back unchanged. */
const PLAIN_PATHS = new Set(['/v1/chat/completions', '/v1/embeddings', '/v1/feedback', '/v1/models', '/healthz']);

/** The target's path, as requestUrl reads it (a URL parse per request showed in profiles, so the usual ones skip it). */
function pathnameOf(req: IncomingMessage): string {
  const target = req.url ?? '/';
  return PLAIN_PATHS.has(target) ? target : requestUrl(req).pathname;
}

/** Stops listening and cuts every connection; resolves once the server is closed. */
export function closeServer(server: Server): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeAllConnections();
  return closed;
}

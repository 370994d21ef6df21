// A SIMULATED GPU inference backend: an OpenAI-compatible HTTP server whose latency (and time to
// first token when streaming), failures, refusals, answer length and JSON quality are controlled
// by a Behaviour that can be changed at runtime (setBehaviour or PUT /admin/behaviour). It
// generates canned, deterministic text; it is a stand-in for vLLM/TGI in tests and demos, never
// a model.
//
//   POST /v1/chat/completions   POST /v1/embeddings   GET /v1/models   GET /healthz
//   GET  /admin/behaviour       PUT  /admin/behaviour  (partial update, validated)
//   GET  /metrics               vLLM-compatible series of what it served (simulator/vllm-metrics.ts)
import { setMaxListeners } from 'node:events';
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { DEFAULT_BEHAVIOUR, mergeBehaviour } from './behaviour';
import type { BackendFault, Behaviour } from './behaviour';
import { chatAnswer } from './chat-answer';
import { ConcurrencyGate } from './concurrency-gate';
import { embedText } from './embeddings';
import { parseChatRequest, parseEmbeddingsRequest } from './openai-requests';
import {
  chatCompletionBody,
  chatCompletionEvents,
  embeddingsBody,
  errorBody,
  simulatedFailureBody,
} from './openai-responses';
import { mulberry32 } from '../lib/seeded-random';
import { drawRequest } from './request-draws';
import type { RequestDraws } from './request-draws';
import { approxTokens } from './text-generation';
import { createVllmMetrics } from './vllm-metrics';
import { FieldValidationError } from './zod-errors';
import { carriesToken } from '../gateway/first-token';
import { listenOn } from '../lib/listen';

/** Simulated model ids carry this prefix so nobody mistakes them for real models. */
export const SIMULATED_MODEL_PREFIX = 'sim-';
export const SIMULATOR_OWNER = 'llm-rollout-simulator';
const MAX_BODY_BYTES = 2 * 1024 * 1024;
/** A streamed answer arrives in at most this many timed writes after its first token, not one timer per event. */
const STREAM_BATCHES = 8;

export interface SimulatedBackendOptions {
  /** Model id served, must start with 'sim-' (e.g. 'sim-llama-8b'). */
  model: string;
  /** 0 (the default) picks a free port. */
  port?: number;
  host?: string;
  behaviour?: Partial<Behaviour>;
  log?: (line: string) => void;
}

export interface SimulatorStats {
  /** Inference requests accepted (after validation) since start. */
  requests: number;
  inFlight: number;
  queued: number;
}

export interface SimulatedBackend {
  /** OpenAI base URL, ending in /v1. */
  url: string;
  port: number;
  model: string;
  close(): Promise<void>;
  /** Validates and applies a partial update; returns the new behaviour. Throws on bad input. */
  setBehaviour(patch: Partial<Behaviour>): Behaviour;
  behaviour(): Behaviour;
  stats(): SimulatorStats;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    message: string,
  ) {
    super(message);
  }
}

export async function startSimulatedBackend(options: SimulatedBackendOptions): Promise<SimulatedBackend> {
  const { model } = options;
  if (!model.startsWith(SIMULATED_MODEL_PREFIX) || model.length <= SIMULATED_MODEL_PREFIX.length) {
    throw new Error(`simulated model ids must start with '${SIMULATED_MODEL_PREFIX}', got '${model}'`);
  }
  const host = options.host ?? '127.0.0.1';
  const log = options.log ?? (() => {});
  let behaviour = mergeBehaviour({ ...DEFAULT_BEHAVIOUR }, options.behaviour ?? {});
  let random = mulberry32(behaviour.seed);
  const gate = new ConcurrencyGate(behaviour.maxConcurrency);
  const closing = new AbortController();
  // Every waiting request listens on this signal; hundreds at once is normal, not a leak.
  setMaxListeners(0, closing.signal);
  let requests = 0;
  let completionCounter = 0;
  const metrics = createVllmMetrics(model);

  function setBehaviour(patch: unknown): Behaviour {
    const next = mergeBehaviour(behaviour, patch);
    // A new seed restarts the random stream, so "seed N" always means the same sequence.
    if (next.seed !== behaviour.seed) random = mulberry32(next.seed);
    if (next.maxConcurrency !== behaviour.maxConcurrency) gate.setLimit(next.maxConcurrency);
    behaviour = next;
    return { ...behaviour };
  }

  /** Simulated time. Rejects when the server is closing, so nothing outlives close(). */
  function pause(ms: number): Promise<void> {
    // A zero latency must not become a timer tick (>= 1 ms), or "instant" backends are not.
    return ms > 0 ? sleep(ms, undefined, { signal: closing.signal }) : Promise.resolve();
  }

  /**
   * Validated request → draws taken in arrival order → wait for a GPU slot → simulated latency →
   * `respond`. A whole answer or a failure comes after the full latency; a stream opens after its
   * time to first token and `respond` paces the rest. The slot is held until `respond` finishes.
   */
  async function serve(
    res: ServerResponse,
    streamed: boolean,
    respond: (draws: RequestDraws, snapshot: Behaviour) => void | Promise<void>,
  ): Promise<void> {
    requests++;
    const snapshot = { ...behaviour };
    if (snapshot.fault !== 'none') return misbehave(res, streamed, snapshot.fault);
    const draws = drawRequest(random, snapshot);
    const release = await gate.acquire();
    try {
      const opensStream = streamed && draws.failureStatus === null;
      await pause(opensStream ? draws.latencyMs * snapshot.firstTokenShare : draws.latencyMs);
      if (res.destroyed) return;
      if (draws.failureStatus !== null) {
        if (draws.failureStatus === 503) res.setHeader('retry-after', '1');
        sendJson(res, draws.failureStatus, simulatedFailureBody(draws.failureStatus));
        return;
      }
      await respond(draws, snapshot);
    } catch (error) {
      if (!closing.signal.aborted) throw error;
    } finally {
      release();
    }
  }

  /** The broken server `behaviour.fault` asks for (bench:chaos injects these into a live candidate). */
  async function misbehave(
    res: ServerResponse,
    streamed: boolean,
    fault: Exclude<BackendFault, 'none'>,
  ): Promise<void> {
    if (fault === 'reset') {
      // A TCP reset, as a crashing server or a proxy in between would send.
      res.socket?.resetAndDestroy();
      return;
    }
    if (fault === 'hang') {
      // Holds the connection open without a byte until the client gives up or the server closes.
      await new Promise<void>((resolve) => {
        res.once('close', resolve);
        closing.signal.addEventListener('abort', () => resolve(), { once: true });
      });
      return;
    }
    if (streamed) {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      res.end('data: {"choices": [{"delta": {"content": \n\ndata: \u0000\u0007garbage\n\n');
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('<html><body>\u0000\u0007 upstream garbage {"choices": [</body>');
  }

  /**
   * Writes a server-sent event stream whose first token is due now: the events up to the first
   * content (the role event alone if the answer is empty), then the rest in at most
   * STREAM_BATCHES evenly spaced batches over `restMs`, so the stream ends when the drawn latency
   * is over. Deadlines count from the first token, so timer overshoot does not add up; a client
   * that went away ends the stream at the next batch.
   */
  async function streamEvents(res: ServerResponse, events: string[], restMs: number): Promise<void> {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    const head = Math.max(1, events.findIndex(carriesToken) + 1);
    res.write(events.slice(0, head).join(''));
    const rest = events.slice(head);
    const batches = Math.min(STREAM_BATCHES, rest.length);
    const start = performance.now();
    for (let i = 1; i <= batches; i++) {
      await pause(start + (i * restMs) / batches - performance.now());
      if (res.destroyed) return;
      res.write(
        rest.slice(Math.floor(((i - 1) * rest.length) / batches), Math.floor((i * rest.length) / batches)).join(''),
      );
    }
    res.end();
  }

  function checkModel(requested: string | undefined): void {
    if (requested !== undefined && requested !== model) {
      throw new HttpError(404, 'model_not_found', `simulated backend serves '${model}', not '${requested}'`);
    }
  }

  async function handleChat(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const request = parseChatRequest(await readJson(req));
    checkModel(request.model);
    const id = `chatcmpl-sim-${++completionCounter}`;
    const arrived = performance.now();
    await serve(res, request.stream, async (draws, snapshot) => {
      const answer = chatAnswer(request, draws, snapshot);
      const created = Math.floor(Date.now() / 1000);
      const served = (firstTokenMs: number | null) =>
        metrics.served({
          latencySeconds: (performance.now() - arrived) / 1000,
          firstTokenSeconds: firstTokenMs === null ? null : (firstTokenMs - arrived) / 1000,
          finishReason: answer.finishReason,
          promptTokens: answer.promptTokens,
          completionTokens: answer.completionTokens,
        });
      if (!request.stream) {
        sendJson(res, 200, chatCompletionBody(id, model, answer, created));
        return served(null);
      }
      const events = chatCompletionEvents(id, model, answer, created, request.includeUsage);
      const firstToken = performance.now();
      await streamEvents(res, events, draws.latencyMs * (1 - snapshot.firstTokenShare));
      if (!res.destroyed) served(firstToken);
    });
  }

  async function handleEmbeddings(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const request = parseEmbeddingsRequest(await readJson(req));
    checkModel(request.model);
    await serve(res, false, (_draws, snapshot) => {
      const vectors = request.inputs.map((text) => embedText(text, snapshot.seed));
      const tokens = request.inputs.reduce((sum, text) => sum + approxTokens(text), 0);
      sendJson(res, 200, embeddingsBody(model, vectors, tokens));
    });
  }

  async function dispatch(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? '/', 'http://simulator.invalid').pathname;
    const method = req.method ?? 'GET';
    const requestId = req.headers['x-request-id'];
    if (typeof requestId === 'string') res.setHeader('x-request-id', requestId);
    if (method === 'POST' && path === '/v1/chat/completions') return handleChat(req, res);
    if (method === 'POST' && path === '/v1/embeddings') return handleEmbeddings(req, res);
    if (method === 'GET' && path === '/v1/models') {
      return sendJson(res, 200, {
        object: 'list',
        data: [{ id: model, object: 'model', created: 0, owned_by: SIMULATOR_OWNER }],
      });
    }
    if (method === 'GET' && path === '/metrics') {
      const text = await metrics.registry.metrics();
      res.writeHead(200, { 'content-type': metrics.registry.contentType });
      return void res.end(text);
    }
    if (method === 'GET' && path === '/healthz')
      return sendJson(res, 200, { ok: true, simulator: true, model, inFlight: gate.inFlight, queued: gate.queued });
    if (path === '/admin/behaviour') {
      if (method === 'GET') return sendJson(res, 200, behaviour);
      if (method === 'PUT') return sendJson(res, 200, setBehaviour(await readJson(req)));
      res.setHeader('allow', 'GET, PUT');
      throw new HttpError(405, 'method_not_allowed', `${method} is not allowed on /admin/behaviour`);
    }
    throw new HttpError(404, 'not_found', `no endpoint ${method} ${path} on simulated backend`);
  }

  const server = createServer((req, res) => {
    void dispatch(req, res).catch((error: unknown) => {
      if (res.headersSent) return void res.destroy();
      if (error instanceof HttpError) return sendJson(res, error.status, errorBody(error.type, error.message));
      if (error instanceof FieldValidationError)
        return sendJson(res, 400, errorBody('invalid_request_error', error.message));
      sendJson(res, 500, errorBody('internal_error', error instanceof Error ? error.message : String(error)));
    });
  });
  const { port, origin } = await listenOn(server, host, options.port);
  const url = `${origin}/v1`;
  log(`SIMULATED backend '${model}' listening on ${url} (seed ${behaviour.seed})`);

  let closed: Promise<void> | null = null;
  return {
    url,
    port,
    model,
    close() {
      closed ??= new Promise<void>((resolve) => {
        closing.abort();
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closed;
    },
    setBehaviour: (patch) => setBehaviour(patch),
    behaviour: () => ({ ...behaviour }),
    stats: () => ({ requests, inFlight: gate.inFlight, queued: gate.queued }),
  };
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES)
      throw new HttpError(413, 'request_too_large', `request body exceeds ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new HttpError(400, 'invalid_request_error', 'body: must be valid JSON');
  }
}

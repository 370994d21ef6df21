// Open-loop load generator for the gateway: sends chat completions at a steady rate (not
// waiting for answers, like real users), bounded by a request count, a duration and/or an
// AbortSignal, and counts responses by backend (from `x-rollout-backend`) and status.
// It only talks to plain-HTTP loopback addresses: it exists to drive a local gateway and
// simulated backends, and must never put load on a real service by accident. node:http with a
// keep-alive agent keeps the client's own overhead small next to the system under test.
import { setMaxListeners } from 'node:events';
import { Agent, request } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { rankQuantileSorted } from '../lib/quantiles';
import { LOAD_JSON_INSTRUCTION, LOAD_PROMPTS, LOAD_SYSTEM_PROMPT } from './load-prompts';
import { hashString, mulberry32 } from '../lib/seeded-random';

export interface LoadOptions {
  /** Gateway root URL, e.g. http://127.0.0.1:8080 (a trailing /v1 is accepted). Loopback only. */
  gatewayUrl: string;
  /** Route names (public model names); each request picks one at random. */
  routes: string[];
  ratePerSecond: number;
  /** Stop scheduling after this long. At least one of durationMs/maxRequests is required. */
  durationMs?: number;
  maxRequests?: number;
  /** Distinct user keys (`x-user-id`); request i is sent as user (i mod users). */
  users: number;
  /** Share of requests asking for JSON output (response_format json_object), 0..1. */
  jsonShare: number;
  /**
   * Share of requests sent with `stream: true` (server-sent events, with usage), 0..1, default 0.
   * The stream is read to its end, so a request's latency is the whole answer's.
   */
  streamShare?: number;
  /** Aborting stops scheduling and cancels requests in flight. */
  signal?: AbortSignal;
  /** Seed for route, prompt, JSON and streaming choices (default 1). */
  seed?: number;
  /** Prefix of user keys (default 'user-'). */
  userPrefix?: string;
  /** Per-request timeout (default 30 s). */
  requestTimeoutMs?: number;
  /** Requests in flight at once; a request due while at the cap is skipped (default 512). */
  maxInFlight?: number;
  onResponse?: (response: LoadResponse) => void;
}

export interface LoadResponse {
  index: number;
  route: string;
  user: string;
  /** HTTP status, or 0 when no response arrived. */
  status: number;
  /** The `x-rollout-backend` header, or null. */
  backend: string | null;
  latencyMs: number;
}

export interface Tally {
  sent: number;
  byStatus: Record<string, number>;
  byBackend: Record<string, number>;
}

export interface LoadSummary extends Tally {
  /** Requests that got an HTTP response (any status). */
  completed: number;
  /** Requests that failed without a response (connection refused, timeout). */
  networkErrors: number;
  /** Requests cancelled by the AbortSignal. */
  cancelled: number;
  /** Requests not sent because maxInFlight was reached. */
  skipped: number;
  byRoute: Record<string, Tally>;
  latencyMs: { p50: number | null; p95: number | null; max: number | null };
  durationMs: number;
  aborted: boolean;
}

const LOOPBACK_HOSTS = new Set(['localhost', '[::1]', '::1']);

export function gatewayChatUrl(gatewayUrl: string): string {
  let url: URL;
  try {
    url = new URL(gatewayUrl);
  } catch {
    throw new Error(`gatewayUrl: '${gatewayUrl}' is not a URL`);
  }
  if (url.protocol !== 'http:') throw new Error(`gatewayUrl: must be an http:// URL, got '${url.protocol}'`);
  if (!LOOPBACK_HOSTS.has(url.hostname) && !/^127\.\d+\.\d+\.\d+$/.test(url.hostname)) {
    throw new Error(`gatewayUrl: the load generator only targets loopback addresses, got '${url.hostname}'`);
  }
  const root = url.href.replace(/\/+$/, '').replace(/\/v1$/, '');
  return `${root}/v1/chat/completions`;
}

function validate(options: LoadOptions): void {
  if (options.routes.length === 0) throw new Error('routes: at least one route is required');
  if (!(options.ratePerSecond > 0)) throw new Error(`ratePerSecond: must be > 0, got ${options.ratePerSecond}`);
  if (!Number.isInteger(options.users) || options.users < 1)
    throw new Error(`users: must be an integer >= 1, got ${options.users}`);
  if (!(options.jsonShare >= 0 && options.jsonShare <= 1))
    throw new Error(`jsonShare: must be in 0..1, got ${options.jsonShare}`);
  const { streamShare = 0 } = options;
  if (!(streamShare >= 0 && streamShare <= 1)) throw new Error(`streamShare: must be in 0..1, got ${streamShare}`);
  if (options.durationMs === undefined && options.maxRequests === undefined) {
    throw new Error('durationMs/maxRequests: at least one bound is required so the run stops by itself');
  }
  if (options.durationMs !== undefined && !(options.durationMs >= 0))
    throw new Error(`durationMs: must be >= 0, got ${options.durationMs}`);
  if (options.maxRequests !== undefined && !(Number.isInteger(options.maxRequests) && options.maxRequests >= 0)) {
    throw new Error(`maxRequests: must be an integer >= 0, got ${options.maxRequests}`);
  }
}

function emptyTally(): Tally {
  return { sent: 0, byStatus: {}, byBackend: {} };
}

function count(tally: Tally, status: string, backend: string | null): void {
  tally.byStatus[status] = (tally.byStatus[status] ?? 0) + 1;
  if (backend !== null) tally.byBackend[backend] = (tally.byBackend[backend] ?? 0) + 1;
}

export async function runLoad(options: LoadOptions): Promise<LoadSummary> {
  validate(options);
  const chatUrl = gatewayChatUrl(options.gatewayUrl);
  const seed = options.seed ?? 1;
  const next = mulberry32(seed);
  // Streaming is drawn from its own stream of the same seed, so adding it leaves the route, prompt
  // and JSON choices of every request as they were: the same requests, only some of them streamed.
  const nextStream = mulberry32(hashString('stream', seed));
  const streamShare = options.streamShare ?? 0;
  const userPrefix = options.userPrefix ?? 'user-';
  const timeoutMs = options.requestTimeoutMs ?? 30_000;
  const maxInFlight = options.maxInFlight ?? 512;
  const cancel = new AbortController();
  // One listener per request in flight (removed as each ends), so up to maxInFlight at once: not
  // the leak Node warns about past 10.
  setMaxListeners(maxInFlight + 1, cancel.signal);
  const onAbort = () => cancel.abort();
  options.signal?.addEventListener('abort', onAbort, { once: true });
  if (options.signal?.aborted) cancel.abort();

  const summary: LoadSummary = {
    ...emptyTally(),
    completed: 0,
    networkErrors: 0,
    cancelled: 0,
    skipped: 0,
    byRoute: Object.fromEntries(options.routes.map((r) => [r, emptyTally()])),
    latencyMs: { p50: null, p95: null, max: null },
    durationMs: 0,
    aborted: false,
  };
  const latencies: number[] = [];
  const agent = new Agent({ keepAlive: true });
  const inFlight = new Set<Promise<void>>();

  async function send(index: number, route: string, user: string, body: Record<string, unknown>): Promise<void> {
    const started = performance.now();
    const routeTally = summary.byRoute[route] as Tally;
    let status = 0;
    let backend: string | null = null;
    // One signal per request, its listener on the run's signal removed when the request ends:
    // AbortSignal.any kept one listener per request on the run's signal until a GC, thousands of
    // them under sustained load.
    const abort = new AbortController();
    const onCancel = () => abort.abort();
    cancel.signal.addEventListener('abort', onCancel, { once: true });
    const timer = setTimeout(() => abort.abort(), timeoutMs);
    try {
      const response = await post(chatUrl, user, JSON.stringify(body), agent, abort.signal);
      status = response.status;
      backend = response.backend;
      summary.completed++;
      latencies.push(performance.now() - started);
      count(summary, String(status), backend);
      count(routeTally, String(status), backend);
    } catch {
      if (cancel.signal.aborted) summary.cancelled++;
      else {
        summary.networkErrors++;
        count(summary, 'network_error', null);
        count(routeTally, 'network_error', null);
      }
    } finally {
      clearTimeout(timer);
      cancel.signal.removeEventListener('abort', onCancel);
    }
    options.onResponse?.({ index, route, user, status, backend, latencyMs: performance.now() - started });
  }

  const start = performance.now();
  for (let index = 0; ; index++) {
    if (cancel.signal.aborted) break;
    if (options.maxRequests !== undefined && index >= options.maxRequests) break;
    const dueAtMs = (index * 1000) / options.ratePerSecond;
    if (options.durationMs !== undefined && dueAtMs >= options.durationMs) break;
    const waitMs = dueAtMs - (performance.now() - start);
    if (waitMs >= 1) {
      await sleep(waitMs, undefined, { signal: cancel.signal }).catch(() => {});
      if (cancel.signal.aborted) break;
    }

    // Draw every choice for every index, sent or skipped, so request i is the same request in
    // every run with the same seed.
    const route = options.routes[Math.floor(next() * options.routes.length)] as string;
    const prompt = LOAD_PROMPTS[Math.floor(next() * LOAD_PROMPTS.length)] as string;
    const wantsJson = next() < options.jsonShare;
    const wantsStream = nextStream() < streamShare;
    const user = `${userPrefix}${index % options.users}`;
    if (inFlight.size >= maxInFlight) {
      summary.skipped++;
      continue;
    }
    const body: Record<string, unknown> = {
      model: route,
      messages: [
        { role: 'system', content: LOAD_SYSTEM_PROMPT },
        { role: 'user', content: wantsJson ? `${prompt}\n\n${LOAD_JSON_INSTRUCTION}` : prompt },
      ],
    };
    if (wantsJson) body.response_format = { type: 'json_object' };
    if (wantsStream) Object.assign(body, { stream: true, stream_options: { include_usage: true } });
    summary.sent++;
    (summary.byRoute[route] as Tally).sent++;
    const request = send(index, route, user, body).finally(() => inFlight.delete(request));
    inFlight.add(request);
  }
  await Promise.allSettled([...inFlight]);
  agent.destroy();
  options.signal?.removeEventListener('abort', onAbort);

  latencies.sort((a, b) => a - b);
  summary.latencyMs = {
    p50: round(latencies.length > 0 ? rankQuantileSorted(latencies, 0.5) : null),
    p95: round(latencies.length > 0 ? rankQuantileSorted(latencies, 0.95) : null),
    max: round(latencies.at(-1) ?? null),
  };
  summary.durationMs = Math.round(performance.now() - start);
  summary.aborted = options.signal?.aborted ?? false;
  return summary;
}

/**
 * POSTs one chat request and drains the answer, a JSON body or an event stream alike, so it
 * resolves when the whole answer has arrived; rejects on network errors and aborts.
 */
async function post(...request: Parameters<typeof postOnce>): ReturnType<typeof postOnce> {
  try {
    return await postOnce(...request);
  } catch (error) {
    // A kept-alive socket the server closed just as this request went out on it: nothing reached
    // the server, so the request is sent again once on a fresh one, as HTTP clients do (Node's
    // docs for reusedSocket; the OpenAI SDK retries connection errors). Any other failure counts.
    if (!(error instanceof StaleSocketError)) throw error;
    return postOnce(...request);
  }
}

class StaleSocketError extends Error {}

function postOnce(
  url: string,
  user: string,
  body: string,
  agent: Agent,
  signal: AbortSignal,
): Promise<{ status: number; backend: string | null }> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: 'POST',
        agent,
        signal,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'x-user-id': user },
      },
      (res) => {
        const backend = res.headers['x-rollout-backend'];
        res.on('error', reject);
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, backend: typeof backend === 'string' ? backend : null }),
        );
        res.resume();
      },
    );
    let answered = false;
    req.on('response', () => (answered = true));
    req.on('error', (error: NodeJS.ErrnoException) => {
      const stale = req.reusedSocket && !answered && (error.code === 'ECONNRESET' || error.code === 'EPIPE');
      reject(stale ? new StaleSocketError(error.message, { cause: error }) : error);
    });
    req.end(body);
  });
}

function round(value: number | null): number | null {
  return value === null ? null : Math.round(value * 10) / 10;
}

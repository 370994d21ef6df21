// One request to a backend, streamed: headers and body chunks are handed to a sink as they
// arrive (so `stream: true` answers pass straight through) while a bounded copy of the body is
// kept for inspection. Connection failures and timeouts become a 502 outcome, never a throw.
//
// node:http with a keep-alive agent rather than fetch: on this hot path it costs a fraction of
// undici's per-request overhead, and the gateway can destroy its pooled sockets on close.
import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import type { ClientRequest, IncomingMessage, OutgoingHttpHeaders, RequestOptions } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { urlToHttpOptions } from 'node:url';
import type { BackendSpec } from './admin-api';
import { FirstTokenWatch } from './first-token';

export type UpstreamPath = 'chat/completions' | 'embeddings';

/** Receives the upstream response as it arrives; used to relay it to the client. */
export interface ResponseSink {
  headers(status: number, headers: Record<string, string>): void;
  chunk(data: Buffer): void | Promise<void>;
}

export interface UpstreamOutcome {
  /** Upstream status, or 502 when the backend could not be reached or timed out. */
  status: number;
  contentType: string;
  /** The body as text (truncated at INSPECTION_LIMIT_BYTES); empty on failure. */
  bodyText: string;
  latencyMs: number;
  /** Streamed answers: ms until the first event with generated output; null otherwise or on failure. */
  firstTokenMs: number | null;
  /** Set when the exchange failed before or while receiving the body. */
  failure: string | null;
  /** True when headers had already been relayed before a failure (the client gets a cut body). */
  failedAfterHeaders: boolean;
}

export interface ExchangeOptions {
  backend: BackendSpec;
  path: UpstreamPath;
  body: Record<string, unknown>;
  requestId: string;
  timeoutMs: number;
  /** Aborts the exchange (the gateway closing). Shared by many exchanges: listened to once, not per request. */
  signal: AbortSignal;
  /**
   * Called once, at the start, with a function that aborts this exchange (the data plane calls it
   * when the client hangs up). A callback rather than a second AbortSignal: combining signals per
   * request (AbortSignal.any) was a tenth of the gateway's CPU under load.
   */
  onAbortable?: (abort: () => void) => void;
  sink?: ResponseSink;
  extraHeaders?: Record<string, string>;
}

/** Enough for any realistic completion; beyond it inspection sees a prefix only. */
export const INSPECTION_LIMIT_BYTES = 4 * 1024 * 1024;

/** Response headers worth relaying; hop-by-hop and length headers are the gateway's own. */
const RELAYED_HEADERS = ['content-type', 'retry-after', 'cache-control'];

export function upstreamUrl(backend: Pick<BackendSpec, 'baseUrl'>, path: UpstreamPath): string {
  return `${backend.baseUrl.replace(/\/+$/, '')}/${path}`;
}

/** Where one backend's endpoint is, parsed once (URL parsing per request showed in profiles). */
interface Target {
  request: typeof httpRequest;
  agent: HttpAgent;
  options: RequestOptions;
}

/** Distinct backend endpoints remembered; beyond it the cache starts over (routes rarely change). */
const MAX_TARGETS = 1_000;

export class UpstreamClient {
  private readonly httpAgent = new HttpAgent({ keepAlive: true });
  private readonly httpsAgent = new HttpsAgent({ keepAlive: true });
  private readonly targets = new Map<string, Target>();
  /** In-flight exchanges per abort signal, so each signal gets one 'abort' listener, not one per request. */
  private readonly aborters = new WeakMap<AbortSignal, Set<() => void>>();

  exchange(options: ExchangeOptions): Promise<UpstreamOutcome> {
    const { backend, sink, signal, timeoutMs } = options;
    const started = performance.now();
    const target = this.target(backend, options.path);
    const payload = JSON.stringify(options.body);
    const headers: OutgoingHttpHeaders = {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(payload),
      accept: 'application/json, text/event-stream',
      'x-request-id': options.requestId,
      ...options.extraHeaders,
    };
    if (backend.apiKey) headers.authorization = `Bearer ${backend.apiKey}`;

    if (signal.aborted) return Promise.resolve(failedOutcome('request aborted', '', started, false));
    return new Promise<UpstreamOutcome>((resolve) => {
      let settled = false;
      let headersRelayed = false;
      let contentType = '';
      let current: ClientRequest | null = null;
      const timer = setTimeout(() => abort(`no complete response within ${timeoutMs} ms`), timeoutMs);
      const aborters = this.abortersFor(signal);

      const finish = (outcome: UpstreamOutcome) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        aborters.delete(abortOnSignal);
        resolve(outcome);
      };
      const fail = (failure: string) => finish(failedOutcome(failure, contentType, started, headersRelayed));
      const abort = (failure: string) => {
        if (settled) return;
        // Settle first, so the errors the destroyed request emits find the exchange already over.
        fail(failure);
        current?.destroy();
      };
      const abortOnSignal = () => abort('request aborted');
      aborters.add(abortOnSignal);
      options.onAbortable?.(abortOnSignal);

      const onResponse = (response: IncomingMessage) => {
        const status = response.statusCode ?? 502;
        contentType = headerText(response.headers['content-type']);
        const relayed: Record<string, string> = {};
        for (const name of RELAYED_HEADERS) {
          const value = headerText(response.headers[name]);
          if (value !== '') relayed[name] = value;
        }
        sink?.headers(status, relayed);
        headersRelayed = true;

        const kept: Buffer[] = [];
        let keptBytes = 0;
        const firstToken = contentType.includes('text/event-stream') ? new FirstTokenWatch() : null;
        let firstTokenMs: number | null = null;
        response.on('data', (chunk: Buffer) => {
          if (settled) return;
          if (firstToken?.feed(chunk)) firstTokenMs = performance.now() - started;
          if (keptBytes < INSPECTION_LIMIT_BYTES) {
            kept.push(chunk);
            keptBytes += chunk.length;
          }
          // Respect the client's backpressure: no more upstream data until the sink has taken this chunk.
          const accepted = sink?.chunk(chunk);
          if (accepted) {
            response.pause();
            void accepted.then(() => response.resume());
          }
        });
        response.on('end', () => {
          const bodyText = kept.length === 1 ? kept[0]!.toString('utf8') : Buffer.concat(kept).toString('utf8');
          finish({ status, contentType, bodyText, latencyMs: performance.now() - started, firstTokenMs, failure: null, failedAfterHeaders: false });
        });
        response.on('error', (error) => fail(describe(error)));
        // A connection cut mid-body ends the response without 'end'.
        response.on('close', () => {
          if (!response.complete) fail('aborted');
        });
      };

      const send = (mayResend: boolean) => {
        const req = target.request({ ...target.options, method: 'POST', headers, agent: target.agent }, onResponse);
        current = req;
        req.on('error', (error) => {
          if (settled || current !== req) return;
          // A pooled keep-alive socket can be closed by the backend's idle timeout just as it is
          // reused (uvicorn and Node servers close idle sockets after ~5 s). The backend never saw
          // that request, so it is sent once more on a new connection, as Node's docs advise.
          if (mayResend && !headersRelayed && req.reusedSocket && isConnectionReset(error)) {
            send(false);
            return;
          }
          fail(describe(error));
        });
        req.end(payload);
      };
      send(true);
    });
  }

  /** Drops pooled keep-alive sockets so the process can exit promptly. */
  close(): void {
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }

  private target(backend: Pick<BackendSpec, 'baseUrl'>, path: UpstreamPath): Target {
    const key = `${backend.baseUrl}\n${path}`;
    let target = this.targets.get(key);
    if (!target) {
      const url = new URL(upstreamUrl(backend, path));
      const https = url.protocol === 'https:';
      target = { request: https ? httpsRequest : httpRequest, agent: https ? this.httpsAgent : this.httpAgent, options: urlToHttpOptions(url) };
      if (this.targets.size >= MAX_TARGETS) this.targets.clear();
      this.targets.set(key, target);
    }
    return target;
  }

  private abortersFor(signal: AbortSignal): Set<() => void> {
    let set = this.aborters.get(signal);
    if (!set) {
      const created = new Set<() => void>();
      signal.addEventListener('abort', () => {
        for (const abort of [...created]) abort();
      }, { once: true });
      this.aborters.set(signal, created);
      set = created;
    }
    return set;
  }
}

function failedOutcome(failure: string, contentType: string, started: number, failedAfterHeaders: boolean): UpstreamOutcome {
  return { status: 502, contentType, bodyText: '', latencyMs: performance.now() - started, firstTokenMs: null, failure, failedAfterHeaders };
}

/** Latencies are recorded and shown to a tenth of a millisecond. */
export const tenthOfMs = (ms: number): number => Math.round(ms * 10) / 10;

function isConnectionReset(error: unknown): boolean {
  const { code } = error as { code?: unknown };
  return code === 'ECONNRESET' || code === 'EPIPE';
}

function headerText(value: string | string[] | undefined): string {
  return Array.isArray(value) ? value.join(', ') : (value ?? '');
}

function describe(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return typeof code === 'string' && !error.message.includes(code) ? `${code}: ${error.message}` : error.message;
  }
  return String(error);
}

// One request to a backend, streamed: headers and body chunks are handed to a sink as they
// arrive (so `stream: true` answers pass straight through) while a bounded copy of the body is
// kept for inspection. Connection failures and timeouts become a 502 outcome, never a throw.
//
// node:http with a keep-alive agent rather than fetch: on this hot path it costs a fraction of
// undici's per-request overhead, and the gateway can destroy its pooled sockets on close.
import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import type { IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
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
  /** Aborts the exchange (client went away, gateway closing). */
  signal: AbortSignal;
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

class UpstreamTimeout extends Error {}

export class UpstreamClient {
  private readonly httpAgent = new HttpAgent({ keepAlive: true });
  private readonly httpsAgent = new HttpsAgent({ keepAlive: true });

  async exchange(options: ExchangeOptions): Promise<UpstreamOutcome> {
    const { backend, sink } = options;
    const started = performance.now();
    const url = new URL(upstreamUrl(backend, options.path));
    const payload = Buffer.from(JSON.stringify(options.body));
    const headers: Record<string, string | number> = {
      'content-type': 'application/json',
      'content-length': payload.length,
      accept: 'application/json, text/event-stream',
      'x-request-id': options.requestId,
      ...options.extraHeaders,
    };
    if (backend.apiKey) headers.authorization = `Bearer ${backend.apiKey}`;

    const timeout = new AbortController();
    const timer = setTimeout(() => timeout.abort(new UpstreamTimeout()), options.timeoutMs);
    const signal = AbortSignal.any([options.signal, timeout.signal]);
    let headersRelayed = false;
    let contentType = '';
    try {
      const send = () =>
        new Promise<IncomingMessage>((resolve, reject) => {
          const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
          const req = request(url, { method: 'POST', headers, agent: url.protocol === 'https:' ? this.httpsAgent : this.httpAgent, signal }, resolve);
          req.on('error', (error) => reject(Object.assign(error, { reusedSocket: req.reusedSocket })));
          req.end(payload);
        });
      // A pooled keep-alive socket can be closed by the backend's idle timeout just as it is
      // reused (uvicorn and Node servers close idle sockets after ~5 s). The backend never saw
      // that request, so it is sent once more on a new connection, as Node's docs advise.
      const response = await send().catch((error: unknown) => {
        if (isStaleSocketReset(error) && !signal.aborted) return send();
        throw error;
      });
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
      for await (const chunk of response as AsyncIterable<Buffer>) {
        if (firstToken?.feed(chunk)) firstTokenMs = performance.now() - started;
        await sink?.chunk(chunk);
        if (keptBytes < INSPECTION_LIMIT_BYTES) {
          kept.push(chunk);
          keptBytes += chunk.length;
        }
      }
      return { status, contentType, bodyText: Buffer.concat(kept).toString('utf8'), latencyMs: performance.now() - started, firstTokenMs, failure: null, failedAfterHeaders: false };
    } catch (error) {
      const failure = timeout.signal.aborted ? `no complete response within ${options.timeoutMs} ms` : options.signal.aborted ? 'request aborted' : describe(error);
      return { status: 502, contentType, bodyText: '', latencyMs: performance.now() - started, firstTokenMs: null, failure, failedAfterHeaders: headersRelayed };
    } finally {
      clearTimeout(timer);
    }
  }

  /** Drops pooled keep-alive sockets so the process can exit promptly. */
  close(): void {
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }
}

/** Latencies are recorded and shown to a tenth of a millisecond. */
export const tenthOfMs = (ms: number): number => Math.round(ms * 10) / 10;

function isStaleSocketReset(error: unknown): boolean {
  const { code, reusedSocket } = error as { code?: unknown; reusedSocket?: unknown };
  return reusedSocket === true && (code === 'ECONNRESET' || code === 'EPIPE');
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

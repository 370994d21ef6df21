// One request to a backend, streamed: headers and body chunks are handed to a sink as they
// arrive (so `stream: true` answers pass straight through) while a bounded copy of the body is
// kept for inspection. Connection failures and timeouts become a 502 outcome, never a throw.
//
// undici's dispatcher (keep-alive pools per backend origin) with a plain callback handler: no
// fetch() Response/stream objects per request. Under wrk it served about a third more requests
// per second than node:http with a keep-alive agent (bench/gateway.ts); close() destroys the pools.
import { Agent, type Dispatcher } from 'undici';
import type { BackendSpec } from './admin-api';
import { FirstTokenWatch } from './first-token';

export type UpstreamPath = 'chat/completions' | 'embeddings';

/** Receives the upstream response as it arrives; used to relay it to the client. */
export interface ResponseSink {
  headers(status: number, headers: Record<string, string>): void;
  chunk(data: Buffer): void | Promise<void>;
  /**
   * The whole body has been handed over; called before the exchange settles, while the last
   * chunk's write is still corked, so the end of the response leaves in the same write.
   */
  end?(): void;
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
  origin: string;
  path: string;
}

/** Distinct backend endpoints remembered; beyond it the cache starts over (routes rarely change). */
const MAX_TARGETS = 1_000;

export class UpstreamClient {
  // No idle/headers timeouts of undici's own: the whole exchange has one deadline (timeoutMs), and
  // a streamed answer may pause for longer than undici's 300 s defaults allow.
  private readonly dispatcher = new Agent({ headersTimeout: 0, bodyTimeout: 0 });
  private readonly targets = new Map<string, Target>();
  /** In-flight exchanges per abort signal, so each signal gets one 'abort' listener, not one per request. */
  private readonly aborters = new WeakMap<AbortSignal, Set<() => void>>();

  exchange(options: ExchangeOptions): Promise<UpstreamOutcome> {
    const { backend, sink, signal, timeoutMs } = options;
    const started = performance.now();
    const target = this.target(backend, options.path);
    const payload = JSON.stringify(options.body);
    const headers: Record<string, string> = {
      'content-type': 'application/json',
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
      let controller: Dispatcher.DispatchController | null = null;
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
        // Settle first, so the error the aborted request reports finds the exchange already over.
        fail(failure);
        controller?.abort(new Error(failure));
      };
      const abortOnSignal = () => abort('request aborted');
      aborters.add(abortOnSignal);
      options.onAbortable?.(abortOnSignal);

      const send = (mayResend: boolean) => {
        const kept: Buffer[] = [];
        let keptBytes = 0;
        let status = 502;
        let firstToken: FirstTokenWatch | null = null;
        let firstTokenMs: number | null = null;
        const handler: Dispatcher.DispatchHandler = {
          onRequestStart(c) {
            controller = c;
            if (settled) c.abort(new Error('request aborted'));
          },
          onResponseStart(_c, statusCode, responseHeaders) {
            status = statusCode;
            contentType = headerText(responseHeaders['content-type']);
            const relayed: Record<string, string> = {};
            for (const name of RELAYED_HEADERS) {
              const value = headerText(responseHeaders[name]);
              if (value !== '') relayed[name] = value;
            }
            sink?.headers(status, relayed);
            headersRelayed = true;
            firstToken = contentType.includes('text/event-stream') ? new FirstTokenWatch() : null;
          },
          onResponseData(c, chunk) {
            if (settled) return;
            if (firstToken?.feed(chunk)) firstTokenMs = performance.now() - started;
            if (keptBytes < INSPECTION_LIMIT_BYTES) {
              kept.push(chunk);
              keptBytes += chunk.length;
            }
            const accepted = sink?.chunk(chunk);
            if (accepted) {
              c.pause();
              void accepted.then(() => c.resume());
            }
          },
          onResponseEnd() {
            sink?.end?.();
            const bodyText = kept.length === 1 ? kept[0]!.toString('utf8') : Buffer.concat(kept).toString('utf8');
            finish({ status, contentType, bodyText, latencyMs: performance.now() - started, firstTokenMs, failure: null, failedAfterHeaders: false });
          },
          onResponseError(_c, error) {
            if (settled) return;
            // A pooled keep-alive connection can be closed by the backend's idle timeout just as it
            // is reused (uvicorn and Node servers close idle sockets after ~5 s). The backend never
            // answered that request, so it is sent once more (on another connection).
            if (mayResend && !headersRelayed && closedAfterEarlierResponses(error)) {
              send(false);
              return;
            }
            fail(describe(error));
          },
        };
        this.dispatcher.dispatch({ origin: target.origin, path: target.path, method: 'POST', headers, body: payload }, handler);
      };
      send(true);
    });
  }

  /** Drops pooled keep-alive sockets so the process can exit promptly. */
  close(): void {
    void this.dispatcher.destroy();
  }

  private target(backend: Pick<BackendSpec, 'baseUrl'>, path: UpstreamPath): Target {
    const key = `${backend.baseUrl}\n${path}`;
    let target = this.targets.get(key);
    if (!target) {
      const url = new URL(upstreamUrl(backend, path));
      target = { origin: url.origin, path: `${url.pathname}${url.search}` };
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

/**
 * The connection closed before this request's response began, and it had carried earlier
 * responses (bytes read before this request): a reused keep-alive connection, not a backend
 * that refuses or drops new connections (those are not resent).
 */
function closedAfterEarlierResponses(error: unknown): boolean {
  const { code, socket } = error as { code?: unknown; socket?: { bytesRead?: unknown } };
  return (code === 'UND_ERR_SOCKET' || code === 'ECONNRESET' || code === 'EPIPE') && typeof socket?.bytesRead === 'number' && socket.bytesRead > 0;
}

function failedOutcome(failure: string, contentType: string, started: number, failedAfterHeaders: boolean): UpstreamOutcome {
  return { status: 502, contentType, bodyText: '', latencyMs: performance.now() - started, firstTokenMs: null, failure, failedAfterHeaders };
}

/** Latencies are recorded and shown to a tenth of a millisecond. */
export const tenthOfMs = (ms: number): number => Math.round(ms * 10) / 10;


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

// One request to a backend, streamed: headers and body chunks are handed to a sink as they
// arrive (so `stream: true` answers pass straight through) while a bounded copy of the body is
// kept for inspection. Connection failures and timeouts become a 502 outcome, never a throw.
//
// undici's dispatcher (keep-alive pools per backend origin) with a plain callback handler: no
// fetch() Response/stream objects per request. Under wrk it served about a third more requests
// per second than node:http with a keep-alive agent (bench/gateway.ts); close() destroys the pools.
import type { IncomingHttpHeaders } from 'node:http';
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
  /** The JSON text sent (forwarded-body.ts: the client's body with the backend's model). */
  body: string;
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
  private readonly aborters = new WeakMap<AbortSignal, Set<UpstreamCall>>();

  exchange(options: ExchangeOptions): Promise<UpstreamOutcome> {
    const started = performance.now();
    const target = this.target(options.backend, options.path);
    if (options.signal.aborted) return Promise.resolve(failedOutcome('request aborted', '', started, false));
    return new Promise<UpstreamOutcome>((resolve) => {
      const call = new UpstreamCall(
        this.dispatcher,
        target,
        options,
        started,
        this.abortersFor(options.signal),
        resolve,
      );
      options.onAbortable?.(() => call.abort('request aborted'));
      call.send(true);
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

  private abortersFor(signal: AbortSignal): Set<UpstreamCall> {
    let set = this.aborters.get(signal);
    if (!set) {
      const created = new Set<UpstreamCall>();
      signal.addEventListener(
        'abort',
        () => {
          for (const call of [...created]) call.abort('request aborted');
        },
        { once: true },
      );
      this.aborters.set(signal, created);
      set = created;
    }
    return set;
  }
}

/**
 * One exchange in flight, and its own undici dispatch handler: one object per request with its
 * methods on the prototype, rather than a dozen closures (each also named at run time by the
 * TypeScript loader) built for every request.
 */
class UpstreamCall implements Dispatcher.DispatchHandler {
  private settled = false;
  private headersRelayed = false;
  private contentType = '';
  private controller: Dispatcher.DispatchController | null = null;
  private readonly timer: NodeJS.Timeout;
  private readonly sink: ResponseSink | undefined;
  private readonly payload: string;
  private readonly headers: Record<string, string>;
  // Per attempt (a resend starts them over).
  private mayResend = true;
  private kept: Buffer[] = [];
  private keptBytes = 0;
  private status = 502;
  private firstToken: FirstTokenWatch | null = null;
  private firstTokenMs: number | null = null;
  constructor(
    private readonly dispatcher: Dispatcher,
    private readonly target: Target,
    options: ExchangeOptions,
    private readonly started: number,
    private readonly aborters: Set<UpstreamCall>,
    private readonly resolve: (outcome: UpstreamOutcome) => void,
  ) {
    this.sink = options.sink;
    this.payload = options.body;
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      'x-request-id': options.requestId,
    };
    if (options.extraHeaders) Object.assign(headers, options.extraHeaders);
    if (options.backend.apiKey) headers.authorization = `Bearer ${options.backend.apiKey}`;
    this.headers = headers;
    this.timer = setTimeout(timedOut, options.timeoutMs, this, options.timeoutMs);
    aborters.add(this);
  }

  send(mayResend: boolean): void {
    this.mayResend = mayResend;
    this.kept = [];
    this.keptBytes = 0;
    this.status = 502;
    this.firstToken = null;
    this.firstTokenMs = null;
    this.dispatcher.dispatch(
      { origin: this.target.origin, path: this.target.path, method: 'POST', headers: this.headers, body: this.payload },
      this,
    );
  }

  abort(failure: string): void {
    if (this.settled) return;
    // Settle first, so the error the aborted request reports finds the exchange already over.
    this.fail(failure);
    this.controller?.abort(new Error(failure));
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    if (this.settled) controller.abort(new Error('request aborted'));
  }

  onResponseStart(
    _controller: Dispatcher.DispatchController,
    statusCode: number,
    responseHeaders: IncomingHttpHeaders,
  ): void {
    this.status = statusCode;
    const contentType = headerText(responseHeaders['content-type']);
    this.contentType = contentType;
    const relayed: Record<string, string> = {};
    for (const name of RELAYED_HEADERS) {
      const value = headerText(responseHeaders[name]);
      if (value !== '') relayed[name] = value;
    }
    this.sink?.headers(statusCode, relayed);
    this.headersRelayed = true;
    this.firstToken = contentType.includes('text/event-stream') ? new FirstTokenWatch() : null;
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.settled) return;
    if (this.firstToken?.feed(chunk)) this.firstTokenMs = performance.now() - this.started;
    if (this.keptBytes < INSPECTION_LIMIT_BYTES) {
      this.kept.push(chunk);
      this.keptBytes += chunk.length;
    }
    const accepted = this.sink?.chunk(chunk);
    if (accepted) {
      controller.pause();
      void accepted.then(() => controller.resume());
    }
  }

  onResponseEnd(): void {
    this.sink?.end?.();
    const { kept } = this;
    const bodyText = kept.length === 1 ? kept[0]!.toString('utf8') : Buffer.concat(kept).toString('utf8');
    this.finish({
      status: this.status,
      contentType: this.contentType,
      bodyText,
      latencyMs: performance.now() - this.started,
      firstTokenMs: this.firstTokenMs,
      failure: null,
      failedAfterHeaders: false,
    });
  }

  onResponseError(_controller: Dispatcher.DispatchController, error: Error): void {
    if (this.settled) return;
    // A pooled keep-alive connection can be closed by the backend's idle timeout just as it
    // is reused (uvicorn and Node servers close idle sockets after ~5 s). The backend never
    // answered that request, so it is sent once more (on another connection).
    if (this.mayResend && !this.headersRelayed && closedAfterEarlierResponses(error)) {
      this.send(false);
      return;
    }
    this.fail(describe(error));
  }

  private fail(failure: string): void {
    this.finish(failedOutcome(failure, this.contentType, this.started, this.headersRelayed));
  }

  private finish(outcome: UpstreamOutcome): void {
    if (this.settled) return;
    this.settled = true;
    clearTimeout(this.timer);
    this.aborters.delete(this);
    this.resolve(outcome);
  }
}

function timedOut(call: UpstreamCall, timeoutMs: number): void {
  call.abort(`no complete response within ${timeoutMs} ms`);
}

/**
 * The connection closed before this request's response began, and it had carried earlier
 * responses (bytes read before this request): a reused keep-alive connection, not a backend
 * that refuses or drops new connections (those are not resent).
 */
function closedAfterEarlierResponses(error: unknown): boolean {
  const { code, socket } = error as { code?: unknown; socket?: { bytesRead?: unknown } };
  return (
    (code === 'UND_ERR_SOCKET' || code === 'ECONNRESET' || code === 'EPIPE') &&
    typeof socket?.bytesRead === 'number' &&
    socket.bytesRead > 0
  );
}

function failedOutcome(
  failure: string,
  contentType: string,
  started: number,
  failedAfterHeaders: boolean,
): UpstreamOutcome {
  return {
    status: 502,
    contentType,
    bodyText: '',
    latencyMs: performance.now() - started,
    firstTokenMs: null,
    failure,
    failedAfterHeaders,
  };
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

// The one client of the admin API (admin-api.ts): the traffic activities, the judge's readers,
// the demo, the bench and the tests all talk to the admin plane through it. Two kinds of error:
// GatewayUnreachableError (network, timeout, 5xx: may pass, retry) and GatewayRefusedError (4xx:
// the request is wrong and will stay wrong). The token goes only into the Authorization header;
// no message or error carries it.
import type {
  AnswerSamplesPage,
  CapturesPage,
  FeedbackPage,
  GatewayInfo,
  RecordsPage,
  RolloutMarker,
  RouteDefinition,
  RouteState,
  SetCaptureRequest,
  SetShadowRequest,
  SetWeightsRequest,
  ShadowPairsPage,
} from './admin-api';

export const DEFAULT_ADMIN_TIMEOUT_MS = 5_000;

/** The admin plane did not answer, timed out or failed (5xx): transient. */
export class GatewayUnreachableError extends Error {
  constructor(
    message: string,
    /** The HTTP status for a 5xx; null when there was no answer. */
    readonly status: number | null,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'GatewayUnreachableError';
  }
}

/** The admin plane refused the request (4xx). */
export class GatewayRefusedError extends Error {
  constructor(
    message: string,
    readonly status: number,
    /** The body's error.type (e.g. 'route_not_found', 'invalid_request', 'conflict', 'unauthorized'). */
    readonly type: string,
    /** The body's error.message, or the start of the body. */
    readonly detail: string,
  ) {
    super(message);
    this.name = 'GatewayRefusedError';
  }
}

export interface GatewayAdminClientOptions {
  /** http(s) root of the admin plane, e.g. http://127.0.0.1:8480 (not a `unix:` socket address). */
  adminUrl: string;
  token: string;
  /** Per request (default 5 s). */
  timeoutMs?: number;
}

export interface PageQuery {
  /** The last seq seen (0 from the start). */
  since: number;
  /** The epoch `since` belongs to; another process's epoch makes the gateway start from its first entry. */
  epoch?: string;
  limit?: number;
}

export class GatewayAdminClient {
  readonly adminUrl: string;
  private readonly token: string;
  private readonly timeoutMs: number;

  constructor(options: GatewayAdminClientOptions) {
    if (!/^https?:\/\//i.test(options.adminUrl)) {
      throw new Error(
        `gateway admin URL must be http(s)://host:port, got ${JSON.stringify(options.adminUrl)} (a unix socket admin plane is reached with curl --unix-socket)`,
      );
    }
    this.adminUrl = options.adminUrl.replace(/\/+$/, '');
    this.token = options.token;
    this.timeoutMs = options.timeoutMs ?? DEFAULT_ADMIN_TIMEOUT_MS;
  }

  /** The route, or null when the gateway does not define it. */
  async getRoute(route: string): Promise<RouteState | null> {
    try {
      return await this.call<RouteState>('GET', routePath(route));
    } catch (error) {
      if (error instanceof GatewayRefusedError && error.status === 404 && error.type === 'route_not_found') return null;
      throw error;
    }
  }

  async listRoutes(): Promise<RouteState[]> {
    return (await this.call<{ routes: RouteState[] }>('GET', '/admin/routes')).routes;
  }

  defineRoute(route: string, definition: RouteDefinition): Promise<RouteState> {
    return this.call<RouteState>('PUT', routePath(route), definition);
  }

  /** The route's weights and, when `request.cohort` is given, its cohort in the same change (null clears it). */
  setWeights(route: string, request: SetWeightsRequest): Promise<RouteState> {
    return this.call<RouteState>('PUT', routePath(route, '/weights'), request);
  }

  setShadow(route: string, request: SetShadowRequest): Promise<RouteState> {
    return this.call<RouteState>('PUT', routePath(route, '/shadow'), request);
  }

  /** Turns the route's capture on (the setting replaced whole) or off. */
  setCapture(route: string, request: SetCaptureRequest): Promise<RouteState> {
    return this.call<RouteState>('PUT', routePath(route, '/capture'), request);
  }

  markRollout(route: string, marker: RolloutMarker): Promise<RouteState> {
    return this.call<RouteState>('PUT', routePath(route, '/rollout'), marker);
  }

  async deleteRoute(route: string): Promise<void> {
    await this.call<null>('DELETE', routePath(route));
  }

  records(route: string, query: PageQuery): Promise<RecordsPage> {
    return this.call<RecordsPage>('GET', routePath(route, '/records') + pageQuery(query));
  }

  shadowPairs(route: string, query: PageQuery): Promise<ShadowPairsPage> {
    return this.call<ShadowPairsPage>('GET', routePath(route, '/shadow-pairs') + pageQuery(query));
  }

  answerSamples(route: string, query: PageQuery): Promise<AnswerSamplesPage> {
    return this.call<AnswerSamplesPage>('GET', routePath(route, '/answer-samples') + pageQuery(query));
  }

  /** Live chat requests the route captured, redacted, oldest first. */
  captures(route: string, query: PageQuery): Promise<CapturesPage> {
    return this.call<CapturesPage>('GET', routePath(route, '/captures') + pageQuery(query));
  }

  /** User feedback recorded for the route (POST /v1/feedback), each event attributed to a backend, oldest first. */
  feedback(route: string, query: PageQuery): Promise<FeedbackPage> {
    return this.call<FeedbackPage>('GET', routePath(route, '/feedback') + pageQuery(query));
  }

  info(): Promise<GatewayInfo> {
    return this.call<GatewayInfo>('GET', '/admin/info');
  }

  private async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const url = `${this.adminUrl}${path}`;
    const headers: Record<string, string> = { authorization: `Bearer ${this.token}` };
    if (body !== undefined) headers['content-type'] = 'application/json';
    let response: Response | undefined;
    let text = '';
    const deadline = AbortSignal.timeout(this.timeoutMs);
    // Every admin call is idempotent, so one that failed before any answer is sent once more: a
    // pooled keep-alive connection to a gateway that has since restarted fails exactly so.
    for (let attempt = 1; response === undefined; attempt++) {
      try {
        const answer = await fetch(url, {
          method,
          headers,
          body: body === undefined ? undefined : JSON.stringify(body),
          signal: deadline,
        });
        text = await answer.text();
        response = answer;
      } catch (error) {
        if (attempt < 2 && !deadline.aborted) continue;
        throw new GatewayUnreachableError(
          `gateway admin API unreachable at ${url}: ${(error as Error).message}`,
          null,
          { cause: error },
        );
      }
    }
    if (response.ok) return (text === '' ? null : JSON.parse(text)) as T;
    const what = `${method} ${path} → ${response.status}: ${text.slice(0, 500)}`;
    if (response.status >= 400 && response.status < 500) {
      const { type, message } = errorBody(text);
      throw new GatewayRefusedError(`gateway refused ${what}`, response.status, type, message);
    }
    throw new GatewayUnreachableError(`gateway error ${what}`, response.status);
  }
}

function routePath(route: string, suffix = ''): string {
  return `/admin/routes/${encodeURIComponent(route)}${suffix}`;
}

function pageQuery(query: PageQuery): string {
  const params = new URLSearchParams({ since: String(query.since) });
  if (query.epoch) params.set('epoch', query.epoch);
  if (query.limit !== undefined) params.set('limit', String(query.limit));
  return `?${params.toString()}`;
}

function errorBody(text: string): { type: string; message: string } {
  try {
    const parsed = JSON.parse(text) as { error?: { type?: unknown; message?: unknown } };
    const type = typeof parsed.error?.type === 'string' ? parsed.error.type : 'unknown';
    const message = typeof parsed.error?.message === 'string' ? parsed.error.message : text.slice(0, 500);
    return { type, message };
  } catch {
    return { type: 'unknown', message: text.slice(0, 500) };
  }
}

// The admin plane (admin-api.ts), on its own listener: /healthz and /metrics without credentials
// (the listener is loopback or a unix socket by default, so Prometheus scrapes it), everything
// under /admin behind the bearer token. Every mutation goes through RouteTable, which validates
// fully before changing anything, so a rejected request leaves the state untouched; a change is
// answered only once it is in the state file (when there is one).
import type { IncomingMessage, ServerResponse } from 'node:http';
import type {
  AnswerSamplesPage,
  CapturesPage,
  FeedbackPage,
  GatewayInfo,
  ProcessesInfo,
  RecordsPage,
  ShadowPairsPage,
} from './admin-api';
import type { AdminAuth } from './admin-auth';
import { InvalidRequestError, RouteNotFoundError, StateNotSavedError } from './errors';
import { readJsonObject, requestUrl, sendError, sendJson } from './http-io';
import type { GatewayMetrics } from './metrics';
import type { RouteTable } from './route-table';
import type { TrafficLog } from './traffic-log';

export const DEFAULT_PAGE_LIMIT = 1_000;
export const MAX_PAGE_LIMIT = 10_000;
const EPOCH_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;

export interface AdminDeps {
  table: RouteTable;
  log: TrafficLog;
  metrics: GatewayMetrics;
  auth: AdminAuth;
  maxBodyBytes: number;
  startedAt: string;
  /**
   * Resolves once every change so far is durable (the state file written) and in force on every
   * process serving the data plane; rejects if it is not saved.
   */
  durable: () => Promise<void>;
  processes: () => ProcessesInfo;
}

export async function handleAdminPlane(req: IncomingMessage, res: ServerResponse, deps: AdminDeps): Promise<void> {
  const url = requestUrl(req);
  const method = req.method ?? 'GET';
  if (method === 'GET' && url.pathname === '/healthz') {
    sendJson(res, 200, { ok: true });
    return;
  }
  if (method === 'GET' && url.pathname === '/metrics') {
    const { contentType, body } = await deps.metrics.render();
    res.writeHead(200, { 'content-type': contentType }).end(body);
    return;
  }
  // Split before decoding so a route name containing an encoded '/' stays one segment.
  const segments = url.pathname.split('/').filter((s) => s !== '');
  if (segments[0] !== 'admin') {
    sendError(res, 404, 'not_found', `no endpoint ${method} ${url.pathname} on the admin plane`);
    return;
  }
  if (!deps.auth.authorize(req, res)) return;
  if (segments[1] === 'info' && segments.length === 2) {
    if (!allow(res, method, ['GET'])) return;
    sendJson(res, 200, {
      epoch: deps.log.epoch,
      startedAt: deps.startedAt,
      routes: deps.table.list().length,
      processes: deps.processes(),
    } satisfies GatewayInfo);
    return;
  }
  if (segments[1] === 'routes') {
    await handleRoutes(req, res, url, segments, deps);
    return;
  }
  sendError(res, 404, 'not_found', `no admin endpoint at ${url.pathname}`);
}

async function handleRoutes(
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  segments: string[],
  deps: AdminDeps,
): Promise<void> {
  const method = req.method ?? 'GET';
  const { table } = deps;
  if (segments.length === 2) {
    if (!allow(res, method, ['GET'])) return;
    sendJson(res, 200, { routes: table.list() });
    return;
  }

  const route = decodeSegment(segments[2] ?? '');
  const action = segments.length === 4 ? segments[3] : segments.length === 3 ? '' : null;
  switch (action) {
    case '':
      if (!allow(res, method, ['GET', 'PUT', 'DELETE'])) return;
      if (method === 'GET') sendJson(res, 200, table.get(route));
      else if (method === 'PUT') {
        const { state } = table.define(route, await readJsonObject(req, deps.maxBodyBytes));
        await durable(deps);
        sendJson(res, 200, state);
      } else {
        table.remove(route);
        await durable(deps);
        res.writeHead(204).end();
      }
      return;
    case 'weights': {
      if (!allow(res, method, ['PUT'])) return;
      const { state } = table.setWeights(route, await readJsonObject(req, deps.maxBodyBytes));
      await durable(deps);
      sendJson(res, 200, state);
      return;
    }
    case 'shadow': {
      if (!allow(res, method, ['PUT'])) return;
      const { state } = table.setShadow(route, await readJsonObject(req, deps.maxBodyBytes));
      await durable(deps);
      sendJson(res, 200, state);
      return;
    }
    case 'capture': {
      if (!allow(res, method, ['PUT'])) return;
      const { state } = table.setCapture(route, await readJsonObject(req, deps.maxBodyBytes));
      await durable(deps);
      sendJson(res, 200, state);
      return;
    }
    case 'rollout': {
      if (!allow(res, method, ['PUT'])) return;
      const { state } = table.markRollout(route, await readJsonObject(req, deps.maxBodyBytes));
      await durable(deps);
      sendJson(res, 200, state);
      return;
    }
    case 'records': {
      if (!allow(res, method, ['GET'])) return;
      const { since, epoch, limit } = pageParams(url, route, table);
      const page = deps.log.recordsFor(route, since, limit, epoch);
      sendJson(res, 200, {
        epoch: page.epoch,
        records: page.items,
        nextSince: page.nextSince,
        restarted: page.restarted,
        lost: page.lost,
      } satisfies RecordsPage);
      return;
    }
    case 'shadow-pairs': {
      if (!allow(res, method, ['GET'])) return;
      const { since, epoch, limit } = pageParams(url, route, table);
      const page = deps.log.pairsFor(route, since, limit, epoch);
      sendJson(res, 200, {
        epoch: page.epoch,
        pairs: page.items,
        nextSince: page.nextSince,
        restarted: page.restarted,
        lost: page.lost,
      } satisfies ShadowPairsPage);
      return;
    }
    case 'answer-samples': {
      if (!allow(res, method, ['GET'])) return;
      const { since, epoch, limit } = pageParams(url, route, table);
      const page = deps.log.samplesFor(route, since, limit, epoch);
      sendJson(res, 200, {
        epoch: page.epoch,
        samples: page.items,
        nextSince: page.nextSince,
        restarted: page.restarted,
        lost: page.lost,
      } satisfies AnswerSamplesPage);
      return;
    }
    case 'captures': {
      if (!allow(res, method, ['GET'])) return;
      const { since, epoch, limit } = pageParams(url, route, table);
      const page = deps.log.capturesFor(route, since, limit, epoch);
      sendJson(res, 200, {
        epoch: page.epoch,
        captures: page.items,
        nextSince: page.nextSince,
        restarted: page.restarted,
        lost: page.lost,
      } satisfies CapturesPage);
      return;
    }
    case 'feedback': {
      if (!allow(res, method, ['GET'])) return;
      const { since, epoch, limit } = pageParams(url, route, table);
      const page = deps.log.feedbackFor(route, since, limit, epoch);
      sendJson(res, 200, {
        epoch: page.epoch,
        feedback: page.items,
        nextSince: page.nextSince,
        restarted: page.restarted,
        lost: page.lost,
      } satisfies FeedbackPage);
      return;
    }
    default:
      sendError(res, 404, 'not_found', `no admin endpoint at ${url.pathname}`);
  }
}

/** Also called after no-op changes: a retry after a failed write must not answer before it is saved. */
async function durable(deps: AdminDeps): Promise<void> {
  try {
    await deps.durable();
  } catch (error) {
    throw new StateNotSavedError(error as Error);
  }
}

function allow(res: ServerResponse, method: string, methods: string[]): boolean {
  if (methods.includes(method)) return true;
  res.setHeader('allow', methods.join(', '));
  sendError(res, 405, 'method_not_allowed', `${method} is not allowed here; use ${methods.join(' or ')}`);
  return false;
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new InvalidRequestError('route', `'${segment}' is not valid URL encoding`);
  }
}

function pageParams(
  url: URL,
  route: string,
  table: RouteTable,
): { since: number; epoch: string | undefined; limit: number } {
  if (!table.has(route)) throw new RouteNotFoundError(route);
  const epoch = url.searchParams.get('epoch') || undefined;
  if (epoch !== undefined && !EPOCH_PATTERN.test(epoch))
    throw new InvalidRequestError('epoch', `must match ${EPOCH_PATTERN.source}`);
  return {
    since: intParam(url, 'since', 0, 0, Number.MAX_SAFE_INTEGER),
    epoch,
    limit: intParam(url, 'limit', DEFAULT_PAGE_LIMIT, 1, MAX_PAGE_LIMIT),
  };
}

function intParam(url: URL, name: string, fallback: number, min: number, max: number): number {
  const raw = url.searchParams.get(name);
  if (raw === null || raw === '') return fallback;
  if (!/^\d+$/.test(raw)) throw new InvalidRequestError(name, `must be an integer, got '${raw}'`);
  const value = Number(raw);
  if (value < min || value > max)
    throw new InvalidRequestError(name, `must be between ${min} and ${max}, got ${value}`);
  return value;
}

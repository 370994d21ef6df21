// The admin API described in admin-api.ts: route CRUD, weights, shadow settings, and paged
// per-request records and shadow pairs. Every mutation goes through RouteTable, which validates
// fully before changing anything, so a rejected request leaves the state untouched.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RecordsPage, ShadowPairsPage } from './admin-api';
import { InvalidRequestError, RouteNotFoundError } from './errors';
import { readJsonObject, sendError, sendJson } from './http-io';
import type { RouteTable } from './route-table';
import type { TrafficLog } from './traffic-log';

export const DEFAULT_PAGE_LIMIT = 1_000;
export const MAX_PAGE_LIMIT = 10_000;

export interface AdminDeps {
  table: RouteTable;
  log: TrafficLog;
  maxBodyBytes: number;
}

/** Handles /admin/routes[...]; returns false when the path is not an admin path. */
export async function handleAdmin(req: IncomingMessage, res: ServerResponse, url: URL, deps: AdminDeps): Promise<boolean> {
  // Split before decoding so a route name containing an encoded '/' stays one segment.
  const segments = url.pathname.split('/').filter((s) => s !== '');
  if (segments[0] !== 'admin' || segments[1] !== 'routes') return false;
  const method = req.method ?? 'GET';
  const { table } = deps;

  if (segments.length === 2) {
    if (!allow(res, method, ['GET'])) return true;
    sendJson(res, 200, { routes: table.list() });
    return true;
  }

  const route = decodeSegment(segments[2] ?? '');
  const action = segments.length === 4 ? segments[3] : segments.length === 3 ? '' : null;
  switch (action) {
    case '':
      if (!allow(res, method, ['GET', 'PUT', 'DELETE'])) return true;
      if (method === 'GET') sendJson(res, 200, table.get(route));
      else if (method === 'PUT') sendJson(res, 200, table.define(route, await readJsonObject(req, deps.maxBodyBytes)).state);
      else {
        table.remove(route);
        res.writeHead(204).end();
      }
      return true;
    case 'weights':
      if (!allow(res, method, ['PUT'])) return true;
      sendJson(res, 200, table.setWeights(route, await readJsonObject(req, deps.maxBodyBytes)).state);
      return true;
    case 'shadow':
      if (!allow(res, method, ['PUT'])) return true;
      sendJson(res, 200, table.setShadow(route, await readJsonObject(req, deps.maxBodyBytes)).state);
      return true;
    case 'records': {
      if (!allow(res, method, ['GET'])) return true;
      const { since, limit } = pageParams(url, route, table);
      const page = deps.log.recordsFor(route, since, limit);
      sendJson(res, 200, { records: page.items, nextSince: page.nextSince } satisfies RecordsPage);
      return true;
    }
    case 'shadow-pairs': {
      if (!allow(res, method, ['GET'])) return true;
      const { since, limit } = pageParams(url, route, table);
      const page = deps.log.pairsFor(route, since, limit);
      sendJson(res, 200, { pairs: page.items, nextSince: page.nextSince } satisfies ShadowPairsPage);
      return true;
    }
    default:
      sendError(res, 404, 'not_found', `no admin endpoint at ${url.pathname}`);
      return true;
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

function pageParams(url: URL, route: string, table: RouteTable): { since: number; limit: number } {
  if (!table.has(route)) throw new RouteNotFoundError(route);
  return {
    since: intParam(url, 'since', 0, 0, Number.MAX_SAFE_INTEGER),
    limit: intParam(url, 'limit', DEFAULT_PAGE_LIMIT, 1, MAX_PAGE_LIMIT),
  };
}

function intParam(url: URL, name: string, fallback: number, min: number, max: number): number {
  const raw = url.searchParams.get(name);
  if (raw === null || raw === '') return fallback;
  if (!/^\d+$/.test(raw)) throw new InvalidRequestError(name, `must be an integer, got '${raw}'`);
  const value = Number(raw);
  if (value < min || value > max) throw new InvalidRequestError(name, `must be between ${min} and ${max}, got ${value}`);
  return value;
}

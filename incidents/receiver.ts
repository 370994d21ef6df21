// The Alertmanager webhook receiver: a firing alert whose labels name a rollout (`rollout_id`, or
// `rollout`) signals `rollback` on it, with the alert as the reason. Resolved alerts do nothing;
// the same firing alert delivered again (Alertmanager repeats and regroups) is recognised and
// not signalled twice, and the workflow ignores a second rollback request anyway.
//
// POST <path> with `Authorization: Bearer <token>` and the version 4 JSON payload. Answers:
//   200  every alert handled; the body lists what was done with each (`results`)
//   400  malformed JSON or not a version 4 payload        401  missing or wrong bearer token
//   404  the alerts name only rollouts that do not exist  409  only finished rollouts
//   405, 408, 413, 415  wrong method, body not sent within 30 s, body too large, not JSON
//   503  Temporal unreachable: Alertmanager retries
// Alertmanager retries 5xx only; the 4xx answers are permanent and show in its log.
import { describeBreakGlass } from '../client/break-glass';
import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { RolloutService } from '../client/rollout-service';
import { parseAlertmanagerPayload, type Alert, type AlertmanagerPayload } from './alertmanager-payload';
import { isGatewayHttpError } from '../gateway/errors';
import { readBody } from '../gateway/http-io';
import { listenOn } from '../lib/listen';
import { requestTargetUrl } from '../lib/request-target';

export type AlertAction =
  | 'rollback_requested'
  | 'already_requested'
  | 'duplicate'
  | 'ignored_resolved'
  | 'ignored_no_rollout'
  | 'invalid_rollout_id'
  | 'unknown_rollout'
  | 'rollout_finished';

export interface AlertResult {
  alertname: string;
  status: Alert['status'];
  fingerprint: string;
  rolloutId: string | null;
  action: AlertAction;
  message: string;
}

export interface IncidentReceiverOptions {
  service: RolloutService;
  /** Shared secret Alertmanager sends as `Authorization: Bearer <token>`. */
  token: string;
  host?: string;
  port?: number;
  path?: string;
  /** Labels naming the rollout, first match wins. */
  rolloutLabels?: string[];
  /** Who the rollback is requested by, on the rollout's timeline. */
  requestedBy?: string;
  log?: (line: string) => void;
}

export interface RunningIncidentReceiver {
  url: string;
  /** Handles one parsed payload as the HTTP endpoint does (for tests and other transports). */
  handle(payload: AlertmanagerPayload): Promise<AlertResult[]>;
  stop(): Promise<void>;
}

const BODY_LIMIT = 1024 * 1024;
const REMEMBER_MS = 24 * 3_600_000;

export async function startIncidentReceiver(options: IncidentReceiverOptions): Promise<RunningIncidentReceiver> {
  if (!options.token || options.token.length < 16)
    throw new Error('incident receiver: the bearer token (INCIDENTS_TOKEN) must be at least 16 characters');
  const path = options.path ?? '/alertmanager';
  const labels = options.rolloutLabels ?? ['rollout_id', 'rollout'];
  const by = options.requestedBy ?? 'alertmanager';
  const log = options.log ?? (() => {});
  const expected = digest(options.token);
  /** Firing alerts already acted on: rollout | fingerprint | startsAt → when. */
  const handled = new Map<string, number>();

  async function handleAlert(alert: Alert): Promise<AlertResult> {
    const alertname = alert.labels.alertname ?? 'unnamed alert';
    const fingerprint =
      alert.fingerprint ??
      createHash('sha256')
        .update(JSON.stringify(Object.entries(alert.labels).sort()))
        .digest('hex')
        .slice(0, 16);
    const label = labels.find((name) => alert.labels[name]);
    const rolloutId = label ? alert.labels[label]! : null;
    const result = (action: AlertAction, message: string): AlertResult => ({
      alertname,
      status: alert.status,
      fingerprint,
      rolloutId,
      action,
      message,
    });
    if (alert.status === 'resolved') return result('ignored_resolved', 'resolved alerts do nothing');
    if (!rolloutId) return result('ignored_no_rollout', `no ${labels.join(' or ')} label names a rollout`);
    const key = `${rolloutId}|${fingerprint}|${alert.startsAt}`;
    if (handled.has(key)) return result('duplicate', `rollback of ${rolloutId} already requested for this alert`);
    const found = await options.service.lookup(rolloutId);
    if (found.kind === 'invalid_id') return result('invalid_rollout_id', found.message.replace(/`/g, ''));
    if (found.kind === 'unknown') return result('unknown_rollout', found.message.replace(/`/g, ''));
    if (found.kind === 'finished')
      return result('rollout_finished', `${found.message.replace(/`/g, '')}; nothing to roll back`);
    // Without a status (worker down) the signal still goes out: the workflow acts on it when it runs.
    const earlier = found.status?.rollbackRequest;
    if (earlier) {
      remember(key);
      return result(
        'already_requested',
        `rollback of ${rolloutId} already requested by ${earlier.by}: ${earlier.reason}`,
      );
    }
    const summary = alert.annotations.summary ?? alert.annotations.description;
    const reason = `alert ${alertname} firing${summary ? `: ${summary}` : ''}`;
    const signalled = await options.service.rollback(rolloutId, { reason, by });
    if (!signalled.ok) return result('rollout_finished', signalled.message.replace(/`/g, ''));
    remember(key);
    const traffic = describeBreakGlass(signalled.traffic);
    log(`incident: ${reason} → rollback of ${rolloutId} requested; ${traffic}`);
    return result('rollback_requested', `rollback of ${rolloutId} requested: ${reason}; ${traffic}`);
  }

  function remember(key: string): void {
    const now = Date.now();
    handled.set(key, now);
    if (handled.size > 10_000) {
      for (const [old, at] of handled) if (now - at > REMEMBER_MS || handled.size > 10_000) handled.delete(old);
    }
  }

  async function handle(payload: AlertmanagerPayload): Promise<AlertResult[]> {
    const results: AlertResult[] = [];
    // In order: two alerts on one rollout must not both find it without a rollback request.
    for (const alert of payload.alerts) results.push(await handleAlert(alert));
    return results;
  }

  async function serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = requestTargetUrl(req.url ?? '/');
    if (req.method === 'GET' && url?.pathname === '/healthz') return reply(res, 200, { ok: true });
    if (url?.pathname !== path) return reply(res, 404, { error: `not found; Alertmanager posts to ${path}` });
    if (req.method !== 'POST') return reply(res, 405, { error: 'POST only' }, { allow: 'POST' });
    const auth = req.headers.authorization ?? '';
    const presented = /^Bearer (.+)$/i.exec(auth)?.[1]?.trim();
    if (!presented || !timingSafeEqual(digest(presented), expected)) {
      req.resume();
      return reply(
        res,
        401,
        { error: presented ? 'wrong bearer token' : 'a bearer token is required (Authorization: Bearer <token>)' },
        { 'www-authenticate': 'Bearer' },
      );
    }
    const type = String(req.headers['content-type'] ?? '');
    if (!type.startsWith('application/json')) {
      req.resume();
      return reply(res, 415, { error: `expected application/json, got ${type || 'no content type'}` });
    }
    let text: string;
    try {
      text = (await readBody(req, BODY_LIMIT)).toString('utf8');
    } catch (error) {
      // Too large (413) or too slow (408); the gateway's reader drains the rest so the answer arrives.
      if (isGatewayHttpError(error)) return reply(res, error.status, { error: error.message });
      throw error;
    }
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch (error) {
      return reply(res, 400, { error: `malformed JSON: ${(error as Error).message}` });
    }
    const parsed = parseAlertmanagerPayload(body);
    if (!parsed.ok) return reply(res, 400, { error: parsed.message });
    let results: AlertResult[];
    try {
      results = await handle(parsed.payload);
    } catch (error) {
      log(`incident: Temporal unavailable: ${(error as Error).message}`);
      return reply(res, 503, { error: `cannot reach Temporal: ${(error as Error).message}` }, { 'retry-after': '5' });
    }
    const acted = results.some(
      (r) => r.action === 'rollback_requested' || r.action === 'already_requested' || r.action === 'duplicate',
    );
    const status = acted
      ? 200
      : results.some((r) => r.action === 'unknown_rollout' || r.action === 'invalid_rollout_id')
        ? 404
        : results.some((r) => r.action === 'rollout_finished')
          ? 409
          : 200;
    return reply(res, status, { results });
  }

  const server: Server = createServer((req, res) => {
    serve(req, res).catch((error: unknown) => {
      log(`incident: request failed: ${(error as Error).message}`);
      if (!res.headersSent) reply(res, 500, { error: 'internal error' });
    });
  });
  const host = options.host ?? '127.0.0.1';
  const { origin } = await listenOn(server, host, options.port);
  return {
    url: `${origin}${path}`,
    handle,
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function digest(token: string): Buffer {
  return createHash('sha256').update(token).digest();
}

function reply(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

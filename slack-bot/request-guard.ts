// In front of Bolt's HTTPReceiver: what its signature check does not cover. Bolt refuses unsigned,
// badly signed and stale (older than 5 minutes) requests; it accepts the same signed request any
// number of times within those 5 minutes, and timestamps in the future. This guard refuses both:
// a correctly signed request is accepted once (its signature is remembered for the 5-minute window
// plus the allowed skew), and its timestamp may not be more than 5 minutes ahead.
//
// The body is read here and handed on as `rawBody`, which Bolt uses as is: Bolt still verifies
// every request itself; only requests that pass Bolt's own check are remembered here.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { verifySlackRequest } from '@slack/bolt';
// Drains the rest of an oversized body so the 413 arrives (breaking off reading reset the
// connection), and gives a body that trickles in 408 after 30 s.
import { readBody } from '../gateway/http-io';
import { unreadablePayloadField } from './payload-shape';

const WINDOW_SEC = 5 * 60;

export interface RequestGuardOptions {
  signingSecret: string;
  /** Largest body accepted (Slack's payloads are well under this). */
  bodyLimitBytes?: number;
  now?: () => number;
}

export type GuardVerdict = { ok: true } | { ok: false; status: number; message: string };

export class RequestGuard {
  private readonly seen = new Map<string, number>();
  private readonly bodyLimit: number;
  private readonly now: () => number;

  constructor(private readonly options: RequestGuardOptions) {
    this.bodyLimit = options.bodyLimitBytes ?? 1024 * 1024;
    this.now = options.now ?? Date.now;
  }

  /** Reads the body onto `req.rawBody` and decides; a refusal is answered here. */
  async admit(req: IncomingMessage, res: ServerResponse): Promise<boolean> {
    let body: Buffer;
    try {
      body = await readBody(req, this.bodyLimit);
    } catch (error) {
      refuse(res, (error as { status?: number }).status ?? 400, (error as Error).message);
      return false;
    }
    (req as IncomingMessage & { rawBody?: Buffer }).rawBody = body;
    const text = body.toString('utf8');
    const verdict = this.check(req.headers, text);
    if (!verdict.ok) {
      refuse(res, verdict.status, verdict.message);
      return false;
    }
    // Only a signed request is looked into: an unsigned one gets Bolt's 401 whatever it holds.
    const field = this.verified(req.headers, text) ? unreadablePayloadField(text, req.headers['content-type']) : null;
    if (field !== null) {
      refuse(res, 400, `malformed Slack payload: ${field} is missing or not an object`);
      return false;
    }
    return true;
  }

  /** Whether the request carries a valid signature of this body at an acceptable time (as Bolt checks it). */
  private verified(headers: IncomingMessage['headers'], body: string): boolean {
    const signature = headers['x-slack-signature'];
    const timestamp = Number(headers['x-slack-request-timestamp']);
    if (typeof signature !== 'string' || !Number.isFinite(timestamp)) return false;
    try {
      verifySlackRequest({
        signingSecret: this.options.signingSecret,
        body,
        headers: { 'x-slack-signature': signature, 'x-slack-request-timestamp': timestamp },
        nowMilliseconds: this.now(),
      });
      return true;
    } catch {
      return false;
    }
  }

  check(headers: IncomingMessage['headers'], body: string): GuardVerdict {
    // Missing or malformed headers and bad signatures: Bolt refuses those itself, with 401.
    if (!this.verified(headers, body)) return { ok: true };
    const signature = headers['x-slack-signature'] as string;
    const timestamp = Number(headers['x-slack-request-timestamp']);
    const nowSec = Math.floor(this.now() / 1000);
    if (timestamp > nowSec + WINDOW_SEC)
      return { ok: false, status: 401, message: 'request timestamp is more than 5 minutes in the future' };
    this.prune(nowSec);
    if (this.seen.has(signature))
      return { ok: false, status: 401, message: 'replayed request: this signed request was already received' };
    this.seen.set(signature, timestamp);
    return { ok: true };
  }

  private prune(nowSec: number): void {
    // Anything older than the window would be refused as stale anyway.
    for (const [signature, timestamp] of this.seen) {
      if (timestamp < nowSec - WINDOW_SEC - 1) this.seen.delete(signature);
    }
  }
}

function refuse(res: ServerResponse, status: number, message: string): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' });
  res.end(`${message}\n`);
}

// Bearer-token check for the admin plane. The token is kept only as its SHA-256 digest and
// compared in constant time over digests (equal lengths whatever was sent), so neither timing
// nor length says anything about it. Refusals never repeat what was presented.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { sendJson } from './http-io';

export const AUTH_REALM = 'llm-rollout-gateway';

export type AuthResult = 'ok' | 'missing' | 'invalid';

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

export class AdminAuth {
  private readonly expected: Buffer;

  constructor(token: string) {
    this.expected = digest(token);
  }

  check(header: string | undefined): AuthResult {
    if (header === undefined || header.trim() === '') return 'missing';
    const match = /^Bearer[ ]+(\S+)\s*$/i.exec(header);
    // Another scheme (Basic ...) or a malformed value is a wrong credential, not a missing one.
    if (!match?.[1]) return 'invalid';
    return timingSafeEqual(digest(match[1]), this.expected) ? 'ok' : 'invalid';
  }

  /** Answers 401 and returns false unless the request carries the token. */
  authorize(req: IncomingMessage, res: ServerResponse): boolean {
    const result = this.check(req.headers.authorization);
    if (result === 'ok') return true;
    res.setHeader('www-authenticate', `Bearer realm="${AUTH_REALM}"`);
    const message =
      result === 'missing'
        ? 'missing credential: the admin API needs `Authorization: Bearer <admin token>`'
        : "invalid credential: the admin API needs `Authorization: Bearer <admin token>` with the gateway's admin token";
    sendJson(res, 401, { error: { type: 'unauthorized', message } });
    return false;
  }
}

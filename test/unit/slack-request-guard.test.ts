// What Bolt's signature check leaves open: replays within its 5-minute window and future-dated
// timestamps. Unsigned and badly signed requests pass through to Bolt, which refuses them.
import { describe, expect, it } from 'vitest';
import { RequestGuard } from '../../slack-bot/request-guard';
import { slackSignature } from '../support/slack-api-stand-in';

const secret = 'guard-test-secret';
const body = 'payload=%7B%22type%22%3A%22block_actions%22%7D';
const nowMs = 1_795_000_000_000;
const nowSec = nowMs / 1000;

function headers(timestampSec: number, signingSecret = secret, signedBody = body) {
  return {
    'x-slack-request-timestamp': String(timestampSec),
    'x-slack-signature': slackSignature(signingSecret, timestampSec, signedBody),
  };
}

describe('RequestGuard', () => {
  it('admits a correctly signed request once and refuses it as a replay afterwards', () => {
    const guard = new RequestGuard({ signingSecret: secret, now: () => nowMs });
    expect(guard.check(headers(nowSec - 10), body)).toEqual({ ok: true });
    expect(guard.check(headers(nowSec - 10), body)).toEqual({
      ok: false,
      status: 401,
      message: 'replayed request: this signed request was already received',
    });
    // The same body signed at another time is another request.
    expect(guard.check(headers(nowSec - 9), body)).toEqual({ ok: true });
  });

  it('refuses timestamps more than five minutes ahead', () => {
    const guard = new RequestGuard({ signingSecret: secret, now: () => nowMs });
    expect(guard.check(headers(nowSec + 301), body)).toMatchObject({
      ok: false,
      status: 401,
      message: expect.stringContaining('in the future'),
    });
    expect(guard.check(headers(nowSec + 60), body)).toEqual({ ok: true });
  });

  it('leaves unsigned, badly signed and stale requests to Bolt, and does not remember them', () => {
    const guard = new RequestGuard({ signingSecret: secret, now: () => nowMs });
    expect(guard.check({}, body)).toEqual({ ok: true });
    expect(guard.check(headers(nowSec, 'wrong-secret'), body)).toEqual({ ok: true });
    expect(guard.check(headers(nowSec, 'wrong-secret'), body)).toEqual({ ok: true });
    expect(guard.check(headers(nowSec - 600), body)).toEqual({ ok: true });
    expect(guard.check({ 'x-slack-request-timestamp': 'soon', 'x-slack-signature': 'v0=00' }, body)).toEqual({
      ok: true,
    });
  });

  it('forgets signatures once they are too old to be accepted anyway', () => {
    let clock = nowMs;
    const guard = new RequestGuard({ signingSecret: secret, now: () => clock });
    expect(guard.check(headers(nowSec), body)).toEqual({ ok: true });
    clock += 11 * 60_000;
    // Now stale: Bolt refuses it; the guard has nothing left to compare with and says so by passing it on.
    expect(guard.check(headers(nowSec), body)).toEqual({ ok: true });
  });
});

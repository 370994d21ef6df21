// Captured traffic on the real gateway CLI (a child process with a state file) in front of two
// simulated backends: with capture off nothing is kept; on with share 1 every live chat request is
// kept, redacted (an email and a card number in a prompt come back masked, `user` is not kept), and
// neither shadow copies nor embeddings are; share 0.5 keeps about half; captures page with
// since/epoch; the setting survives kill -9 and a restart from the state file while the captures
// (memory only) do not; a two-worker gateway (--processes 2) captures every request its workers serve.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CaptureEntry, SetCaptureRequest } from '../../gateway/admin-api';
import type { GatewayAdminClient } from '../../gateway/admin-client';
import { eventually } from '../support/eventually';
import { gatewayCliAddresses } from '../support/gateway-cli-addresses';
import { closePair, pairRoute, startInstantPair, type BackendPair } from '../support/gateway-over-pair';
import { GatewayCli, type RunningGateway } from '../../stack/gateway-cli';

const TOKEN = 'capture-test-admin-token-0123456789';
const ROUTE = 'support-chat';
const EMAIL = 'jane.doe@example.com';
const CARD = '4111 1111 1111 1111';
const PROMPT = `I am ${EMAIL} and my card ${CARD} was charged twice`;
const MASKED = 'I am [email] and my card [card] was charged twice';
const CAPTURE: SetCaptureRequest = { enabled: true, share: 1, redact: { mask: ['email', 'card'] } };

let dir: string;
let sims: BackendPair;
let args: string[];
let dataUrl: string;
let admin: GatewayAdminClient;
let gateway: RunningGateway;
const gateways = new GatewayCli(TOKEN);
let counter = 0;

/** `total` live chat requests, 20 at a time; their request ids in the order sent. */
async function chats(total: number, prefix: string): Promise<string[]> {
  const ids = Array.from({ length: total }, () => `${prefix}-${++counter}`);
  let next = 0;
  await Promise.all(
    Array.from({ length: 20 }, async () => {
      while (next < ids.length) {
        const requestId = ids[next++]!;
        const response = await fetch(`${dataUrl}/v1/chat/completions`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-request-id': requestId },
          body: JSON.stringify({
            model: ROUTE,
            user: EMAIL,
            temperature: 0.3,
            response_format: { type: 'json_object' },
            messages: [
              { role: 'system', content: 'You are support.' },
              { role: 'user', content: PROMPT },
            ],
          }),
        });
        expect(response.status).toBe(200);
        await response.arrayBuffer();
      }
    }),
  );
  return ids;
}

async function embeddings(total: number): Promise<void> {
  for (let i = 0; i < total; i++) {
    const response = await fetch(`${dataUrl}/v1/embeddings`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-request-id': `embed-${++counter}` },
      body: JSON.stringify({ model: ROUTE, input: PROMPT }),
    });
    expect(response.status).toBe(200);
    await response.arrayBuffer();
  }
}

/** Every capture of the route in this process, read in pages of `limit`. */
async function allCaptures(limit = 1_000): Promise<CaptureEntry[]> {
  const captures: CaptureEntry[] = [];
  let page = await admin.captures(ROUTE, { since: 0, limit });
  captures.push(...page.captures);
  while (page.captures.length > 0) {
    page = await admin.captures(ROUTE, { since: page.nextSince, epoch: page.epoch, limit });
    expect(page.restarted).toBe(false);
    captures.push(...page.captures);
  }
  return captures;
}

const capturedIds = async (ids: string[]) => {
  const wanted = new Set(ids);
  return (await allCaptures()).filter((capture) => wanted.has(capture.requestId));
};

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'gateway-capture-'));
  sims = await startInstantPair('capture');
  ({ args, dataUrl, admin } = await gatewayCliAddresses(TOKEN, join(dir, 'gateway-state.json')));
  gateway = await gateways.start(args);
  await admin.defineRoute(ROUTE, pairRoute(sims));
}, 60_000);

afterAll(async () => {
  gateways.killAll();
  await closePair(sims);
  rmSync(dir, { recursive: true, force: true });
  const output = gateways.allOutput();
  expect(output).not.toContain(TOKEN);
  // Captured content is never logged.
  expect(output).not.toContain(EMAIL);
});

describe('gateway captured traffic', () => {
  it('keeps nothing while capture is off', async () => {
    expect((await admin.getRoute(ROUTE))?.capture).toBeNull();
    await chats(20, 'off');
    expect(await allCaptures()).toEqual([]);
  });

  it('refuses a bad setting with a 400 naming the field, and changes nothing', async () => {
    const before = await admin.getRoute(ROUTE);
    const bad = { enabled: true, redact: { patterns: [{ regex: '([a-z' }] } };
    await expect(admin.setCapture(ROUTE, bad)).rejects.toMatchObject({
      status: 400,
      type: 'invalid_request',
      detail: expect.stringContaining('not a valid regular expression') as unknown,
    });
    await expect(admin.setCapture(ROUTE, bad)).rejects.toThrow(/redact\.patterns\[0\]\.regex/);
    await expect(admin.setCapture(ROUTE, { enabled: true, share: 2 })).rejects.toMatchObject({ status: 400 });
    expect(await admin.getRoute(ROUTE)).toEqual(before);
  });

  it('keeps every live chat request at share 1, redacted, and no shadow copy or embeddings request', async () => {
    const state = await admin.setCapture(ROUTE, CAPTURE);
    expect(state.capture).toEqual({
      share: 1,
      redact: { dropFields: ['user', 'metadata'], mask: ['email', 'card'], patterns: [] },
    });
    await admin.setShadow(ROUTE, { enabled: true, target: 'candidate', share: 1 });
    const ids = await chats(30, 'on');
    await embeddings(5);
    // Wait for the shadow copies' records, so a shadow capture would have had its chance.
    const { epoch } = await admin.info();
    await eventually('every shadow copy recorded', async () => {
      const page = await admin.records(ROUTE, { since: 0, epoch, limit: 10_000 });
      return page.records.filter((r) => r.mode === 'shadow' && ids.includes(r.requestId)).length >= ids.length;
    });
    await admin.setShadow(ROUTE, { enabled: false });

    const captures = await allCaptures();
    expect(captures.map((c) => c.requestId).sort()).toEqual([...ids].sort());
    for (const capture of captures) {
      expect(capture).toEqual({
        seq: expect.any(Number) as number,
        epoch,
        route: ROUTE,
        requestId: capture.requestId,
        at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) as string,
        messages: [
          { role: 'system', content: 'You are support.' },
          { role: 'user', content: MASKED },
        ],
        params: { temperature: 0.3, response_format: { type: 'json_object' } },
      } satisfies CaptureEntry);
    }
    const text = JSON.stringify(captures);
    expect(text).not.toContain(EMAIL);
    expect(text).not.toContain(CARD);
  }, 60_000);

  it('keeps about half of the requests at share 0.5', async () => {
    await admin.setCapture(ROUTE, { ...CAPTURE, share: 0.5 });
    const ids = await chats(400, 'half');
    const kept = await capturedIds(ids);
    // 200 expected (sd 10): all or none would be far outside.
    expect(kept.length).toBeGreaterThan(150);
    expect(kept.length).toBeLessThan(250);
  }, 60_000);

  it('pages with since and epoch: every capture once, in seq order, and says when the epoch is another', async () => {
    const whole = await allCaptures();
    const paged = await allCaptures(7);
    expect(paged.map((c) => c.seq)).toEqual(whole.map((c) => c.seq));
    expect(new Set(paged.map((c) => c.seq)).size).toBe(paged.length);
    expect(paged.map((c) => c.seq)).toEqual([...paged.map((c) => c.seq)].sort((a, b) => a - b));
    const later = await admin.captures(ROUTE, { since: whole[9]!.seq, epoch: whole[0]!.epoch, limit: 5 });
    expect(later.captures.map((c) => c.seq)).toEqual(whole.slice(10, 15).map((c) => c.seq));
    const foreign = await admin.captures(ROUTE, { since: 999_999, epoch: 'another-epoch', limit: 3 });
    expect(foreign).toMatchObject({ restarted: true, epoch: whole[0]!.epoch });
    expect(foreign.captures.map((c) => c.seq)).toEqual(whole.slice(0, 3).map((c) => c.seq));
  });

  it('keeps the setting across kill -9 and a restart from the state file; the captures are memory only', async () => {
    const setting = await admin.setCapture(ROUTE, CAPTURE);
    const oldEpoch = (await admin.info()).epoch;
    await gateway.kill9();
    gateway = await gateways.start(args);
    expect((await admin.getRoute(ROUTE))?.capture).toEqual(setting.capture);
    const across = await admin.captures(ROUTE, { since: 50, epoch: oldEpoch });
    expect(across).toMatchObject({ restarted: true, captures: [] });
    const ids = await chats(10, 'restarted');
    expect((await capturedIds(ids)).map((c) => c.messages[1]?.content)).toEqual(ids.map(() => MASKED));
  }, 60_000);

  it('captures every request on a two-worker gateway (--processes 2)', async () => {
    await gateway.kill9();
    gateway = await gateways.start(['--processes', '2', ...args]);
    expect((await admin.info()).processes).toMatchObject({ workers: 2, alive: 2 });
    const ids = await chats(100, 'workers');
    // Workers send their batches within 25 ms of a request; the last may still be on its way.
    const kept = await eventually('every request captured', async () => {
      const found = await capturedIds(ids);
      return found.length >= ids.length ? found : undefined;
    });
    expect(kept.map((c) => c.requestId).sort()).toEqual([...ids].sort());
    expect(kept.every((c) => c.messages[1]?.content === MASKED && c.user === undefined)).toBe(true);
  }, 90_000);
});

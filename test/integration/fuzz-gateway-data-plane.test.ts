// Hostile input at the gateway's data plane (POST /v1/chat/completions), against a real gateway
// in this process over a scripted stand-in backend: junk and wrong-typed bodies, bodies around the
// size limit, CR/LF/NUL and oversized headers, clients that trickle their body, and backends that
// send garbage events, cut a stream mid-event or never end it. Each gets an OpenAI-style error or
// a clean end of stream, and after each batch an ordinary request is still served as before.
import fc from 'fast-check';
import '../support/fuzz-seed';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type GatewayHandle } from '../../gateway/server';
import { eventually } from '../support/eventually';
import { rawRequest } from '../support/raw-http';
import { COMPLETION, startScriptedUpstream, type ScriptedUpstream } from '../support/scripted-upstream';

const LIMIT = 64 * 1024;
const UPSTREAM_TIMEOUT_MS = 1_000;
const BODY_TIMEOUT_MS = 600;
const LIVE_MODEL = 'stand-in-live';
const API_KEY = 'sk-backend-secret-5f1c9e';
const PATH = '/v1/chat/completions';

let live: ScriptedUpstream;
let shadow: ScriptedUpstream;
let gateway: GatewayHandle;
const inputs = { bodies: 0, sizes: 0, headers: 0, targets: 0, trickles: 0, streams: 0 };

beforeAll(async () => {
  live = await startScriptedUpstream();
  shadow = await startScriptedUpstream();
  gateway = await startGateway({
    defaultMetrics: false,
    maxBodyBytes: LIMIT,
    upstreamTimeoutMs: UPSTREAM_TIMEOUT_MS,
    clientBodyTimeoutMs: BODY_TIMEOUT_MS,
    routes: {
      chat: {
        backends: [
          { name: 'live', baseUrl: live.baseUrl, model: LIVE_MODEL, apiKey: API_KEY },
          { name: 'shadow', baseUrl: shadow.baseUrl, model: 'stand-in-shadow', apiKey: API_KEY },
        ],
      },
    },
  });
  // Every request is mirrored too, so the shadow path (requestMessages, pairs) sees the junk as well.
  const res = await fetch(`${gateway.adminUrl}/admin/routes/chat/shadow`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${gateway.adminToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({ enabled: true, target: 'shadow', share: 1 }),
  });
  expect(res.status).toBe(200);
});

afterAll(async () => {
  const total = Object.values(inputs).reduce((a, b) => a + b, 0);
  console.log(`gateway data plane: ${total} inputs (${JSON.stringify(inputs)})`);
  await gateway?.close();
  await live?.close();
  await shadow?.close();
});

const ORDINARY = JSON.stringify({ model: 'chat', messages: [{ role: 'user', content: 'hello' }] });

/** An ordinary request after a batch: answered by the live backend, unchanged. */
async function expectStillServes(): Promise<void> {
  live.script = { kind: 'json' };
  const res = await fetch(`${gateway.url}${PATH}`, { method: 'POST', body: ORDINARY });
  expect(res.status).toBe(200);
  expect(res.headers.get('x-rollout-backend')).toBe('live');
  expect(await res.json()).toEqual(COMPLETION);
  expect(live.last!.body).toBe(JSON.stringify({ model: LIVE_MODEL, messages: [{ role: 'user', content: 'hello' }] }));
}

/** An OpenAI-style error naming `field` (when given), without the backend's key. */
function expectOpenAiError(text: string, field?: string): void {
  expect(text).not.toContain(API_KEY);
  const body = JSON.parse(text) as { error?: { type?: unknown; message?: unknown } };
  expect(typeof body.error?.type).toBe('string');
  expect(typeof body.error?.message).toBe('string');
  if (field) expect(body.error!.message as string).toMatch(new RegExp(`^${field}: `));
}

/** What the gateway must answer for a body (as the server decodes it): status and the field named. */
function oracle(text: string): { status: number; field?: string; parsed?: Record<string, unknown> } {
  if (Buffer.byteLength(text) > LIMIT) return { status: 413 };
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return { status: 400, field: 'body' };
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return { status: 400, field: 'body' };
  const { model } = parsed as { model?: unknown };
  if (typeof model !== 'string' || model === '') return { status: 400, field: 'model' };
  if (model !== 'chat') return { status: 404 };
  return { status: 200, parsed: parsed as Record<string, unknown> };
}

const anyJson = fc.jsonValue({ maxDepth: 3 });
const chatBody = fc.record(
  {
    model: fc.oneof(fc.constant('chat'), fc.constant(''), anyJson, fc.string({ unit: 'binary', maxLength: 40 })),
    messages: fc.oneof(
      anyJson,
      fc.array(fc.record({ role: anyJson, content: fc.oneof(fc.string({ unit: 'binary' }), anyJson) }), {
        maxLength: 4,
      }),
    ),
    stream: anyJson,
    user: anyJson,
    response_format: anyJson,
  },
  { requiredKeys: [] },
);
const junkBody = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 300 }),
  anyJson.map((value) => JSON.stringify(value) ?? 'null'),
  chatBody.map((body) => JSON.stringify(body)),
  // Cut short: valid JSON up to some point.
  fc.tuple(chatBody, fc.nat()).map(([body, at]) => {
    const text = JSON.stringify(body);
    return text.slice(0, at % (text.length + 1));
  }),
  // A huge string in an otherwise ordinary request, either side of the limit.
  fc
    .integer({ min: LIMIT - 200, max: LIMIT + 200 })
    .map((n) => JSON.stringify({ model: 'chat', messages: [{ role: 'user', content: 'x'.repeat(n) }] })),
  fc.integer({ min: 1, max: 70_000 }).map((n) => JSON.stringify({ model: 'm'.repeat(n), messages: [] })),
);

describe('gateway data plane under hostile input', () => {
  it('answers junk and wrong-typed bodies as the oracle says, forwarding valid ones unchanged', async () => {
    await fc.assert(
      fc.asyncProperty(junkBody, async (sent) => {
        inputs.bodies++;
        live.script = { kind: 'json' };
        live.last = null;
        // What the server decodes: lone surrogates become U+FFFD on the way.
        const text = Buffer.from(sent, 'utf8').toString('utf8');
        const expected = oracle(text);
        const res = await fetch(`${gateway.url}${PATH}`, { method: 'POST', body: sent });
        const reply = await res.text();
        expect(res.status).toBe(expected.status);
        if (expected.status === 200) {
          expect(JSON.parse(reply)).toEqual(COMPLETION);
          expect(live.last!.body).toBe(JSON.stringify({ ...expected.parsed, model: LIVE_MODEL }));
        } else {
          expectOpenAiError(reply, expected.field);
          expect(live.last).toBeNull();
        }
      }),
      { numRuns: 250 },
    );
    await expectStillServes();
  });

  it('413s every body past the limit, declared or chunked, and serves every one within it', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: LIMIT - 64, max: 3 * LIMIT }),
        fc.constantFrom('content-length', 'chunked'),
        async (size, framing) => {
          inputs.sizes++;
          live.script = { kind: 'json' };
          const skeleton = JSON.stringify({ model: 'chat', messages: [{ role: 'user', content: '' }] });
          const body = skeleton.replace('"content":""', `"content":"${'y'.repeat(size - skeleton.length)}"`);
          const head =
            `POST ${PATH} HTTP/1.1\r\nhost: gateway\r\ncontent-type: application/json\r\nconnection: close\r\n` +
            (framing === 'chunked' ? 'transfer-encoding: chunked\r\n\r\n' : `content-length: ${size}\r\n\r\n`);
          const reply = await rawRequest(gateway.url, head, framing === 'chunked' ? chunked(body) : body);
          if (size > LIMIT) {
            expect(reply.status).toBe(413);
            expectOpenAiError(reply.body);
            expect(reply.body).toContain(`${LIMIT} bytes`);
          } else {
            expect(reply.status).toBe(200);
            expect(JSON.parse(reply.body)).toEqual(COMPLETION);
          }
        },
      ),
      { numRuns: 40 },
    );
    await expectStillServes();
  });

  it('refuses CR, LF, NUL and oversized values in the stickiness and request-id headers with an OpenAI-style error', async () => {
    const hostile = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 60 }),
      fc
        .tuple(fc.string({ maxLength: 20 }), fc.constantFrom('\r', '\n', '\r\n', '\0', '\r\n\r\n', '\u2028', '\x7f'))
        .map(([text, bad]) => `${text}${bad}${text}`),
      fc.integer({ min: 1, max: 20_000 }).map((n) => 'u'.repeat(n)),
    );
    await fc.assert(
      fc.asyncProperty(hostile, hostile, hostile, async (user, session, requestId) => {
        inputs.headers++;
        live.script = { kind: 'json' };
        const head =
          `POST ${PATH} HTTP/1.1\r\nhost: gateway\r\ncontent-type: application/json\r\nconnection: close\r\n` +
          `content-length: ${Buffer.byteLength(ORDINARY)}\r\n` +
          `x-user-id: ${user}\r\nx-session-id: ${session}\r\nx-request-id: ${requestId}\r\n\r\n`;
        const reply = await rawRequest(gateway.url, Buffer.from(head, 'utf8').toString('latin1'), ORDINARY);
        expect([200, 400, 404, 431]).toContain(reply.status);
        if (reply.status === 200) {
          expect(JSON.parse(reply.body)).toEqual(COMPLETION);
          expect(reply.headers['x-request-id']).toMatch(/^[A-Za-z0-9._:-]{1,128}$/);
        } else {
          expectOpenAiError(reply.body);
        }
      }),
      { numRuns: 150 },
    );
    await expectStillServes();
  });

  it('answers odd request targets (//host forms, broken encoding, dot segments) with a 4xx, never a 500', async () => {
    const target = fc.oneof(
      fc.constantFrom('//%', '//x/v1/chat/completions', '/v1/chat/completions/../models', '/%zz', '*', '/v1//chat'),
      fc
        .array(fc.constantFrom('', 'v1', 'chat', 'completions', '..', '%', '%2F', '\u00e9', '?', '#', 'x'), {
          maxLength: 6,
        })
        .map((parts) => `/${parts.join('/')}`),
    );
    await fc.assert(
      fc.asyncProperty(target, fc.constantFrom('GET', 'POST'), async (path, method) => {
        inputs.targets++;
        live.script = { kind: 'json' };
        const head =
          `${method} ${encodeURI(path).replace(/%25/g, '%')} HTTP/1.1\r\nhost: gateway\r\nconnection: close\r\n` +
          `content-type: application/json\r\ncontent-length: ${ORDINARY.length}\r\n\r\n`;
        const reply = await rawRequest(gateway.url, head, ORDINARY);
        expect(reply.status).toBeGreaterThanOrEqual(200);
        expect(reply.status).toBeLessThan(500);
        if (reply.status >= 400) expectOpenAiError(reply.body);
      }),
      { numRuns: 100 },
    );
    await expectStillServes();
  });

  it('times out a client that sends its headers and then trickles (or never sends) the body', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 6 }), fc.integer({ min: 50, max: 150 }), async (pieces, gapMs) => {
        inputs.trickles++;
        const head =
          `POST ${PATH} HTTP/1.1\r\nhost: gateway\r\ncontent-type: application/json\r\n` +
          `content-length: ${ORDINARY.length}\r\n\r\n`;
        const reply = await rawRequest(gateway.url, head, '', {
          trickle: { pieces: ORDINARY.slice(0, pieces).split(''), gapMs },
          timeoutMs: BODY_TIMEOUT_MS + 3_000,
        });
        expect(reply.status).toBe(408);
        expectOpenAiError(reply.body);
        // The gateway closed the connection itself, about when the body was due.
        expect(reply.closedAfterMs).toBeGreaterThanOrEqual(BODY_TIMEOUT_MS - 50);
      }),
      { numRuns: 8 },
    );
    await expectStillServes();
  });

  it('relays garbage, cut and endless event streams from a backend and ends the client stream cleanly', async () => {
    const piece = fc.oneof(
      fc.constant('data: {"choices":[{"delta":{"content":"hi"}}]}\n\n'),
      fc.constantFrom('data: null\n\n', 'data: [DONE]\n\n', 'data: {"choices":[null]}\n\n', 'data: {"usage":7}\n\n'),
      fc.constantFrom('data: {"choices":\n\n', 'event: x\r\n', ': keep-alive\n', '\r\n\r\n', 'data:'),
      anyJson.map((value) => `data: ${JSON.stringify(value)}\n\n`),
      fc.string({ unit: 'binary', maxLength: 80 }),
      fc.constant(`data: ${'z'.repeat(300_000)}`),
    );
    const script = fc.record({
      pieces: fc.array(piece, { maxLength: 8 }),
      ending: fc.constantFrom<'end' | 'truncate' | 'hang'>('end', 'end', 'end', 'end', 'truncate', 'truncate', 'hang'),
    });
    await fc.assert(
      fc.asyncProperty(script, async ({ pieces, ending }) => {
        inputs.streams++;
        live.script = { kind: 'sse', pieces, ending };
        const requestId = `fuzz-stream-${inputs.streams}`;
        const started = performance.now();
        const res = await fetch(`${gateway.url}${PATH}`, {
          method: 'POST',
          headers: { 'x-request-id': requestId },
          body: JSON.stringify({ model: 'chat', stream: true, messages: [{ role: 'user', content: 'go' }] }),
        });
        const sent = Buffer.from(pieces.join(''), 'utf8');
        if (ending !== 'end' && sent.length === 0) {
          // Nothing of the body was relayed yet: the client gets the whole 502.
          expect(res.status).toBe(502);
          expectOpenAiError(await res.text());
          await eventually('the live exchange recorded', async () => liveRecorded(requestId), 3_000);
          return;
        }
        expect(res.status).toBe(200);
        expect(res.headers.get('content-type')).toBe('text/event-stream');
        const { bytes, cut } = await readAll(res);
        if (ending === 'end') {
          expect(cut).toBe(false);
          expect(bytes.equals(sent)).toBe(true);
        } else {
          expect(sent.subarray(0, bytes.length).equals(bytes)).toBe(true);
          expect(performance.now() - started).toBeLessThan(UPSTREAM_TIMEOUT_MS + 2_000);
        }
        // Every exchange is recorded, whatever the stream held.
        await eventually('the live exchange recorded', async () => liveRecorded(requestId), 3_000);
      }),
      { numRuns: 60 },
    );
    await expectStillServes();
  });
});

/** Whether the live exchange of request `id` was recorded (its shadow copy is recorded on its own). */
const liveRecorded = (id: string) =>
  gateway.log.recordsFor('chat', 0, 100_000).items.some((r) => r.requestId === id && r.mode === 'live');

function chunked(body: string): string {
  let out = '';
  for (let at = 0; at < body.length; at += 16_384) {
    const part = body.slice(at, at + 16_384);
    out += `${Buffer.byteLength(part).toString(16)}\r\n${part}\r\n`;
  }
  return `${out}0\r\n\r\n`;
}

/** The whole response body, and whether the connection was cut before its end. */
async function readAll(res: Response): Promise<{ bytes: Buffer; cut: boolean }> {
  const parts: Uint8Array[] = [];
  const reader = res.body!.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return { bytes: Buffer.concat(parts), cut: false };
      parts.push(value);
    }
  } catch {
    return { bytes: Buffer.concat(parts), cut: true };
  }
}

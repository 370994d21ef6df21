// User feedback (POST /v1/feedback) on the real gateway CLI (a child process with a state file) in
// front of two simulated backends, the route split 50/50 so both answer: feedback by request id
// goes to the backend whose `x-rollout-backend` the answer had (the fallback, when it answered);
// feedback by user goes to the backend the same user's chat requests go to, under the current
// weights and the cohort's; every bad body is a 400 naming the field and an unknown route a 404,
// recording nothing; an unknown, forgotten (--feedback-index-capacity) or other route's request
// id is dropped and counted, and so is a repeated kind; the admin API pages the events like the
// records, behind the token; the llm_gateway_feedback_* series count exactly what was recorded and
// dropped; the events are memory only (kill -9, restart, --feedback-capacity); and a two-worker
// gateway (--processes 2) attributes feedback sent on other connections than the answers, in the primary.
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FeedbackEvent } from '../../gateway/admin-api';
import type { GatewayAdminClient, GatewayRefusedError } from '../../gateway/admin-client';
import { GATEWAY_METRICS } from '../../gateway/metric-names';
import { freePort } from '../../stack/free-port';
import { GatewayCli, type RunningGateway } from '../../stack/gateway-cli';
import { eventually } from '../support/eventually';
import { gatewayCliAddresses } from '../support/gateway-cli-addresses';
import { closePair, pairRoute, startInstantPair, type BackendPair } from '../support/gateway-over-pair';
import { rawRequest } from '../support/raw-http';

const TOKEN = 'feedback-test-admin-token-0123456789';
const ROUTE = 'support-chat';
const OTHER_ROUTE = 'search';
const RESCUED_ROUTE = 'rescued';
const INDEX_CAPACITY = 300;
const BODY_TIMEOUT_MS = 1_500;
/** Sent as identities and in refused bodies: never in an answer or the gateway's output. */
const SECRET = 'secret-user-7f3a91c2';

let dir: string;
let sims: BackendPair;
let args: string[];
let dataUrl: string;
let admin: GatewayAdminClient;
let gateway: RunningGateway;
const gateways = new GatewayCli(TOKEN);
let counter = 0;
/** Everything the gateway answered to feedback in this file. */
const answers: string[] = [];
/** What the test dropped on purpose, per `route/reason`, in the current gateway process. */
let dropped: Record<string, number> = {};

interface Answer {
  requestId: string;
  backend: string;
  fallbackFrom: string | null;
}

interface Reply {
  status: number;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- assertions inspect arbitrary JSON
  body: any;
  text: string;
}

/**
 * One HTTP request on a connection of its own (no keep-alive pool): with --processes N the
 * primary hands each new connection to the next worker, so consecutive calls alternate workers.
 */
function post(path: string, body: string, headers: Record<string, string> = {}): Promise<Reply & { headers: Headers }> {
  return new Promise((resolve, reject) => {
    const req = request(
      `${dataUrl}${path}`,
      { method: 'POST', agent: false, headers: { 'content-type': 'application/json', ...headers }, timeout: 15_000 },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          const replyHeaders = new Headers();
          for (const [name, value] of Object.entries(response.headers))
            if (typeof value === 'string') replyHeaders.set(name, value);
          resolve({
            status: response.statusCode!,
            text,
            body: text.startsWith('{') ? JSON.parse(text) : text,
            headers: replyHeaders,
          });
        });
        response.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error('no answer')));
    req.on('error', reject);
    req.end(body);
  });
}

async function chat(
  route: string,
  options: { headers?: Record<string, string>; body?: Record<string, unknown> } = {},
): Promise<Answer> {
  const requestId = `fb-req-${++counter}`;
  const reply = await post(
    '/v1/chat/completions',
    JSON.stringify({ model: route, messages: [{ role: 'user', content: 'was this helpful?' }], ...options.body }),
    { 'x-request-id': requestId, ...options.headers },
  );
  expect(reply.status, reply.text).toBe(200);
  expect(reply.headers.get('x-request-id')).toBe(requestId);
  return {
    requestId,
    backend: reply.headers.get('x-rollout-backend')!,
    fallbackFrom: reply.headers.get('x-rollout-fallback-from'),
  };
}

/** POST /v1/feedback with `body` (an object, or raw text sent as it is). */
async function feedback(body: unknown, headers: Record<string, string> = {}): Promise<Reply> {
  const reply = await post('/v1/feedback', typeof body === 'string' ? body : JSON.stringify(body), headers);
  answers.push(reply.text, JSON.stringify([...reply.headers.entries()]));
  return reply;
}

async function accepted(body: Record<string, unknown>, headers: Record<string, string> = {}): Promise<void> {
  const reply = await feedback(body, headers);
  expect(reply.status, reply.text).toBe(202);
  expect(reply.text).toBe('{"accepted":true}');
}

function expectDropped(route: string, reason: 'unknown_request' | 'duplicate', count = 1): void {
  dropped[`${route}/${reason}`] = (dropped[`${route}/${reason}`] ?? 0) + count;
}

/** Every feedback event of `route` in this gateway process, read in pages of `limit`. */
async function allFeedback(route = ROUTE, limit = 1_000): Promise<FeedbackEvent[]> {
  const events: FeedbackEvent[] = [];
  let page = await admin.feedback(route, { since: 0, limit });
  events.push(...page.feedback);
  while (page.feedback.length > 0) {
    page = await admin.feedback(route, { since: page.nextSince, epoch: page.epoch, limit });
    expect(page.restarted).toBe(false);
    events.push(...page.feedback);
  }
  return events;
}

/** The events of `route` recorded after seq `since`, once there are `count` of them (workers batch). */
async function eventsAfter(since: number, count: number, route = ROUTE): Promise<FeedbackEvent[]> {
  return eventually(`${count} feedback events`, async () => {
    const events = (await allFeedback(route)).filter((event) => event.seq > since);
    return events.length >= count ? events : undefined;
  });
}

const newestSeq = async (route = ROUTE) => (await allFeedback(route)).at(-1)?.seq ?? 0;

async function metricValues(name: string): Promise<Array<{ labels: Record<string, string>; value: number }>> {
  const text = await (await fetch(`${admin.adminUrl}/metrics`)).text();
  return text
    .split('\n')
    .filter((line) => line.startsWith(`${name}{`))
    .map((line) => {
      const labels = Object.fromEntries(
        [...line.slice(name.length + 1, line.indexOf('}')).matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1]!, m[2]!]),
      );
      return { labels, value: Number(line.slice(line.lastIndexOf(' ') + 1)) };
    });
}

async function droppedMetric(): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const { labels, value } of await metricValues(GATEWAY_METRICS.feedbackDropped))
    counts[`${labels.route}/${labels.reason}`] = value;
  return counts;
}

/** The recorded events, as the series should count them: `route/backend/kind` -> [count, sum of values]. */
function tally(events: FeedbackEvent[]): Record<string, [number, number]> {
  const out: Record<string, [number, number]> = {};
  for (const event of events) {
    const key = `${event.route}/${event.backend}/${event.kind}`;
    const [count, sum] = out[key] ?? [0, 0];
    out[key] = [count + 1, sum + event.value];
  }
  return out;
}

async function seriesTally(): Promise<Record<string, [number, number]>> {
  const out: Record<string, [number, number]> = {};
  const key = (labels: Record<string, string>) => `${labels.route}/${labels.backend}/${labels.kind}`;
  for (const { labels, value } of await metricValues(GATEWAY_METRICS.feedback))
    out[key(labels)] = [value, out[key(labels)]?.[1] ?? 0];
  for (const { labels, value } of await metricValues(GATEWAY_METRICS.feedbackValue))
    out[key(labels)] = [out[key(labels)]?.[0] ?? 0, value];
  return out;
}

/** `count` chats on ROUTE, each with a session of its own; both backends answer some. */
async function chatsOnBothBackends(count: number, prefix: string): Promise<Answer[]> {
  const answered: Answer[] = [];
  for (let i = 0; i < count; i++) answered.push(await chat(ROUTE, { headers: { 'x-session-id': `${prefix}-${i}` } }));
  expect(new Set(answered.map((a) => a.backend))).toEqual(new Set(['baseline', 'candidate']));
  return answered;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'gateway-feedback-'));
  sims = await startInstantPair('feedback');
  const addresses = await gatewayCliAddresses(TOKEN, join(dir, 'gateway-state.json'));
  args = [
    '--feedback-index-capacity',
    String(INDEX_CAPACITY),
    '--client-body-timeout-ms',
    String(BODY_TIMEOUT_MS),
    ...addresses.args,
  ];
  ({ dataUrl, admin } = addresses);
  gateway = await gateways.start(args);
  await admin.defineRoute(ROUTE, pairRoute(sims));
  await admin.setWeights(ROUTE, { weights: { baseline: 50, candidate: 50 } });
  await admin.defineRoute(OTHER_ROUTE, pairRoute(sims));
  // Its only backend refuses connections: every answer comes from the fallback.
  await admin.defineRoute(RESCUED_ROUTE, {
    backends: [{ name: 'broken', baseUrl: `http://127.0.0.1:${await freePort()}/v1`, model: 'none' }],
    fallback: { backend: { name: 'spare', baseUrl: sims.candidate.url, model: sims.candidate.model } },
  });
}, 60_000);

afterAll(async () => {
  gateways.killAll();
  await closePair(sims);
  rmSync(dir, { recursive: true, force: true });
  const everything = [...answers, gateways.allOutput()].join('\n');
  expect(everything).not.toContain(TOKEN);
  expect(everything).not.toContain(SECRET);
});

describe('feedback on the gateway', () => {
  it('attributes feedback by request id to the backend that gave the answer, on both backends', async () => {
    const since = await newestSeq();
    const answered = await chatsOnBothBackends(40, 'by-id');
    for (const [i, answer] of answered.entries())
      await accepted({ model: ROUTE, request_id: answer.requestId, thumbs: i % 3 === 0 ? 'down' : 'up' });
    const events = await eventsAfter(since, answered.length);
    expect(events).toHaveLength(answered.length);
    const { epoch } = await admin.info();
    for (const [i, answer] of answered.entries()) {
      const event = events.find((e) => e.requestId === answer.requestId);
      expect(event, answer.requestId).toEqual({
        seq: expect.any(Number) as number,
        epoch,
        route: ROUTE,
        backend: answer.backend,
        requestId: answer.requestId,
        kind: 'thumbs',
        value: i % 3 === 0 ? 0 : 1,
        at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) as string,
      } satisfies FeedbackEvent);
    }
  }, 60_000);

  it('attributes feedback on an answer the fallback gave to the fallback, not to the backend that failed', async () => {
    const answer = await chat(RESCUED_ROUTE);
    expect(answer).toMatchObject({ backend: 'spare', fallbackFrom: 'broken' });
    await accepted({ model: RESCUED_ROUTE, request_id: answer.requestId, score: 4 });
    const [event] = await eventsAfter(0, 1, RESCUED_ROUTE);
    expect(event).toMatchObject({ route: RESCUED_ROUTE, backend: 'spare', requestId: answer.requestId, value: 4 });
  });

  it("attributes feedback by user to the backend the same user's chat requests go to, and never dedupes it", async () => {
    const since = await newestSeq();
    const expected: Array<[string, number]> = [];
    // The user as the body's `user`.
    for (let i = 0; i < 20; i++) {
      const user = `${SECRET}-${i}`;
      const first = await chat(ROUTE, { body: { user } });
      expect((await chat(ROUTE, { body: { user } })).backend, 'sticky').toBe(first.backend);
      await accepted({ model: ROUTE, user, score: i - 10.5 });
      expected.push([first.backend, i - 10.5]);
    }
    // The user as the header the chat requests had, with no `user` in the feedback's body.
    for (let i = 0; i < 20; i++) {
      const headers = { 'x-session-id': `${SECRET}-session-${i}` };
      const answer = await chat(ROUTE, { headers });
      await accepted({ model: ROUTE, conversion: true }, headers);
      expected.push([answer.backend, 1]);
    }
    // The header wins over the body's `user`, for the chat request and the feedback alike.
    for (let i = 0; i < 10; i++) {
      const identity = { headers: { 'x-user-id': `${SECRET}-header-${i}` }, body: { user: `${SECRET}-body-${i}` } };
      const answer = await chat(ROUTE, identity);
      await accepted({ model: ROUTE, thumbs: 'up', ...identity.body }, identity.headers);
      // The same user again: recorded again.
      await accepted({ model: ROUTE, thumbs: 'down', ...identity.body }, identity.headers);
      expected.push([answer.backend, 1], [answer.backend, 0]);
    }
    expect(new Set(expected.map(([backend]) => backend))).toEqual(new Set(['baseline', 'candidate']));
    const events = await eventsAfter(since, expected.length);
    expect(events.map((e) => [e.backend, e.value])).toEqual(expected);
    expect(events.every((e) => e.requestId === null && e.route === ROUTE)).toBe(true);
  }, 60_000);

  it("follows the route's current weights and its cohort's, as the chat requests do", async () => {
    const user = `${SECRET}-moving`;
    const since = await newestSeq();
    try {
      await admin.setWeights(ROUTE, { weights: { baseline: 100, candidate: 0 } });
      expect((await chat(ROUTE, { body: { user } })).backend).toBe('baseline');
      await accepted({ model: ROUTE, user, thumbs: 'up' });
      await admin.setWeights(ROUTE, { weights: { baseline: 0, candidate: 100 } });
      expect((await chat(ROUTE, { body: { user } })).backend).toBe('candidate');
      await accepted({ model: ROUTE, user, thumbs: 'up' });

      // A header cohort, all on the candidate, everyone else on the baseline.
      await admin.setWeights(ROUTE, {
        weights: { baseline: 100, candidate: 0 },
        cohort: { match: { header: 'x-tenant', values: ['acme'] }, weights: { candidate: 100 } },
      });
      const acme = { 'x-tenant': 'acme' };
      expect((await chat(ROUTE, { body: { user }, headers: acme })).backend).toBe('candidate');
      expect((await chat(ROUTE, { body: { user } })).backend).toBe('baseline');
      await accepted({ model: ROUTE, user, thumbs: 'up' }, acme);
      await accepted({ model: ROUTE, user, thumbs: 'up' });

      // A metadata cohort: the feedback's `metadata` places the user as a chat request's does.
      await admin.setWeights(ROUTE, {
        weights: { baseline: 100, candidate: 0 },
        cohort: { match: { metadata: 'tier', values: ['gold'] }, weights: { candidate: 100 } },
      });
      const gold = { user, metadata: { tier: 'gold' } };
      expect((await chat(ROUTE, { body: gold })).backend).toBe('candidate');
      await accepted({ model: ROUTE, thumbs: 'up', ...gold });
      await accepted({ model: ROUTE, thumbs: 'up', user, metadata: { tier: 'silver' } });
    } finally {
      await admin.setWeights(ROUTE, { weights: { baseline: 50, candidate: 50 }, cohort: null });
    }
    const events = await eventsAfter(since, 6);
    expect(events.map((e) => e.backend)).toEqual([
      'baseline',
      'candidate',
      'candidate',
      'baseline',
      'candidate',
      'baseline',
    ]);
  }, 60_000);

  it('refuses a bad body with a 400 naming the field and an unknown route with a 404, recording nothing', async () => {
    const before = await allFeedback();
    const droppedBefore = await droppedMetric();
    const answer = await chat(ROUTE);
    const id = answer.requestId;
    const cases: Array<[string, unknown, string]> = [
      ['not JSON', '{"model": ', 'body'],
      ['an array', '[1, 2]', 'body'],
      ['a string', '"thumbs up"', 'body'],
      ['no model', { request_id: id, thumbs: 'up' }, 'model'],
      ['an empty model', { model: '', request_id: id, thumbs: 'up' }, 'model'],
      ['a model that is not a string', { model: 7, request_id: id, thumbs: 'up' }, 'model'],
      ['both request_id and user', { model: ROUTE, request_id: id, user: SECRET, thumbs: 'up' }, 'user'],
      ['neither request_id nor user (nor a header)', { model: ROUTE, thumbs: 'up' }, 'request_id'],
      ['a blank user', { model: ROUTE, user: '   ', thumbs: 'up' }, 'user'],
      ['an empty user', { model: ROUTE, user: '', thumbs: 'up' }, 'user'],
      ['a user that is not a string', { model: ROUTE, user: 42, thumbs: 'up' }, 'user'],
      ['a request_id that is not a string', { model: ROUTE, request_id: 42, thumbs: 'up' }, 'request_id'],
      [
        'a request_id the gateway never returns',
        { model: ROUTE, request_id: `${SECRET} x`, thumbs: 'up' },
        'request_id',
      ],
      ['no feedback', { model: ROUTE, request_id: id }, 'thumbs'],
      ['thumbs and score', { model: ROUTE, request_id: id, thumbs: 'up', score: 3 }, 'score'],
      ['score and conversion', { model: ROUTE, request_id: id, score: 3, conversion: true }, 'conversion'],
      ['thumbs sideways', { model: ROUTE, request_id: id, thumbs: 'sideways' }, 'thumbs'],
      ['thumbs as a boolean', { model: ROUTE, request_id: id, thumbs: true }, 'thumbs'],
      ['a score as text', { model: ROUTE, request_id: id, score: '5' }, 'score'],
      ['a score above 1e6', { model: ROUTE, request_id: id, score: 1_000_001 }, 'score'],
      ['a score below -1e6', { model: ROUTE, request_id: id, score: -1_000_001 }, 'score'],
      ['an infinite score', `{"model":"${ROUTE}","request_id":"${id}","score":1e999}`, 'score'],
      ['a null score', { model: ROUTE, request_id: id, score: null }, 'score'],
      ['conversion false', { model: ROUTE, request_id: id, conversion: false }, 'conversion'],
      ['conversion as 1', { model: ROUTE, request_id: id, conversion: 1 }, 'conversion'],
      ['metadata that is not an object', { model: ROUTE, user: SECRET, thumbs: 'up', metadata: [SECRET] }, 'metadata'],
      ['an unknown field', { model: ROUTE, request_id: id, thumbs: 'up', comment: SECRET }, 'comment'],
      ['a misspelt field', { model: ROUTE, requestId: id, thumbs: 'up' }, 'requestId'],
    ];
    for (const [what, body, field] of cases) {
      const reply = await feedback(body);
      expect(reply.status, what).toBe(400);
      expect(reply.body, what).toEqual({ error: { type: 'invalid_request', message: expect.any(String) as string } });
      expect(reply.body.error.message, what).toMatch(new RegExp(`^${field}: `));
    }
    // The route is checked once the body is good, as for chat requests.
    const unknown = await feedback({ model: 'no-such-route', user: SECRET, thumbs: 'up' });
    expect(unknown.status).toBe(404);
    expect(unknown.body).toEqual({
      error: { type: 'route_not_found', message: "route 'no-such-route' is not defined" },
    });
    expect((await feedback({ model: 'no-such-route', request_id: id, thumbs: 'up' })).status).toBe(404);

    // The body limits of chat requests: size (413) and time (408).
    const huge = await feedback({ model: ROUTE, user: 'x'.repeat(3 * 1024 * 1024), thumbs: 'up' });
    expect(huge.status).toBe(413);
    expect(huge.body.error.type).toBe('request_too_large');
    const body = JSON.stringify({ model: ROUTE, request_id: id, thumbs: 'up' });
    const slow = await rawRequest(
      dataUrl,
      `POST /v1/feedback HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\n\r\n`,
      body.slice(0, 10),
      { timeoutMs: BODY_TIMEOUT_MS + 5_000 },
    );
    expect(slow.status).toBe(408);
    answers.push(slow.body);
    // Only POST.
    const get = await fetch(`${dataUrl}/v1/feedback`);
    expect(get.status).toBe(404);

    expect(await allFeedback()).toEqual(before);
    expect(await droppedMetric()).toEqual(droppedBefore);
  }, 60_000);

  it('drops feedback on a request id it never answered, or answered on another route, and counts it', async () => {
    const since = await newestSeq();
    await accepted({ model: ROUTE, request_id: 'never-answered-1', thumbs: 'up' });
    await accepted({ model: ROUTE, request_id: 'never-answered-2', conversion: true });
    expectDropped(ROUTE, 'unknown_request', 2);
    const answer = await chat(ROUTE);
    await accepted({ model: OTHER_ROUTE, request_id: answer.requestId, thumbs: 'up' });
    expectDropped(OTHER_ROUTE, 'unknown_request');
    expect(await droppedMetric()).toEqual(dropped);
    expect((await allFeedback()).filter((e) => e.seq > since)).toEqual([]);
    expect(await allFeedback(OTHER_ROUTE)).toEqual([]);
    // The request itself still takes feedback on its own route.
    await accepted({ model: ROUTE, request_id: answer.requestId, thumbs: 'up' });
    expect(await eventsAfter(since, 1)).toMatchObject([{ requestId: answer.requestId, backend: answer.backend }]);
  });

  it('drops a second feedback of the same kind on a request as a duplicate, and takes the other kinds', async () => {
    const since = await newestSeq();
    const answer = await chat(ROUTE);
    const id = answer.requestId;
    await accepted({ model: ROUTE, request_id: id, thumbs: 'up' });
    await accepted({ model: ROUTE, request_id: id, thumbs: 'down' });
    await accepted({ model: ROUTE, request_id: id, score: 2 });
    await accepted({ model: ROUTE, request_id: id, conversion: true });
    await accepted({ model: ROUTE, request_id: id, conversion: true });
    await accepted({ model: ROUTE, request_id: id, score: 9 });
    expectDropped(ROUTE, 'duplicate', 3);
    const events = await eventsAfter(since, 3);
    expect(events.map((e) => [e.kind, e.value, e.backend])).toEqual([
      ['thumbs', 1, answer.backend],
      ['score', 2, answer.backend],
      ['conversion', 1, answer.backend],
    ]);
    expect(await droppedMetric()).toEqual(dropped);
  });

  it('forgets request ids past --feedback-index-capacity: feedback on them is dropped as unknown', async () => {
    const oldest = await chat(ROUTE);
    const next = await chat(ROUTE);
    // Every live request counts, on any route; the oldest one is pushed out, the next one just stays.
    for (let i = 0; i < INDEX_CAPACITY - 1; i++) await chat(i % 2 ? ROUTE : OTHER_ROUTE);
    const since = await newestSeq();
    await accepted({ model: ROUTE, request_id: oldest.requestId, thumbs: 'up' });
    expectDropped(ROUTE, 'unknown_request');
    await accepted({ model: ROUTE, request_id: next.requestId, thumbs: 'up' });
    expect(await eventsAfter(since, 1)).toMatchObject([{ requestId: next.requestId, backend: next.backend }]);
    expect(await droppedMetric()).toEqual(dropped);
  }, 60_000);

  it('pages the events like the records: since, epoch and limit, restarted across epochs, behind the token', async () => {
    const whole = await allFeedback();
    expect(whole.length).toBeGreaterThan(50);
    const paged = await allFeedback(ROUTE, 7);
    expect(paged).toEqual(whole);
    const seqs = whole.map((e) => e.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    const { epoch } = await admin.info();
    expect(whole.every((e) => e.epoch === epoch)).toBe(true);

    const later = await admin.feedback(ROUTE, { since: whole[9]!.seq, epoch, limit: 5 });
    expect(later).toMatchObject({ epoch, restarted: false, lost: 0 });
    expect(later.feedback).toEqual(whole.slice(10, 15));
    expect(later.nextSince).toBe(whole[14]!.seq);
    const foreign = await admin.feedback(ROUTE, { since: 999_999, epoch: 'another-epoch', limit: 3 });
    expect(foreign).toMatchObject({ epoch, restarted: true });
    expect(foreign.feedback).toEqual(whole.slice(0, 3));

    const path = `/admin/routes/${ROUTE}/feedback?since=0`;
    for (const authorization of [undefined, 'Bearer not-the-token-0123456789abcdef']) {
      const reply = await fetch(`${admin.adminUrl}${path}`, { headers: authorization ? { authorization } : {} });
      expect(reply.status).toBe(401);
      expect(reply.headers.get('www-authenticate')).toBe('Bearer realm="llm-rollout-gateway"');
      const text = await reply.text();
      expect(text).not.toContain('"feedback"');
      answers.push(text);
    }
    // Nor is it on the data plane.
    expect((await fetch(`${dataUrl}${path}`, { headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(404);
    await expect(admin.feedback('no-such-route', { since: 0 })).rejects.toMatchObject({
      status: 404,
      type: 'route_not_found',
    } satisfies Partial<GatewayRefusedError>);
    await expect(admin.feedback(ROUTE, { since: 0, limit: 0 })).rejects.toMatchObject({ status: 400 });
    await expect(admin.feedback(ROUTE, { since: 0, epoch: 'not an epoch' })).rejects.toMatchObject({ status: 400 });
  });

  it('counts in llm_gateway_feedback_* exactly what was recorded, per backend and kind, and what was dropped', async () => {
    const events = [...(await allFeedback()), ...(await allFeedback(RESCUED_ROUTE))];
    const expected = tally(events);
    expect(Object.keys(expected)).toEqual(
      expect.arrayContaining([
        `${ROUTE}/baseline/thumbs`,
        `${ROUTE}/candidate/thumbs`,
        `${ROUTE}/baseline/score`,
        `${ROUTE}/candidate/conversion`,
        `${RESCUED_ROUTE}/spare/score`,
      ]),
    );
    const series = await seriesTally();
    expect(Object.keys(series).sort()).toEqual(Object.keys(expected).sort());
    for (const [key, [count, sum]] of Object.entries(expected)) {
      expect(series[key]![0], key).toBe(count);
      expect(series[key]![1], key).toBeCloseTo(sum, 9);
    }
    // Scores below zero lower the sum: some are negative here.
    expect(events.some((e) => e.kind === 'score' && e.value < 0)).toBe(true);
    expect(await droppedMetric()).toEqual(dropped);
  });

  it('keeps the events in memory only: after kill -9 and a restart they are gone, and so is the index', async () => {
    const answer = await chat(ROUTE);
    const { epoch: oldEpoch } = await admin.info();
    const last = await newestSeq();
    await gateway.kill9();
    gateway = await gateways.start(['--feedback-capacity', '5', ...args]);
    dropped = {};
    expect(await admin.feedback(ROUTE, { since: last, epoch: oldEpoch })).toMatchObject({
      restarted: true,
      feedback: [],
    });
    // The route came back from the state file, the answer's request id did not.
    await accepted({ model: ROUTE, request_id: answer.requestId, thumbs: 'up' });
    expectDropped(ROUTE, 'unknown_request');
    for (let i = 0; i < 8; i++) await accepted({ model: ROUTE, user: `${SECRET}-after-${i}`, score: i });
    // --feedback-capacity 5: the ring keeps the last five and says three were lost.
    const page = await admin.feedback(ROUTE, { since: 0 });
    expect(page.feedback.map((e) => [e.seq, e.value])).toEqual([
      [4, 3],
      [5, 4],
      [6, 5],
      [7, 6],
      [8, 7],
    ]);
    expect(page).toMatchObject({ restarted: false, lost: 3 });
    expect(await droppedMetric()).toEqual(dropped);
  }, 60_000);

  it('attributes feedback in the primary with --processes 2, sent on other connections than the answers', async () => {
    await gateway.kill9();
    gateway = await gateways.start(['--processes', '2', ...args]);
    dropped = {};
    expect((await admin.info()).processes).toMatchObject({ workers: 2, alive: 2 });
    // Each call on a new connection: the primary hands them to the workers in turn, so each answer's
    // feedback is served by the other worker, sent the moment the answer is in, and may reach the
    // primary before the answer's record does.
    const answered = await chatsOnBothBackends(40, 'workers');
    for (const [i, answer] of answered.entries())
      await accepted({ model: ROUTE, request_id: answer.requestId, score: i });
    // Interleaved: answer, feedback, answer, feedback, ...
    const interleaved: Answer[] = [];
    for (let i = 0; i < 20; i++) {
      const answer = await chat(ROUTE, { headers: { 'x-session-id': `workers-interleaved-${i}` } });
      await accepted({ model: ROUTE, request_id: answer.requestId, thumbs: 'up' });
      interleaved.push(answer);
    }
    const users: Array<[string, string]> = [];
    for (let i = 0; i < 20; i++) {
      const user = `${SECRET}-workers-${i}`;
      users.push([user, (await chat(ROUTE, { body: { user } })).backend]);
      await accepted({ model: ROUTE, user, conversion: true });
    }
    // The same request's thumbs twice, on two connections (two workers): one is a duplicate.
    const twice = answered[0]!;
    await accepted({ model: ROUTE, request_id: twice.requestId, thumbs: 'up' });
    await accepted({ model: ROUTE, request_id: twice.requestId, thumbs: 'down' });
    expectDropped(ROUTE, 'duplicate');
    await accepted({ model: ROUTE, request_id: 'never-answered-workers', thumbs: 'up' });
    expectDropped(ROUTE, 'unknown_request');

    const total = answered.length + interleaved.length + users.length + 1;
    const events = await eventsAfter(0, total);
    expect(events).toHaveLength(total);
    const { epoch } = await admin.info();
    expect(events.every((e) => e.epoch === epoch)).toBe(true);
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
    for (const answer of [...answered, ...interleaved]) {
      const mine = events.filter((e) => e.requestId === answer.requestId);
      expect(mine.length, answer.requestId).toBeGreaterThan(0);
      expect(mine.every((e) => e.backend === answer.backend)).toBe(true);
    }
    expect(events.filter((e) => e.kind === 'conversion').map((e) => e.backend)).toEqual(
      users.map(([, backend]) => backend),
    );
    // The unknown id is dropped after the primary's second look.
    await eventually('the unknown id counted', async () =>
      (await droppedMetric())[`${ROUTE}/unknown_request`] === 1 ? true : undefined,
    );
    expect(await droppedMetric()).toEqual(dropped);
    const series = await seriesTally();
    for (const [key, [count, sum]] of Object.entries(tally(events))) {
      expect(series[key]![0], key).toBe(count);
      expect(series[key]![1], key).toBeCloseTo(sum, 9);
    }
  }, 90_000);
});

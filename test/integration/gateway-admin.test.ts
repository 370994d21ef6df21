// The admin API contract over real HTTP (on the admin plane, with the token), plus the data
// plane's error paths (404, 400, 413, 502). Refusals of the admin plane: gateway-admin-auth.test.ts.
import { createServer } from 'node:http';
import type { IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, it, expect } from 'vitest';
import type { RecordsPage, RouteState } from '../../gateway/admin-api';
import { startGateway } from '../../gateway/server';
import type { GatewayHandle } from '../../gateway/server';
import { startSimulatedBackend } from '../../simulator/sim-backend';
import type { SimulatedBackend } from '../../simulator/sim-backend';

const INSTANT = { latencyMedianMs: 0, latencySigma: 0 };

let sim: SimulatedBackend;
let gateway: GatewayHandle;

interface Reply {
  status: number;
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any -- assertions inspect arbitrary JSON
  headers: Headers;
}

/** /admin paths go to the admin plane with the token, everything else to `base` (the data plane). */
async function call(method: string, path: string, body?: unknown, base = gateway.url): Promise<Reply> {
  const admin = path.startsWith('/admin');
  const headers: Record<string, string> = admin ? { authorization: `Bearer ${gateway.adminToken}` } : {};
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`${admin ? gateway.adminUrl : base}${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null, headers: res.headers };
}

function definition(...names: string[]) {
  return { backends: names.map((name) => ({ name, baseUrl: sim.url, model: 'sim-admin-8b' })) };
}

/** Port that was free a moment ago and has nothing listening now. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

beforeAll(async () => {
  sim = await startSimulatedBackend({ model: 'sim-admin-8b', behaviour: INSTANT });
  gateway = await startGateway({ defaultMetrics: false, maxBodyBytes: 64 * 1024 });
});

afterAll(async () => {
  await gateway?.close();
  await sim?.close();
});

describe('admin API', () => {
  it('answers /healthz on both planes and /admin/info with the epoch', async () => {
    expect(await call('GET', '/healthz')).toMatchObject({ status: 200, body: { ok: true } });
    expect(await call('GET', '/healthz', undefined, gateway.adminUrl)).toMatchObject({
      status: 200,
      body: { ok: true },
    });
    const info = await call('GET', '/admin/info');
    expect(info).toMatchObject({ status: 200, body: { epoch: gateway.epoch, routes: 0 } });
    expect(Date.parse(info.body.startedAt)).toBeGreaterThan(Date.now() - 60_000);
    expect(gateway.epoch).toMatch(/^[0-9a-z]+-[0-9a-f]{6}$/);
  });

  it('creates a route on the baseline and treats a repeated PUT as a no-op', async () => {
    const created = await call('PUT', '/admin/routes/chat', definition('baseline', 'candidate'));
    expect(created.status).toBe(200);
    expect(created.body).toMatchObject({
      route: 'chat',
      weights: { baseline: 100, candidate: 0 },
      shadow: { enabled: false, target: null, share: 0 },
      version: 1,
    });
    const again = await call('PUT', '/admin/routes/chat', definition('baseline', 'candidate'));
    expect(again.body).toEqual(created.body);
    expect((await call('GET', '/admin/routes/chat')).body).toEqual(created.body);
    expect((await call('GET', '/admin/routes')).body.routes.map((r: RouteState) => r.route)).toContain('chat');
  });

  it('sets weights and shadow idempotently', async () => {
    const first = await call('PUT', '/admin/routes/chat/weights', { weights: { baseline: 95, candidate: 5 } });
    const second = await call('PUT', '/admin/routes/chat/weights', { weights: { baseline: 95, candidate: 5 } });
    expect(first.status).toBe(200);
    expect(second.body.version).toBe(first.body.version);
    const shadowOn = await call('PUT', '/admin/routes/chat/shadow', {
      enabled: true,
      target: 'candidate',
      share: 0.25,
    });
    const shadowAgain = await call('PUT', '/admin/routes/chat/shadow', {
      enabled: true,
      target: 'candidate',
      share: 0.25,
    });
    expect(shadowOn.body.version).toBe(first.body.version + 1);
    expect(shadowAgain.body.version).toBe(shadowOn.body.version);

    const metrics = await (await fetch(`${gateway.adminUrl}/metrics`)).text();
    expect(metrics).toContain('llm_gateway_backend_weight{route="chat",backend="candidate"} 5');
    expect(metrics).toContain('llm_gateway_shadow_share{route="chat"} 0.25');
  });

  it('rejects bad requests naming the field and leaves the route unchanged', async () => {
    const before = (await call('GET', '/admin/routes/chat')).body;
    const cases: Array<[string, string, unknown, number, string]> = [
      ['PUT', '/admin/routes/chat/weights', { weights: { baseline: 50, candidate: 40 } }, 400, 'weights'],
      ['PUT', '/admin/routes/chat/weights', { weights: { baseline: 50.5, candidate: 49.5 } }, 400, 'weights.baseline'],
      ['PUT', '/admin/routes/chat/weights', { weights: { baseline: 90, ghost: 10 } }, 409, 'weights.ghost'],
      ['PUT', '/admin/routes/chat/weights', '{not json', 400, 'body'],
      ['PUT', '/admin/routes/chat/weights', [1, 2], 400, 'body'],
      ['PUT', '/admin/routes/chat/shadow', { enabled: true, share: 2 }, 400, 'share'],
      ['PUT', '/admin/routes/chat/shadow', { enabled: true, target: 'ghost' }, 409, 'target'],
      [
        'PUT',
        '/admin/routes/chat',
        { backends: [{ name: 'baseline', baseUrl: 'not a url', model: 'm' }] },
        400,
        'backends[0].baseUrl',
      ],
      ['PUT', '/admin/routes/chat', definition('baseline'), 409, 'backends'],
    ];
    for (const [method, path, body, status, field] of cases) {
      const reply = await call(method, path, body);
      expect(reply.status, `${method} ${path} ${JSON.stringify(body)}`).toBe(status);
      expect(reply.body.error.message).toContain(field);
      expect(reply.body.error.type).toBe(status === 400 ? 'invalid_request' : 'conflict');
    }
    expect((await call('GET', '/admin/routes/chat')).body).toEqual(before);
  });

  it('404s unknown routes in the OpenAI error shape and 405s wrong methods', async () => {
    expect(await call('GET', '/admin/routes/nope')).toMatchObject({
      status: 404,
      body: { error: { type: 'route_not_found' } },
    });
    expect(await call('PUT', '/admin/routes/nope/weights', { weights: { a: 100 } })).toMatchObject({ status: 404 });
    expect(await call('GET', '/admin/routes/nope/records')).toMatchObject({ status: 404 });
    const wrong = await call('POST', '/admin/routes/chat/weights', { weights: { baseline: 100 } });
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get('allow')).toBe('PUT');
  });

  it('pages per-request records with since/limit and validates the parameters', async () => {
    for (let i = 0; i < 5; i++) {
      const res = await call('POST', '/v1/chat/completions', {
        model: 'chat',
        user: `pager-${i}`,
        messages: [{ role: 'user', content: `question ${i}` }],
      });
      expect(res.status).toBe(200);
    }
    const first = (await call('GET', '/admin/routes/chat/records?limit=3')).body as RecordsPage;
    expect(first.records).toHaveLength(3);
    expect(first).toMatchObject({ epoch: gateway.epoch, restarted: false, lost: 0 });
    expect(first.records.every((r) => r.epoch === gateway.epoch)).toBe(true);
    // The same epoch continues where it was; another one (a process gone) starts again from the first record.
    const same = (
      await call('GET', `/admin/routes/chat/records?since=${first.nextSince}&epoch=${gateway.epoch}&limit=100`)
    ).body as RecordsPage;
    expect(same.restarted).toBe(false);
    expect(same.records[0]?.seq).toBeGreaterThan(first.nextSince);
    const other = (await call('GET', `/admin/routes/chat/records?since=${first.nextSince}&epoch=gone-000000&limit=100`))
      .body as RecordsPage;
    expect(other).toMatchObject({ epoch: gateway.epoch, restarted: true, lost: 0 });
    expect(other.records[0]?.seq).toBe(first.records[0]?.seq);
    expect(await call('GET', '/admin/routes/chat/records?epoch=not%20an%20epoch')).toMatchObject({ status: 400 });
    const rest = (await call('GET', `/admin/routes/chat/records?since=${first.nextSince}&limit=100`))
      .body as RecordsPage;
    const seqs = [...first.records, ...rest.records].map((r) => r.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(new Set(seqs).size).toBe(seqs.length);
    expect(
      rest.records.filter((r) => r.mode === 'live').length + first.records.filter((r) => r.mode === 'live').length,
    ).toBe(5);
    expect(first.records[0]).toMatchObject({
      route: 'chat',
      model: 'sim-admin-8b',
      status: 200,
      validJson: null,
      refusal: false,
    });
    expect(first.records[0]?.promptTokens).toBeGreaterThan(0);
    expect(await call('GET', '/admin/routes/chat/records?since=-1')).toMatchObject({ status: 400 });
    expect((await call('GET', '/admin/routes/chat/records?limit=0')).body.error.message).toContain('limit');
  });

  it('says how many records the ring buffer overwrote before they were read', async () => {
    const small = await startGateway({
      defaultMetrics: false,
      recordsCapacity: 3,
      routes: { tiny: definition('only') },
    });
    try {
      for (let i = 0; i < 5; i++) {
        const res = await fetch(`${small.baseUrl}/chat/completions`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ model: 'tiny', messages: [{ role: 'user', content: 'hi' }] }),
        });
        expect(res.status).toBe(200);
      }
      const page = (await (
        await fetch(`${small.adminUrl}/admin/routes/tiny/records?since=0`, {
          headers: { authorization: `Bearer ${small.adminToken}` },
        })
      ).json()) as RecordsPage;
      expect(page.records.map((r) => r.seq)).toEqual([3, 4, 5]);
      expect(page).toMatchObject({ lost: 2, restarted: false, nextSince: 5 });
    } finally {
      await small.close();
    }
  });

  it('deletes a route and its gauges', async () => {
    await call('PUT', '/admin/routes/temp', definition('only'));
    expect((await call('DELETE', '/admin/routes/temp')).status).toBe(204);
    expect((await call('GET', '/admin/routes/temp')).status).toBe(404);
    expect(await (await fetch(`${gateway.adminUrl}/metrics`)).text()).not.toContain('route="temp"');
  });
});

describe('data plane errors', () => {
  it('404s an unknown route and 400s a missing model or bad JSON', async () => {
    const unknown = await call('POST', '/v1/chat/completions', { model: 'nope', messages: [] });
    expect(unknown).toMatchObject({ status: 404, body: { error: { type: 'route_not_found' } } });
    expect(unknown.body.error.message).toContain('nope');
    const missing = await call('POST', '/v1/chat/completions', { messages: [] });
    expect(missing.status).toBe(400);
    expect(missing.body.error.message).toContain('model');
    expect((await call('POST', '/v1/chat/completions', '{"model":')).status).toBe(400);
  });

  it('rejects an oversized body with 413', async () => {
    const huge = { model: 'chat', messages: [{ role: 'user', content: 'x'.repeat(100 * 1024) }] };
    expect(await call('POST', '/v1/chat/completions', huge)).toMatchObject({
      status: 413,
      body: { error: { type: 'request_too_large' } },
    });
  });

  it('passes upstream error statuses through and records them', async () => {
    sim.setBehaviour({ errorRate: 1 });
    try {
      const reply = await call('POST', '/v1/chat/completions', {
        model: 'chat',
        user: 'err',
        messages: [{ role: 'user', content: 'hi' }],
      });
      expect([500, 503]).toContain(reply.status);
      expect(reply.body.error.message).toContain('simulated');
    } finally {
      sim.setBehaviour({ errorRate: 0 });
    }
  });

  it('returns 502 for an unreachable backend and counts it as code 502', async () => {
    const port = await closedPort();
    await call('PUT', '/admin/routes/dead', {
      backends: [{ name: 'gone', baseUrl: `http://127.0.0.1:${port}/v1`, model: 'sim-gone' }],
    });
    const reply = await call('POST', '/v1/chat/completions', {
      model: 'dead',
      messages: [{ role: 'user', content: 'hi' }],
    });
    expect(reply).toMatchObject({ status: 502, body: { error: { type: 'upstream_unavailable' } } });
    expect(reply.headers.get('x-rollout-backend')).toBe('gone');
    const records = (await call('GET', '/admin/routes/dead/records')).body as RecordsPage;
    expect(records.records.map((r) => r.status)).toEqual([502]);
    expect(await (await fetch(`${gateway.adminUrl}/metrics`)).text()).toContain(
      'llm_gateway_requests_total{route="dead",backend="gone",model="sim-gone",mode="live",code="502"} 1',
    );
  });

  it('returns 502 when the backend does not answer within the timeout', async () => {
    const slow = await startSimulatedBackend({
      model: 'sim-slow',
      behaviour: { latencyMedianMs: 3000, latencySigma: 0 },
    });
    const impatient = await startGateway({
      defaultMetrics: false,
      upstreamTimeoutMs: 200,
      routes: { slow: { backends: [{ name: 'slow', baseUrl: slow.url, model: 'sim-slow' }] } },
    });
    try {
      const started = performance.now();
      const reply = await call(
        'POST',
        '/v1/chat/completions',
        { model: 'slow', messages: [{ role: 'user', content: 'hi' }] },
        impatient.url,
      );
      expect(reply.status).toBe(502);
      expect(reply.body.error.message).toContain('200 ms');
      expect(performance.now() - started).toBeLessThan(2000);
    } finally {
      await impatient.close();
      await slow.close();
    }
  });

  it('sends the backend model, its API key and the request id upstream', async () => {
    const seen: Array<{ headers: IncomingHttpHeaders; body: Record<string, unknown> }> = [];
    // A recording double stands in for a backend: the assertion is about what the gateway sends.
    const recorder = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        seen.push({
          headers: req.headers,
          body: JSON.parse(Buffer.concat(chunks).toString()) as Record<string, unknown>,
        });
        res.writeHead(200, { 'content-type': 'application/json' }).end(
          JSON.stringify({
            choices: [{ message: { role: 'assistant', content: 'ok' } }],
            usage: { prompt_tokens: 1, completion_tokens: 1 },
          }),
        );
      });
    });
    await new Promise<void>((resolve) => recorder.listen(0, '127.0.0.1', resolve));
    const { port } = recorder.address() as AddressInfo;
    try {
      await call('PUT', '/admin/routes/keyed', {
        backends: [
          { name: 'vendor', baseUrl: `http://127.0.0.1:${port}/v1/`, model: 'vendor-model-x', apiKey: 'sk-test-123' },
        ],
      });
      expect(JSON.stringify((await call('GET', '/admin/routes/keyed')).body)).not.toContain('sk-test-123');
      const res = await fetch(`${gateway.baseUrl}/chat/completions`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-request-id': 'trace-77',
          authorization: 'Bearer client-token',
        },
        body: JSON.stringify({ model: 'keyed', temperature: 0.2, messages: [{ role: 'user', content: 'hi' }] }),
      });
      expect(res.status).toBe(200);
      expect(seen).toHaveLength(1);
      expect(seen[0]?.body).toMatchObject({ model: 'vendor-model-x', temperature: 0.2 });
      expect(seen[0]?.headers.authorization).toBe('Bearer sk-test-123');
      expect(seen[0]?.headers['x-request-id']).toBe('trace-77');
    } finally {
      await new Promise<void>((resolve) => recorder.close(() => resolve()));
    }
  });

  it('lists routes as models', async () => {
    const models = await call('GET', '/v1/models');
    expect(models.body.data.map((m: { id: string }) => m.id)).toContain('chat');
  });
});

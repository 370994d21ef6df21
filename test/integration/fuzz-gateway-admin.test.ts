// Hostile input at the gateway's admin API, on a real gateway in this process: junk and
// wrong-typed bodies for every PUT route (definition, weights, shadow, rollout marker), bodies
// past the limit, missing/wrong/huge/garbled bearer tokens, and hostile route names (traversal,
// bad percent-encoding, unicode). Each refusal is a 4xx OpenAI-style error naming the field; the
// route table (apiKeys included) is exactly as before; no answer ever holds the admin token or a
// backend's apiKey.
import fc from 'fast-check';
import { issuePath } from '../../lib/zod-issues';
import '../support/fuzz-seed';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROUTE_NAME_PATTERN } from '../../gateway/route-schemas';
import { startGateway, type GatewayHandle } from '../../gateway/server';
import { rawRequest } from '../support/raw-http';

const TOKEN = 'admin-token-for-fuzz-tests-9f8e7d6c5b4a';
const API_KEY = 'sk-backend-secret-admin-fuzz-31c2';
const LIMIT = 16 * 1024;
const BACKENDS = [
  { name: 'live', baseUrl: 'http://127.0.0.1:9/v1', model: 'm-live', apiKey: API_KEY },
  { name: 'candidate', baseUrl: 'http://127.0.0.1:9/v1', model: 'm-candidate', apiKey: API_KEY },
];

let gateway: GatewayHandle;
const inputs = { bodies: 0, sizes: 0, tokens: 0, names: 0 };

beforeAll(async () => {
  gateway = await startGateway({ defaultMetrics: false, adminToken: TOKEN, maxBodyBytes: LIMIT });
  // A route in a state other than the defaults, so a refused change that slipped through would show.
  for (const [path, body] of [
    ['/admin/routes/chat', { backends: BACKENDS }],
    ['/admin/routes/chat/weights', { weights: { live: 90, candidate: 10 } }],
    ['/admin/routes/chat/shadow', { enabled: true, target: 'candidate', share: 0.25 }],
    ['/admin/routes/chat/rollout', { rollout: 'r-1', stage: 'canary-10' }],
  ] as const) {
    expect((await admin('PUT', path, JSON.stringify(body))).status).toBe(200);
  }
});

afterAll(async () => {
  const total = Object.values(inputs).reduce((a, b) => a + b, 0);
  console.log(`gateway admin API: ${total} inputs (${JSON.stringify(inputs)})`);
  await gateway?.close();
});

async function admin(
  method: string,
  path: string,
  body?: string,
  authorization = `Bearer ${TOKEN}`,
): Promise<{ status: number; text: string }> {
  const res = await fetch(`${gateway.adminUrl}${path}`, { method, headers: { authorization }, body });
  const text = await res.text();
  expectNoSecret(text + JSON.stringify([...res.headers.entries()]));
  return { status: res.status, text };
}

function expectNoSecret(text: string): void {
  expect(text).not.toContain(TOKEN);
  expect(text).not.toContain(API_KEY);
}

/** An OpenAI-style error whose message starts with `field: ` (when given). */
function expectError(text: string, field?: string): void {
  const body = JSON.parse(text) as { error?: { type?: unknown; message?: unknown } };
  expect(typeof body.error?.type).toBe('string');
  expect(typeof body.error?.message).toBe('string');
  if (field !== undefined) expect((body.error!.message as string).startsWith(`${field}: `)).toBe(true);
}

/** Everything the gateway holds about its routes, upstream keys included. */
const tableNow = () => JSON.stringify(gateway.routes.snapshot());

const json = fc.jsonValue({ maxDepth: 2 });
const notA = (kind: 'object' | 'array' | 'string' | 'boolean' | 'number') =>
  json.filter((v) =>
    kind === 'object'
      ? typeof v !== 'object' || v === null || Array.isArray(v)
      : kind === 'array'
        ? !Array.isArray(v)
        : typeof v !== kind,
  );
/** A field name none of the bodies has. */
const unknownKey = fc
  .string({ minLength: 1, maxLength: 12 })
  .filter((k) => !['backends', 'weights', 'enabled', 'target', 'share', 'rollout', 'stage', '__proto__'].includes(k));
const badMarker = fc.oneof(
  notA('string'),
  fc.string({ unit: 'binary', maxLength: 30 }).filter((s) => !/^[A-Za-z0-9][A-Za-z0-9._:@/-]{0,199}$/.test(s)),
  fc.constant('x'.repeat(201)),
);

type Case = { path: string; body: string; status: number; field: string };
const at = (path: string, status: number, field: string) => (body: unknown) =>
  ({ path, body: JSON.stringify(body), status, field }) satisfies Case;

/** Bodies with exactly one thing wrong, and what the gateway must name. */
const refusedChanges: fc.Arbitrary<Case> = fc.oneof(
  fc
    .tuple(
      fc.constantFrom('', '/weights', '/shadow', '/rollout'),
      fc.oneof(
        fc.string({ unit: 'binary', maxLength: 80 }),
        notA('object').map((v) => JSON.stringify(v)),
      ),
    )
    .filter(([, text]) => {
      try {
        const v: unknown = JSON.parse(text);
        return typeof v !== 'object' || v === null || Array.isArray(v);
      } catch {
        return true;
      }
    })
    .map(([suffix, body]) => ({ path: `/admin/routes/chat${suffix}`, body, status: 400, field: 'body' })),
  // The route definition.
  notA('array').map((backends) => at('/admin/routes/chat', 400, 'backends')({ backends })),
  fc.constant(at('/admin/routes/chat', 400, 'backends')({ backends: [] })),
  fc
    .oneof(
      notA('string'),
      fc.string().map((s) => `ftp://${s}`),
      fc.constant('not a url'),
    )
    .map((baseUrl) =>
      at('/admin/routes/chat', 400, 'backends[0].baseUrl')({ backends: [{ ...BACKENDS[0], baseUrl }, BACKENDS[1]] }),
    ),
  fc
    .oneof(
      notA('string'),
      fc.string({ unit: 'binary' }).filter((s) => !/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(s)),
    )
    .map((name) =>
      at('/admin/routes/chat', 400, 'backends[1].name')({ backends: [BACKENDS[0], { ...BACKENDS[1], name }] }),
    ),
  fc
    .tuple(unknownKey, json)
    .map(([key, value]) => at('/admin/routes/chat', 400, issuePath([key]))({ backends: BACKENDS, [key]: value })),
  // Dropping a backend that carries weight is a conflict.
  fc.constant(at('/admin/routes/chat', 409, 'backends')({ backends: [BACKENDS[1]] })),
  // Weights.
  notA('object').map((weights) => at('/admin/routes/chat/weights', 400, 'weights')({ weights })),
  fc
    .oneof(
      notA('number'),
      fc.double({ min: 0.01, max: 99.99, noInteger: true }),
      fc.integer({ min: 101 }),
      fc.integer({ max: -1 }),
    )
    .map((live) => at('/admin/routes/chat/weights', 400, 'weights.live')({ weights: { live, candidate: 10 } })),
  fc
    .tuple(fc.integer({ min: 0, max: 100 }), fc.integer({ min: 0, max: 100 }))
    .filter(([a, b]) => a + b !== 100)
    .map(([live, candidate]) => at('/admin/routes/chat/weights', 400, 'weights')({ weights: { live, candidate } })),
  fc
    .stringMatching(/^[a-z]{1,10}$/)
    .filter((name) => name !== 'live' && name !== 'candidate')
    .map((name) => at('/admin/routes/chat/weights', 409, `weights.${name}`)({ weights: { live: 90, [name]: 10 } })),
  // Shadow.
  notA('boolean').map((enabled) => at('/admin/routes/chat/shadow', 400, 'enabled')({ enabled, share: 0.5 })),
  fc
    .oneof(notA('number'), fc.double({ min: 1.0001, noNaN: true }), fc.double({ max: -0.0001, noNaN: true }))
    .map((share) => at('/admin/routes/chat/shadow', 400, 'share')({ enabled: true, share })),
  fc.constant(at('/admin/routes/chat/shadow', 409, 'target')({ enabled: true, target: 'ghost' })),
  fc
    .tuple(unknownKey, json)
    .map(([key, v]) => at('/admin/routes/chat/shadow', 400, issuePath([key]))({ enabled: false, [key]: v })),
  // Rollout marker.
  badMarker.map((rollout) => at('/admin/routes/chat/rollout', 400, 'rollout')({ rollout, stage: 'canary-10' })),
  badMarker.map((stage) => at('/admin/routes/chat/rollout', 400, 'stage')({ rollout: 'r-2', stage })),
  fc.constant(at('/admin/routes/chat/rollout', 400, 'stage')({ rollout: 'r-2' })),
);

describe('gateway admin API under hostile input', () => {
  it('refuses every wrong body naming the field, and leaves the route table exactly as it was', async () => {
    const before = tableNow();
    await fc.assert(
      fc.asyncProperty(refusedChanges, async ({ path, body, status, field }) => {
        inputs.bodies++;
        const reply = await admin('PUT', path, body);
        expect(reply.status).toBe(status);
        expectError(reply.text, field);
        expect(tableNow()).toBe(before);
      }),
      { numRuns: 250 },
    );
  });

  it('413s every body past the limit on every PUT route', async () => {
    const before = tableNow();
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('', '/weights', '/shadow', '/rollout'),
        fc.integer({ min: LIMIT + 1, max: 4 * LIMIT }),
        async (suffix, size) => {
          inputs.sizes++;
          const reply = await admin('PUT', `/admin/routes/chat${suffix}`, `{"pad":"${'p'.repeat(size - 10)}"}`);
          expect(reply.status).toBe(413);
          expectError(reply.text);
          expect(tableNow()).toBe(before);
        },
      ),
      { numRuns: 40 },
    );
  });

  it('refuses missing, wrong, huge and garbled bearer tokens before reading the change', async () => {
    const before = tableNow();
    const authorization = fc.oneof(
      fc.string({ maxLength: 40 }),
      fc.string({ maxLength: 40 }).map((s) => `Bearer ${s}`),
      fc.constantFrom(
        `Basic ${TOKEN}`,
        `Bearer ${TOKEN}x`,
        `Bearer ${TOKEN.slice(1)}`,
        `Bearer ${TOKEN.toUpperCase()}`,
      ),
      fc.constantFrom(`Bearer ${TOKEN} ${TOKEN}`, `Bearer\t${TOKEN}`, `bearer  ${TOKEN.slice(0, -1)}`),
      fc.integer({ min: 100, max: 20_000 }).map((n) => `Bearer ${'t'.repeat(n)}`),
      fc
        .tuple(fc.string({ maxLength: 10 }), fc.constantFrom('\r', '\n', '\0', '\r\n\r\n'))
        .map(([s, c]) => `Bearer ${s}${c}${TOKEN}`),
      fc.string({ unit: 'binary', maxLength: 40 }).map((s) => `Bearer ${s}`),
    );
    // A change that would be accepted with the right token.
    const change = JSON.stringify({ weights: { live: 50, candidate: 50 } });
    await fc.assert(
      fc.asyncProperty(authorization, async (value) => {
        inputs.tokens++;
        const head =
          `PUT /admin/routes/chat/weights HTTP/1.1\r\nhost: admin\r\nconnection: close\r\ncontent-type: application/json\r\n` +
          `authorization: ${value}\r\ncontent-length: ${change.length}\r\n\r\n`;
        const reply = await rawRequest(gateway.adminUrl, Buffer.from(head, 'utf8').toString('latin1'), change);
        expect([400, 401, 431]).toContain(reply.status);
        expectError(reply.body);
        expectNoSecret(reply.body + JSON.stringify(reply.headers));
        expect(tableNow()).toBe(before);
      }),
      { numRuns: 200 },
    );
  });

  it('defines a route under any name the pattern allows, refuses every other name, and touches no other route', async () => {
    const before = tableNow();
    const definition = JSON.stringify({ backends: [{ name: 'only', baseUrl: 'http://127.0.0.1:9/v1', model: 'm' }] });
    const name = fc.oneof(
      fc.string({ unit: 'binary', minLength: 1, maxLength: 40 }),
      fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._:@/-]{0,20}$/),
      fc.constantFrom(
        '..',
        '../chat',
        'chat/../../info',
        '%2e%2e',
        'chat%00',
        '\u202echat',
        'ch\u0000at',
        'x'.repeat(129),
        'chat',
      ),
    );
    await fc.assert(
      fc.asyncProperty(name, async (route) => {
        inputs.names++;
        if (route === 'chat') return; // the fixture's own route
        const path = `/admin/routes/${encodeURIComponent(route)}`;
        const put = await admin('PUT', path, definition);
        if (ROUTE_NAME_PATTERN.test(route)) {
          expect(put.status).toBe(200);
          expect(JSON.parse(put.text)).toMatchObject({ route, weights: { only: 100 } });
          expect((await admin('GET', path)).status).toBe(200);
          expect((await admin('DELETE', path)).status).toBe(204);
        } else if (route === '.' || route === '..') {
          // A dot segment, encoded or not, is resolved away by URL parsing: no route is addressed.
          expect(put.status).toBe(404);
          expectError(put.text);
        } else {
          expect(put.status).toBe(400);
          expectError(put.text, 'route');
          expect((await admin('GET', path)).status).toBe(404);
        }
        expect(tableNow()).toBe(before);
      }),
      { numRuns: 200 },
    );
    // Raw paths too (not DELETE: some resolve to the fixture's own route): dot segments, broken percent-encoding, doubled slashes, encoded slashes.
    const raw = fc.oneof(
      fc.constantFrom('/admin/routes/%', '/admin/routes/%zz/weights', '/admin/routes/%E0%A4%A', '/admin//routes//chat'),
      fc.constantFrom(
        '/admin/routes/chat/../../info',
        '/admin/routes/%2e%2e/%2e%2e/info',
        '/admin/routes/chat%2Fweights',
      ),
      fc
        .array(fc.constantFrom('admin', 'routes', 'chat', '..', '.', '%2F', '%', 'weights', '\u00e9', ''), {
          maxLength: 6,
        })
        .map((s) => `/${s.join('/')}`),
    );
    await fc.assert(
      fc.asyncProperty(raw, fc.constantFrom('GET', 'PUT', 'POST'), async (path, method) => {
        inputs.names++;
        const reply = await admin(method, path, method === 'PUT' || method === 'POST' ? '{}' : undefined);
        expect(reply.status).toBeLessThan(500);
        if (reply.status >= 400) expectError(reply.text);
        expect(tableNow()).toBe(before);
      }),
      { numRuns: 100 },
    );
  });
});

// A route's segmentation on the real gateway CLI (a child process with a state file) in front of two
// simulated backends: every live record of a segmented route names the request's segment (a header's
// value, a metadata tag, the last user message's language), trimmed and cut to 64 characters, none
// when the request has no value; the shadow copy's and the fallback attempts' records carry the live
// request's; a route without segmentation has no `segment` on any record; a bad rule is a 400 naming
// the field; the rule survives kill -9 in the state file, serves from both workers of a two-process
// gateway (records crossing the worker wire), and comes from a --config file.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RequestRecord, RouteDefinition, RouteSegmentation } from '../../gateway/admin-api';
import type { GatewayAdminClient } from '../../gateway/admin-client';
import { freePort } from '../../stack/free-port';
import { GatewayCli, type RunningGateway } from '../../stack/gateway-cli';
import { eventually } from '../support/eventually';
import { gatewayCliAddresses } from '../support/gateway-cli-addresses';
import { closePair, pairRoute, startInstantPair, type BackendPair } from '../support/gateway-over-pair';
import { SENTENCES } from '../support/language-sentences';

const TOKEN = 'segments-test-admin-token-0123456789';
const ROUTE = 'support-chat';
const CONCURRENCY = 8;

let dir: string;
let sims: BackendPair;
let args: string[];
let dataUrl: string;
let adminUrl: string;
let admin: GatewayAdminClient;
let gateway: RunningGateway;
const gateways = new GatewayCli(TOKEN);
let counter = 0;

interface Request {
  route?: string;
  headers?: Record<string, string>;
  /** The last user message (a string, or multi-part content). */
  content?: unknown;
  metadata?: unknown;
}

/** Sends one chat request; its request id. */
async function chat(request: Request, url = dataUrl): Promise<string> {
  const requestId = `segments-req-${++counter}`;
  const response = await fetch(`${url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-request-id': requestId, ...request.headers },
    body: JSON.stringify({
      model: request.route ?? ROUTE,
      messages: [
        { role: 'system', content: 'You are the support assistant of an online shop. Answer briefly.' },
        { role: 'user', content: request.content ?? 'where is my order?' },
      ],
      ...(request.metadata !== undefined && { metadata: request.metadata }),
    }),
  });
  await response.arrayBuffer();
  return requestId;
}

/** `requests` in order, CONCURRENCY at a time (over as many connections); their request ids in that order. */
async function send(requests: Request[], url = dataUrl): Promise<string[]> {
  const ids: string[] = new Array<string>(requests.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < requests.length) {
        const index = next++;
        ids[index] = await chat(requests[index]!, url);
      }
    }),
  );
  return ids;
}

/**
 * This gateway process's records of `route` by request id and mode, once every one of `keys` is in
 * (shadow copies, and a multi-process gateway's live requests, are recorded a moment after the answer).
 */
function recordsWith(keys: string[], route = ROUTE, client = admin): Promise<Map<string, RequestRecord>> {
  return eventually(`records of ${keys.length} exchanges`, async () => {
    const page = await client.records(route, { since: 0, limit: 10_000 });
    const records = new Map(page.records.map((record) => [`${record.requestId}/${record.mode}`, record]));
    return keys.every((key) => records.has(key)) && records;
  });
}

const live = (ids: string[]) => ids.map((id) => `${id}/live`);

/** Each request's live record has the expected segment (none: no `segment` field at all). */
function expectSegments(ids: string[], expected: Array<string | undefined>, records: Map<string, RequestRecord>) {
  ids.forEach((id, index) => {
    const record = records.get(`${id}/live`)!;
    if (expected[index] === undefined) expect(record, id).not.toHaveProperty('segment');
    else expect(record.segment, id).toBe(expected[index]);
  });
}

function segmented(segmentation: RouteSegmentation | null): RouteDefinition {
  return { ...pairRoute(sims), segmentation };
}

/** One request per tenant value, and what its segment must be. */
const TENANTS: Array<[headers: Record<string, string>, segment: string | undefined]> = [
  [{ 'x-tenant': 'acme' }, 'acme'],
  [{ 'x-tenant': '  globex  ' }, 'globex'],
  [{ 'x-tenant': 'initech' }, 'initech'],
  [{ 'x-tenant': 'é'.repeat(30) + 'x'.repeat(100) }, 'é'.repeat(30) + 'x'.repeat(34)],
  [{ 'x-tenant': '   ' }, undefined],
  [{}, undefined],
  [{ 'x-region': 'eu' }, undefined],
];

const LANGUAGES: Array<[content: unknown, segment: string | undefined]> = [
  ...Object.entries(SENTENCES).map(([code, sentence]): [string, string] => [sentence, code]),
  ['hi', undefined],
  ['Bonjour, ça va ?', undefined],
  [
    [
      { type: 'text', text: SENTENCES.spa },
      { type: 'image_url', image_url: { url: 'https://example.invalid/receipt.png' } },
    ],
    'spa',
  ],
];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'gateway-segments-'));
  sims = await startInstantPair('segments');
  ({ args, dataUrl, admin } = await gatewayCliAddresses(TOKEN, join(dir, 'state.json')));
  adminUrl = `http://127.0.0.1:${args[args.indexOf('--admin-port') + 1]!}`;
  gateway = await gateways.start(args);
}, 60_000);

afterAll(async () => {
  gateways.killAll();
  await closePair(sims);
  rmSync(dir, { recursive: true, force: true });
  expect(gateways.allOutput()).not.toContain(TOKEN);
});

describe('segments on the gateway', () => {
  it('tags each record with the header value, trimmed and cut to 64 characters, shadow copies too; none without one', async () => {
    const state = await admin.defineRoute(ROUTE, segmented({ header: 'x-tenant' }));
    expect(state.segmentation).toEqual({ header: 'x-tenant' });
    expect((await admin.getRoute(ROUTE))?.segmentation).toEqual({ header: 'x-tenant' });
    await admin.setShadow(ROUTE, { enabled: true, target: 'candidate', share: 1 });

    const requests = [1, 2, 3].flatMap(() => TENANTS);
    const ids = await send(requests.map(([headers]) => ({ headers })));
    const records = await recordsWith([...live(ids), ...ids.map((id) => `${id}/shadow`)]);
    expectSegments(
      ids,
      requests.map(([, segment]) => segment),
      records,
    );
    ids.forEach((id, index) => {
      const shadow = records.get(`${id}/shadow`)!;
      expect(shadow.backend).toBe('candidate');
      expect(shadow.segment, id).toBe(requests[index]![1]);
      if (requests[index]![1] === undefined) expect(shadow).not.toHaveProperty('segment');
    });
    expect(records.get(`${ids[3]!}/live`)!.segment).toHaveLength(64);
    await admin.setShadow(ROUTE, { enabled: false });
  }, 60_000);

  it('tags each record with a metadata tag when it is a string', async () => {
    await admin.defineRoute(ROUTE, segmented({ metadata: 'tenant' }));
    const requests: Array<[metadata: unknown, segment: string | undefined]> = [
      [{ tenant: 'acme' }, 'acme'],
      [{ tenant: ' globex ', plan: 'pro' }, 'globex'],
      [{ tenant: 7 }, undefined],
      [{ tenant: '' }, undefined],
      [{ plan: 'pro' }, undefined],
      [undefined, undefined],
    ];
    // The header rule is gone with the redefinition.
    const ids = await send(requests.map(([metadata]) => ({ metadata, headers: { 'x-tenant': 'initech' } })));
    expectSegments(
      ids,
      requests.map(([, segment]) => segment),
      await recordsWith(live(ids)),
    );
  }, 30_000);

  it('tags each record with the language of the last user message; none when it is too short to tell', async () => {
    await admin.defineRoute(ROUTE, segmented({ language: true }));
    const ids = await send(LANGUAGES.map(([content]) => ({ content })));
    expectSegments(
      ids,
      LANGUAGES.map(([, segment]) => segment),
      await recordsWith(live(ids)),
    );
  }, 30_000);

  it("carries the live request's segment onto the failed attempt's record and the fallback's", async () => {
    const dead = `http://127.0.0.1:${await freePort()}/v1`;
    await admin.defineRoute('segments-fallback', {
      backends: [{ name: 'baseline', baseUrl: dead, model: 'gone' }],
      fallback: { backend: { name: 'spare', baseUrl: sims.candidate.url, model: sims.candidate.model } },
      segmentation: { header: 'x-tenant' },
    });
    const ids = await send([
      { route: 'segments-fallback', headers: { 'x-tenant': 'acme' } },
      { route: 'segments-fallback' },
    ]);
    const page = await eventually('fallback records', async () => {
      const { records } = await admin.records('segments-fallback', { since: 0, limit: 100 });
      return records.length === 4 && records;
    });
    const of = (id: string) => page.filter((record) => record.requestId === id);
    expect(of(ids[0]!)).toEqual([
      expect.objectContaining({ backend: 'baseline', status: 502, fallbackTo: 'spare', segment: 'acme' }),
      expect.objectContaining({ backend: 'spare', status: 200, fallbackFor: 'baseline', segment: 'acme' }),
    ]);
    expect(of(ids[1]!).map((record) => record.backend)).toEqual(['baseline', 'spare']);
    for (const record of of(ids[1]!)) expect(record).not.toHaveProperty('segment');
    await admin.deleteRoute('segments-fallback');
  }, 30_000);

  it('refuses a bad rule with a 400 naming the field, and leaves the route as it was', async () => {
    const before = await admin.defineRoute(ROUTE, segmented({ language: true }));
    for (const [segmentation, message] of [
      [{ header: 'X-Tenant' }, 'segmentation.header: a lower-case HTTP header name'],
      [{ metadata: 'no spaces' }, 'segmentation.metadata: a metadata key: letters, digits, "_", "." or "-"'],
      [{ language: 'yes' }, 'segmentation: must be one of {header: <name>}, {metadata: <key>} or {language: true}'],
      [{ tenant: true }, 'segmentation: must be one of {header: <name>}, {metadata: <key>} or {language: true}'],
      ['x-tenant', 'segmentation: must be one of {header: <name>}, {metadata: <key>} or {language: true}'],
    ] as const) {
      const response = await fetch(`${adminUrl}/admin/routes/${ROUTE}`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify({ ...pairRoute(sims), segmentation }),
      });
      expect(response.status, JSON.stringify(segmentation)).toBe(400);
      expect(await response.json()).toEqual({ error: { type: 'invalid_request', message } });
    }
    expect(await admin.getRoute(ROUTE)).toEqual(before);
  }, 30_000);

  it('leaves every record of a route without segmentation without a segment field', async () => {
    const state = await admin.defineRoute(ROUTE, pairRoute(sims));
    expect(state.segmentation).toBeNull();
    await admin.setShadow(ROUTE, { enabled: true, target: 'candidate', share: 1 });
    const ids = await send(
      TENANTS.map(([headers]) => ({ headers, metadata: { tenant: 'acme' }, content: SENTENCES.eng })),
    );
    const records = await recordsWith([...live(ids), ...ids.map((id) => `${id}/shadow`)]);
    for (const id of ids) {
      expect(records.get(`${id}/live`)).not.toHaveProperty('segment');
      expect(records.get(`${id}/shadow`)).not.toHaveProperty('segment');
    }
    await admin.setShadow(ROUTE, { enabled: false });
  }, 30_000);

  it('survives kill -9 in the state file, and a two-worker gateway started from it tags in every worker', async () => {
    const before = await admin.defineRoute(ROUTE, segmented({ header: 'x-tenant' }));
    await admin.setShadow(ROUTE, { enabled: true, target: 'candidate', share: 1 });
    const shown = await admin.getRoute(ROUTE);
    expect(shown?.segmentation).toEqual(before.segmentation);
    await gateway.kill9();

    gateway = await gateways.start(args);
    expect(await admin.getRoute(ROUTE)).toEqual(shown);
    const afterRestart = await send(TENANTS.map(([headers]) => ({ headers })));
    expectSegments(
      afterRestart,
      TENANTS.map(([, segment]) => segment),
      await recordsWith(live(afterRestart)),
    );
    await gateway.kill9();

    gateway = await gateways.start(['--processes', '2', ...args]);
    expect((await admin.info()).processes).toMatchObject({ workers: 2, alive: 2 });
    expect(await admin.getRoute(ROUTE)).toEqual(shown);
    // Over CONCURRENCY connections, which the primary hands to its workers in turn.
    const requests = [1, 2, 3, 4].flatMap(() => TENANTS);
    const inCluster = await send(requests.map(([headers]) => ({ headers })));
    const records = await recordsWith([...live(inCluster), ...inCluster.map((id) => `${id}/shadow`)]);
    expectSegments(
      inCluster,
      requests.map(([, segment]) => segment),
      records,
    );
    inCluster.forEach((id, index) => expect(records.get(`${id}/shadow`)?.segment, id).toBe(requests[index]![1]));

    // A change made now is in force on both workers once the PUT answers.
    await admin.defineRoute(ROUTE, segmented({ language: true }));
    const languages = [1, 2].flatMap(() => LANGUAGES);
    const byLanguage = await send(languages.map(([content]) => ({ content })));
    expectSegments(
      byLanguage,
      languages.map(([, segment]) => segment),
      await recordsWith(live(byLanguage)),
    );
    await admin.setShadow(ROUTE, { enabled: false });
  }, 120_000);

  it('comes from a --config file', async () => {
    const config = join(dir, 'routes.yaml');
    writeFileSync(
      config,
      `routes:
  configured:
    backends:
      - { name: baseline, baseUrl: ${sims.baseline.url}, model: ${sims.baseline.model} }
    segmentation: { metadata: tenant }
`,
    );
    const other = await gatewayCliAddresses(TOKEN, join(dir, 'configured-state.json'));
    await gateways.start(['--config', config, ...other.args]);
    expect((await other.admin.getRoute('configured'))?.segmentation).toEqual({ metadata: 'tenant' });
    const ids = await send(
      [{ tenant: 'acme' }, { tenant: 'globex' }, {}].map((metadata) => ({ route: 'configured', metadata })),
      other.dataUrl,
    );
    expectSegments(ids, ['acme', 'globex', undefined], await recordsWith(live(ids), 'configured', other.admin));
  }, 60_000);
});

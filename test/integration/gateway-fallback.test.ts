// A route's fallback backend on the gateway CLI as a real child process, in front of scripted
// upstreams: a candidate that refuses connections, answers 503 or says nothing until the deadline is
// answered for by the fallback (its headers say so), and the records keep the candidate's failure
// apart from the fallback's answer; a stream cut after its first chunk, a 400, a shadow copy and a
// route without a fallback are never retried; the attempts are bounded; and after kill -9 a
// two-process gateway serves the fallback from the state file, its records crossing the worker wire.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RequestRecord, RouteDefinition, RouteFallback } from '../../gateway/admin-api';
import type { GatewayAdminClient } from '../../gateway/admin-client';
import { freePort } from '../../stack/free-port';
import { GatewayCli, type RunningGateway } from '../../stack/gateway-cli';
import { eventually } from '../support/eventually';
import { gatewayCliAddresses } from '../support/gateway-cli-addresses';
import { COMPLETION, startScriptedUpstream, type ScriptedUpstream } from '../support/scripted-upstream';

const TOKEN = 'fallback-test-admin-token-0123456789';
const ROUTE = 'support-chat';
const UPSTREAM_TIMEOUT_MS = 600;

let dir: string;
let stateFile: string;
let candidate: ScriptedUpstream;
let baseline: ScriptedUpstream;
let spare: ScriptedUpstream;
let gateway: RunningGateway;
let args: string[];
let dataUrl: string;
let admin: GatewayAdminClient;
let adminUrl: string;
/** Where the records read so far end (records() returns only newer ones). */
let cursor = { since: 0, epoch: '' };
const gateways = new GatewayCli(TOKEN);

function route(candidateUrl: string, fallback?: RouteFallback): RouteDefinition {
  return {
    backends: [
      { name: 'candidate', baseUrl: candidateUrl, model: 'cand-model' },
      { name: 'baseline', baseUrl: baseline.baseUrl, model: 'base-model' },
    ],
    ...(fallback && { fallback }),
  };
}

const SPARE = (): RouteFallback['backend'] => ({
  name: 'spare',
  baseUrl: spare.baseUrl,
  model: 'spare-model',
  apiKey: 'sk-spare-secret',
});

function chat(extra: Record<string, unknown> = {}): Promise<Response> {
  return fetch(`${dataUrl}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: ROUTE, messages: [{ role: 'user', content: 'where is my order?' }], ...extra }),
  });
}

/** The next `count` records of the route (waiting for them: a multi-process gateway sends them in batches). */
async function nextRecords(count: number): Promise<RequestRecord[]> {
  const records: RequestRecord[] = [];
  await eventually(`${count} records`, async () => {
    const page = await admin.records(ROUTE, cursor);
    records.push(...page.records);
    cursor = { since: page.nextSince, epoch: page.epoch };
    return records.length >= count;
  });
  // Nothing more than expected turns up a moment later (a retry that should not have happened).
  await new Promise((resolve) => setTimeout(resolve, 150));
  const late = await admin.records(ROUTE, cursor);
  cursor = { since: late.nextSince, epoch: late.epoch };
  return [...records, ...late.records];
}

/** What a record says about who answered, and for whom. */
function shape(record: RequestRecord) {
  const { backend, mode, status, fallbackTo, fallbackFor } = record;
  return { backend, mode, status, ...(fallbackTo && { fallbackTo }), ...(fallbackFor && { fallbackFor }) };
}

/** The candidate answers `status`: the client gets that answer as it is, one record, the fallback is not asked. */
async function expectCandidatesOwnAnswer(status: number): Promise<void> {
  candidate.script = { kind: 'status', status };
  const sparesBefore = spare.bodies.length;
  const reply = await chat();
  expect(reply.status).toBe(status);
  expect(reply.headers.get('x-rollout-backend')).toBe('candidate');
  expect(reply.headers.get('x-rollout-fallback-from')).toBeNull();
  expect(await reply.json()).toEqual({ error: { type: 'scripted', message: `scripted ${status}` } });
  expect((await nextRecords(1)).map(shape)).toEqual([{ backend: 'candidate', mode: 'live', status }]);
  expect(spare.bodies.length).toBe(sparesBefore);
}

async function fallbacksCounted(): Promise<number> {
  const text = await (await fetch(`${adminUrl}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith('llm_gateway_fallbacks_total{'));
  return line === undefined ? 0 : Number(line.split(' ').pop());
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'gateway-fallback-'));
  stateFile = join(dir, 'gateway-state.json');
  [candidate, baseline, spare] = await Promise.all([
    startScriptedUpstream(),
    startScriptedUpstream(),
    startScriptedUpstream(),
  ]);
  const addresses = await gatewayCliAddresses(TOKEN, stateFile);
  ({ dataUrl, admin } = addresses);
  args = ['--upstream-timeout-ms', String(UPSTREAM_TIMEOUT_MS), ...addresses.args];
  adminUrl = `http://127.0.0.1:${args[args.indexOf('--admin-port') + 1]}`;
  gateway = await gateways.start(args);
});

afterAll(async () => {
  gateways.killAll();
  await Promise.all([candidate?.close(), baseline?.close(), spare?.close()]);
  rmSync(dir, { recursive: true, force: true });
  expect(gateways.allOutput()).not.toContain('sk-spare-secret');
});

describe('a route fallback', () => {
  it('answers for a candidate that refuses connections, and the records keep both apart', async () => {
    const closed = `http://127.0.0.1:${await freePort()}/v1`;
    const state = await admin.defineRoute(ROUTE, route(closed, { backend: SPARE() }));
    expect(state.fallback).toEqual({
      backend: { name: 'spare', baseUrl: spare.baseUrl, model: 'spare-model' },
      maxAttempts: 1,
    });
    expect(state.weights).toEqual({ candidate: 100, baseline: 0 });

    const reply = await chat();
    expect(reply.status).toBe(200);
    expect(reply.headers.get('x-rollout-backend')).toBe('spare');
    expect(reply.headers.get('x-rollout-fallback-from')).toBe('candidate');
    expect(await reply.json()).toEqual(COMPLETION);
    const sent = JSON.parse(spare.last!.body) as { model: string };
    expect(sent.model).toBe('spare-model');
    expect(spare.last!.headers.authorization).toBe('Bearer sk-spare-secret');

    const records = await nextRecords(2);
    expect(records.map(shape)).toEqual([
      { backend: 'candidate', mode: 'live', status: 502, fallbackTo: 'spare' },
      { backend: 'spare', mode: 'live', status: 200, fallbackFor: 'candidate' },
    ]);
    expect(records[1]!.requestId).toBe(records[0]!.requestId);
    expect(records[1]!.model).toBe('spare-model');
  });

  it('answers for a candidate answering 503, which the client never sees', async () => {
    await admin.defineRoute(ROUTE, route(candidate.baseUrl, { backend: SPARE() }));
    candidate.script = { kind: 'status', status: 503 };
    const reply = await chat();
    expect(reply.status).toBe(200);
    expect(reply.headers.get('x-rollout-backend')).toBe('spare');
    expect(reply.headers.get('x-rollout-fallback-from')).toBe('candidate');
    expect(await reply.json()).toEqual(COMPLETION);
    expect((await nextRecords(2)).map(shape)).toEqual([
      { backend: 'candidate', mode: 'live', status: 503, fallbackTo: 'spare' },
      { backend: 'spare', mode: 'live', status: 200, fallbackFor: 'candidate' },
    ]);
  });

  it('answers an embeddings request too, forwarded with the fallback model only', async () => {
    candidate.script = { kind: 'status', status: 503 };
    const reply = await fetch(`${dataUrl}/v1/embeddings`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: ROUTE, input: 'where is my order?' }),
    });
    expect(reply.status).toBe(200);
    expect(reply.headers.get('x-rollout-backend')).toBe('spare');
    await reply.arrayBuffer();
    expect(JSON.parse(spare.last!.body)).toEqual({ model: 'spare-model', input: 'where is my order?' });
    expect((await nextRecords(2)).map(shape)).toEqual([
      { backend: 'candidate', mode: 'live', status: 503, fallbackTo: 'spare' },
      { backend: 'spare', mode: 'live', status: 200, fallbackFor: 'candidate' },
    ]);
  });

  it('answers for a candidate that sends no header before the deadline, within its own timeoutMs', async () => {
    await admin.defineRoute(ROUTE, route(candidate.baseUrl, { backend: SPARE(), timeoutMs: 5_000 }));
    candidate.script = { kind: 'silent' };
    const started = performance.now();
    const reply = await chat();
    expect(reply.status).toBe(200);
    expect(reply.headers.get('x-rollout-fallback-from')).toBe('candidate');
    await reply.arrayBuffer();
    expect(performance.now() - started).toBeGreaterThanOrEqual(UPSTREAM_TIMEOUT_MS);
    const records = await nextRecords(2);
    expect(records.map(shape)).toEqual([
      { backend: 'candidate', mode: 'live', status: 502, fallbackTo: 'spare' },
      { backend: 'spare', mode: 'live', status: 200, fallbackFor: 'candidate' },
    ]);
    expect(records[0]!.latencyMs).toBeGreaterThanOrEqual(UPSTREAM_TIMEOUT_MS - 1);
  });

  it('does not retry a stream cut after its first chunk reached the client', async () => {
    await admin.defineRoute(ROUTE, route(candidate.baseUrl, { backend: SPARE() }));
    const event = { choices: [{ index: 0, delta: { content: 'Your order' } }] };
    candidate.script = { kind: 'sse', pieces: [`data: ${JSON.stringify(event)}\n\n`], ending: 'truncate' };
    const sparesBefore = spare.bodies.length;
    const reply = await chat({ stream: true });
    expect(reply.status).toBe(200);
    expect(reply.headers.get('x-rollout-backend')).toBe('candidate');
    expect(reply.headers.get('x-rollout-fallback-from')).toBeNull();
    await expect(reply.text()).rejects.toThrow();
    expect((await nextRecords(1)).map(shape)).toEqual([{ backend: 'candidate', mode: 'live', status: 502 }]);
    expect(spare.bodies.length).toBe(sparesBefore);
  });

  it("does not retry a 400: the client gets the candidate's own answer", async () => {
    await expectCandidatesOwnAnswer(400);
  });

  it('is bounded: a failing fallback is tried maxAttempts times, then its failure is the answer', async () => {
    await admin.defineRoute(ROUTE, route(candidate.baseUrl, { backend: SPARE(), maxAttempts: 2 }));
    candidate.script = { kind: 'status', status: 503 };
    spare.script = { kind: 'status', status: 500 };
    const [sparesBefore, countedBefore] = [spare.bodies.length, await fallbacksCounted()];
    try {
      const reply = await chat();
      expect(reply.status).toBe(500);
      expect(reply.headers.get('x-rollout-backend')).toBe('spare');
      expect(reply.headers.get('x-rollout-fallback-from')).toBe('candidate');
      expect(await reply.json()).toEqual({ error: { type: 'scripted', message: 'scripted 500' } });
    } finally {
      spare.script = { kind: 'json' };
    }
    expect(spare.bodies.length).toBe(sparesBefore + 2);
    expect((await nextRecords(3)).map(shape)).toEqual([
      { backend: 'candidate', mode: 'live', status: 503, fallbackTo: 'spare' },
      { backend: 'spare', mode: 'live', status: 500, fallbackFor: 'candidate' },
      { backend: 'spare', mode: 'live', status: 500, fallbackFor: 'candidate' },
    ]);
    expect(await fallbacksCounted()).toBe(countedBefore + 2);
  });

  it('never takes a shadow copy: a failing shadow target is not retried', async () => {
    await admin.setWeights(ROUTE, { weights: { baseline: 100 } });
    await admin.setShadow(ROUTE, { enabled: true, target: 'candidate', share: 1 });
    candidate.script = { kind: 'status', status: 503 };
    const sparesBefore = spare.bodies.length;
    try {
      const reply = await chat();
      expect(reply.status).toBe(200);
      expect(reply.headers.get('x-rollout-backend')).toBe('baseline');
      await reply.arrayBuffer();
      const records = await nextRecords(2);
      expect(records.map(shape).sort((a, b) => a.backend.localeCompare(b.backend))).toEqual([
        { backend: 'baseline', mode: 'live', status: 200 },
        { backend: 'candidate', mode: 'shadow', status: 503 },
      ]);
      expect(spare.bodies.length).toBe(sparesBefore);
    } finally {
      await admin.setShadow(ROUTE, { enabled: false });
      await admin.setWeights(ROUTE, { weights: { candidate: 100 } });
    }
  });

  it("is removed by a definition without it: the candidate's 503 is then the answer, as before", async () => {
    const state = await admin.defineRoute(ROUTE, route(candidate.baseUrl));
    expect(state.fallback).toBeNull();
    await expectCandidatesOwnAnswer(503);
  });

  it('survives kill -9 in the state file: a two-process gateway answers with it from its first request', async () => {
    const defined = await admin.defineRoute(ROUTE, route(candidate.baseUrl, { backend: SPARE(), timeoutMs: 4_000 }));
    await gateway.kill9();
    gateway = await gateways.start(['--processes', '2', ...args]);
    expect(await admin.getRoute(ROUTE)).toEqual(defined);

    candidate.script = { kind: 'status', status: 503 };
    const reply = await chat();
    expect(reply.status).toBe(200);
    expect(reply.headers.get('x-rollout-backend')).toBe('spare');
    expect(reply.headers.get('x-rollout-fallback-from')).toBe('candidate');
    await reply.arrayBuffer();
    cursor = { since: 0, epoch: '' };
    // Recorded by the primary from what a worker sent over the wire.
    expect((await nextRecords(2)).map(shape)).toEqual([
      { backend: 'candidate', mode: 'live', status: 503, fallbackTo: 'spare' },
      { backend: 'spare', mode: 'live', status: 200, fallbackFor: 'candidate' },
    ]);
    expect(await fallbacksCounted()).toBe(1);
  });
});

// A candidate that is a pool, on the real gateway CLI: two scripted upstreams are its members
// (weights 1:3, each with its own API key and one with its own model) behind a plain baseline.
// Requests reach the members in about that ratio, each user sticks to one member, records and
// /metrics name the member while the backend's aggregate follows the route's weights; the pool
// takes shadow copies too, and answers as a route's fallback on its members; restarted from its state file with --processes 2, the gateway keeps the
// pool and its workers' records still name the member.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RequestRecord, RouteDefinition } from '../../gateway/admin-api';
import type { GatewayAdminClient } from '../../gateway/admin-client';
import { GATEWAY_METRICS } from '../../gateway/metric-names';
import { GatewayCli, type RunningGateway } from '../../stack/gateway-cli';
import { eventually } from '../support/eventually';
import { gatewayCliAddresses } from '../support/gateway-cli-addresses';
import { startScriptedUpstream, type ScriptedUpstream } from '../support/scripted-upstream';

const TOKEN = 'pools-test-admin-token-0123456789';
const ROUTE = 'support-chat';
const FALLBACK_ROUTE = 'pooled-fallback';
const CONCURRENCY = 20;

let dir: string;
let baseline: ScriptedUpstream;
let gpuA: ScriptedUpstream;
let gpuB: ScriptedUpstream;
let args: string[];
let dataUrl: string;
let admin: GatewayAdminClient;
let gateway: RunningGateway;
const gateways = new GatewayCli(TOKEN);
let counter = 0;

function poolRoute(): RouteDefinition {
  return {
    backends: [
      { name: 'baseline', baseUrl: baseline.baseUrl, model: 'base-model', apiKey: 'sk-baseline' },
      {
        name: 'candidate',
        baseUrl: gpuA.baseUrl,
        model: 'cand-model',
        apiKey: 'sk-candidate',
        members: [
          { name: 'gpu-a', baseUrl: gpuA.baseUrl, apiKey: 'sk-gpu-a', weight: 1 },
          { name: 'gpu-b', baseUrl: gpuB.baseUrl, model: 'cand-model-large', apiKey: 'sk-gpu-b', weight: 3 },
        ],
      },
    ],
  };
}

/** One chat request as `user`; the request id says who sent it, for the records. */
async function chat(user: string): Promise<string | null> {
  const requestId = `${user}.${++counter}`;
  const response = await fetch(`${dataUrl}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-user-id': user, 'x-request-id': requestId },
    body: JSON.stringify({ model: ROUTE, messages: [{ role: 'user', content: 'where is my order?' }] }),
    signal: AbortSignal.timeout(15_000),
  });
  await response.arrayBuffer();
  expect(response.status).toBe(200);
  return response.headers.get('x-rollout-backend');
}

/** One request for each of `users`, CONCURRENCY at a time; replies counted by backend. */
async function load(users: readonly string[]): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < users.length) {
        const backend = (await chat(users[next++]!)) ?? 'none';
        counts[backend] = (counts[backend] ?? 0) + 1;
      }
    }),
  );
  return counts;
}

const usersNamed = (prefix: string, count: number) => Array.from({ length: count }, (_, i) => `${prefix}-${i}`);

/** Every record of the route so far (one epoch: the running gateway's). */
async function allRecords(): Promise<RequestRecord[]> {
  return (await admin.records(ROUTE, { since: 0, limit: 10_000 })).records;
}

function countMembers(records: readonly RequestRecord[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const record of records) counts[record.member ?? 'none'] = (counts[record.member ?? 'none'] ?? 0) + 1;
  return counts;
}

async function memberRequests(member: string, mode: string): Promise<number> {
  const text = await (await fetch(`${admin.adminUrl}/metrics`)).text();
  const prefix = `${GATEWAY_METRICS.memberRequests}{`;
  return text
    .split('\n')
    .filter((line) => line.startsWith(prefix) && line.includes(`member="${member}"`) && line.includes(`mode="${mode}"`))
    .reduce((total, line) => total + Number(line.slice(line.lastIndexOf(' ') + 1)), 0);
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'gateway-pools-'));
  [baseline, gpuA, gpuB] = await Promise.all([
    startScriptedUpstream(),
    startScriptedUpstream(),
    startScriptedUpstream(),
  ]);
  ({ args, dataUrl, admin } = await gatewayCliAddresses(TOKEN, join(dir, 'gateway-state.json')));
  gateway = await gateways.start(args);
  await admin.defineRoute(ROUTE, poolRoute());
}, 60_000);

afterAll(async () => {
  gateways.killAll();
  await Promise.all([baseline?.close(), gpuA?.close(), gpuB?.close()]);
  rmSync(dir, { recursive: true, force: true });
  const output = gateways.allOutput();
  for (const secret of [TOKEN, 'sk-gpu-a', 'sk-gpu-b', 'sk-candidate', 'sk-baseline'])
    expect(output).not.toContain(secret);
});

describe('a pooled candidate on the gateway CLI', () => {
  it('shows the pool without any key', async () => {
    const state = (await admin.getRoute(ROUTE))!;
    expect(state.backends[1]!.members).toEqual([
      { name: 'gpu-a', baseUrl: gpuA.baseUrl, weight: 1 },
      { name: 'gpu-b', baseUrl: gpuB.baseUrl, model: 'cand-model-large', weight: 3 },
    ]);
    expect(JSON.stringify(state)).not.toContain('sk-');
  });

  it("splits by the route's weights, then the candidate's requests 1:3 over its members, each with its own key and model", async () => {
    await admin.setWeights(ROUTE, { weights: { baseline: 50, candidate: 50 } });
    const counts = await load(usersNamed('split', 800));
    // 50 % of 800 distinct users is 400 (sd ~14).
    expect(counts.candidate).toBeGreaterThan(340);
    expect(counts.candidate).toBeLessThan(460);
    expect(baseline.bodies).toHaveLength(counts.baseline!);
    expect(gpuA.bodies.length + gpuB.bodies.length).toBe(counts.candidate);
    // A quarter of ~400 is ~100 (sd ~9).
    expect(gpuA.bodies.length).toBeGreaterThan(counts.candidate! * 0.25 - 40);
    expect(gpuA.bodies.length).toBeLessThan(counts.candidate! * 0.25 + 40);

    expect(baseline.last!.headers.authorization).toBe('Bearer sk-baseline');
    expect(gpuA.last!.headers.authorization).toBe('Bearer sk-gpu-a');
    expect(gpuB.last!.headers.authorization).toBe('Bearer sk-gpu-b');
    expect(gpuA.bodies.every((body) => (JSON.parse(body) as { model: string }).model === 'cand-model')).toBe(true);
    expect(gpuB.bodies.every((body) => (JSON.parse(body) as { model: string }).model === 'cand-model-large')).toBe(
      true,
    );

    const records = await eventually('every request recorded', async () => {
      const all = await allRecords();
      return all.length >= 800 ? all : undefined;
    });
    const candidate = records.filter((record) => record.backend === 'candidate');
    expect(countMembers(candidate)).toEqual({ 'gpu-a': gpuA.bodies.length, 'gpu-b': gpuB.bodies.length });
    expect(countMembers(records.filter((record) => record.backend === 'baseline'))).toEqual({
      none: counts.baseline,
    });
    expect(candidate.find((record) => record.member === 'gpu-b')!.model).toBe('cand-model-large');
    expect(await memberRequests('gpu-a', 'live')).toBe(gpuA.bodies.length);
    expect(await memberRequests('gpu-b', 'live')).toBe(gpuB.bodies.length);
  }, 90_000);

  it('keeps each user on one member across requests', async () => {
    await admin.setWeights(ROUTE, { weights: { baseline: 0, candidate: 100 } });
    const users = usersNamed('sticky', 60);
    const since = (await allRecords()).length;
    for (let round = 0; round < 3; round++) expect(await load(users)).toEqual({ candidate: 60 });
    const records = await eventually('the sticky rounds recorded', async () => {
      const page = await admin.records(ROUTE, { since, limit: 10_000 });
      return page.records.length >= 180 ? page.records : undefined;
    });
    const membersOf = new Map<string, Set<string>>();
    for (const record of records) {
      const user = record.requestId.split('.')[0]!;
      membersOf.set(user, (membersOf.get(user) ?? new Set()).add(record.member!));
    }
    expect(membersOf.size).toBe(60);
    for (const [user, members] of membersOf) expect(members.size, user).toBe(1);
    // Both members serve some of the 60 users.
    expect(new Set([...membersOf.values()].flatMap((members) => [...members])).size).toBe(2);
  }, 60_000);

  it("mirrors to the pool's members in shadow mode", async () => {
    await admin.setWeights(ROUTE, { weights: { baseline: 100, candidate: 0 } });
    await admin.setShadow(ROUTE, { enabled: true, target: 'candidate', share: 1 });
    const [servedByA, servedByB] = [gpuA.bodies.length, gpuB.bodies.length];
    expect(await load(usersNamed('mirrored', 200))).toEqual({ baseline: 200 });
    await admin.setShadow(ROUTE, { enabled: false });
    const shadow = await eventually('every shadow copy recorded', async () => {
      const copies = (await allRecords()).filter((record) => record.mode === 'shadow');
      return copies.length >= 200 ? copies : undefined;
    });
    expect(gpuA.last!.headers['x-rollout-shadow']).toBe('1');
    expect(countMembers(shadow)).toEqual({
      'gpu-a': gpuA.bodies.length - servedByA,
      'gpu-b': gpuB.bodies.length - servedByB,
    });
    expect(gpuA.bodies.length - servedByA).toBeGreaterThan(20);
    expect(await memberRequests('gpu-b', 'shadow')).toBe(gpuB.bodies.length - servedByB);
    const pairs = await admin.shadowPairs(ROUTE, { since: 0, limit: 10_000 });
    expect(pairs.pairs.length).toBeGreaterThanOrEqual(200);
    expect(new Set(pairs.pairs.map((pair) => pair.shadow.member))).toEqual(new Set(['gpu-a', 'gpu-b']));
    expect(pairs.pairs.every((pair) => pair.primary.member === undefined)).toBe(true);
  }, 60_000);

  it("answers a failed request on a pooled fallback's member, recording the member", async () => {
    const failing = await startScriptedUpstream();
    failing.script = { kind: 'status', status: 503 };
    try {
      const [pool] = poolRoute().backends.slice(1);
      await admin.defineRoute(FALLBACK_ROUTE, {
        backends: [{ name: 'baseline', baseUrl: failing.baseUrl, model: 'base-model' }],
        fallback: { backend: { ...pool!, name: 'spare' } },
      });
      const [servedByA, servedByB] = [gpuA.bodies.length, gpuB.bodies.length];
      for (const user of usersNamed('fallback', 40)) {
        const response = await fetch(`${dataUrl}/v1/chat/completions`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-user-id': user },
          body: JSON.stringify({ model: FALLBACK_ROUTE, messages: [{ role: 'user', content: 'hello' }] }),
        });
        await response.arrayBuffer();
        expect(response.status).toBe(200);
        expect(response.headers.get('x-rollout-backend')).toBe('spare');
      }
      expect(failing.bodies).toHaveLength(40);
      const records = await eventually('the failures and the fallback answers recorded', async () => {
        const page = await admin.records(FALLBACK_ROUTE, { since: 0, limit: 10_000 });
        return page.records.length >= 80 ? page.records : undefined;
      });
      const failed = records.filter((record) => record.backend === 'baseline');
      expect(failed.every((record) => record.status === 503 && record.fallbackTo === 'spare')).toBe(true);
      expect(countMembers(failed)).toEqual({ none: 40 });
      const answered = records.filter((record) => record.backend === 'spare');
      expect(answered.every((record) => record.fallbackFor === 'baseline')).toBe(true);
      expect(countMembers(answered)).toEqual({
        'gpu-a': gpuA.bodies.length - servedByA,
        'gpu-b': gpuB.bodies.length - servedByB,
      });
      expect(gpuB.last!.headers.authorization).toBe('Bearer sk-gpu-b');
    } finally {
      await admin.deleteRoute(FALLBACK_ROUTE);
      await failing.close();
    }
  }, 60_000);

  it('keeps the pool through a restart from the state file, and --processes 2 workers record the member', async () => {
    const before = await admin.getRoute(ROUTE);
    await gateway.kill9();
    gateway = await gateways.start(['--processes', '2', ...args]);
    expect(await admin.getRoute(ROUTE)).toEqual(before);

    await admin.setWeights(ROUTE, { weights: { baseline: 0, candidate: 100 } });
    const [servedByA, servedByB] = [gpuA.bodies.length, gpuB.bodies.length];
    expect(await load(usersNamed('workers', 200))).toEqual({ candidate: 200 });
    expect(gpuA.last!.headers.authorization).toBe('Bearer sk-gpu-a');
    expect(gpuB.last!.headers.authorization).toBe('Bearer sk-gpu-b');
    const records = await eventually("the workers' records at the primary", async () => {
      const all = await allRecords();
      return all.length >= 200 ? all : undefined;
    });
    expect(countMembers(records)).toEqual({
      'gpu-a': gpuA.bodies.length - servedByA,
      'gpu-b': gpuB.bodies.length - servedByB,
    });
    expect(await memberRequests('gpu-a', 'live')).toBe(gpuA.bodies.length - servedByA);
  }, 90_000);
});

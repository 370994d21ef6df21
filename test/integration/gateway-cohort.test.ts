// A cohort on a route of the real gateway CLI (a child process with a state file) in front of two
// simulated backends: the cohort's requests follow the cohort's weights and nobody else's do (as
// the `x-rollout-backend` header and the records' `cohort` flag say, shadow copies included); a
// key-range cohort split 50/50 stays sticky per user; a PUT with `cohort: null` clears it; the
// cohort survives kill -9 and a restart from the state file, here into a two-worker gateway
// (--processes 2) whose workers both honour it and carry the flag to the primary's records.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RequestRecord } from '../../gateway/admin-api';
import type { GatewayAdminClient } from '../../gateway/admin-client';
import { cohortKeyPosition } from '../../gateway/cohort-probe';
import { GatewayCli, type RunningGateway } from '../../stack/gateway-cli';
import { eventually } from '../support/eventually';
import { gatewayCliAddresses } from '../support/gateway-cli-addresses';
import { closePair, pairRoute, startInstantPair, type BackendPair } from '../support/gateway-over-pair';

const TOKEN = 'cohort-test-admin-token-0123456789';
const ROUTE = 'support-chat';
const ACME = { header: 'x-tenant', values: ['acme'] };
const CONCURRENCY = 20;

let dir: string;
let sims: BackendPair;
let args: string[];
let dataUrl: string;
let admin: GatewayAdminClient;
let gateway: RunningGateway;
const gateways = new GatewayCli(TOKEN);
let counter = 0;

interface Sent {
  requestId: string;
  tenant: string;
  user: string;
  backend: string | null;
}

async function chat(tenant: string, user: string): Promise<Sent> {
  const requestId = `cohort-req-${++counter}`;
  const response = await fetch(`${dataUrl}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-tenant': tenant, 'x-user-id': user, 'x-request-id': requestId },
    body: JSON.stringify({ model: ROUTE, messages: [{ role: 'user', content: 'where is my order?' }] }),
  });
  expect(response.status).toBe(200);
  await response.arrayBuffer();
  return { requestId, tenant, user, backend: response.headers.get('x-rollout-backend') };
}

/** `requests` in order, CONCURRENCY at a time. */
async function send(requests: Array<{ tenant: string; user: string }>): Promise<Sent[]> {
  const sent: Sent[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < requests.length) {
        const request = requests[next++]!;
        sent.push(await chat(request.tenant, request.user));
      }
    }),
  );
  return sent;
}

const tenants = (count: number) =>
  Array.from({ length: count }, (_, i) => ({ tenant: ['acme', 'globex', 'initech'][i % 3]!, user: `user-${i}` }));

/**
 * This gateway process's records by request id and mode, once every one of `keys` is in (shadow
 * copies, and a multi-process gateway's live requests, are recorded a moment after the answer).
 */
function recordsWith(keys: string[]): Promise<Map<string, RequestRecord>> {
  return eventually(`records of ${keys.length} requests`, async () => {
    const page = await admin.records(ROUTE, { since: 0, limit: 10_000 });
    const records = new Map(page.records.map((record) => [`${record.requestId}/${record.mode}`, record]));
    return keys.every((key) => records.has(key)) && records;
  });
}

const liveRecordsOf = (sent: Sent[]) => recordsWith(sent.map((request) => `${request.requestId}/live`));

function expectTenantCohort(sent: Sent[], records: Map<string, RequestRecord>): void {
  for (const request of sent) {
    const inCohort = request.tenant === 'acme';
    expect(request.backend, `${request.tenant} ${request.requestId}`).toBe(inCohort ? 'candidate' : 'baseline');
    expect(records.get(`${request.requestId}/live`)?.cohort, request.requestId).toBe(inCohort);
  }
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'gateway-cohort-'));
  sims = await startInstantPair('cohort');
  ({ args, dataUrl, admin } = await gatewayCliAddresses(TOKEN, join(dir, 'state.json')));
  gateway = await gateways.start(args);
  await admin.defineRoute(ROUTE, pairRoute(sims));
}, 60_000);

afterAll(async () => {
  gateways.killAll();
  await closePair(sims);
  rmSync(dir, { recursive: true, force: true });
  expect(gateways.allOutput()).not.toContain(TOKEN);
});

describe('a cohort on the gateway', () => {
  it('sends every acme request to the candidate and no other, flagged in the records, shadow copies too', async () => {
    const state = await admin.setWeights(ROUTE, {
      weights: { baseline: 100, candidate: 0 },
      cohort: { match: ACME, weights: { candidate: 100 } },
    });
    expect(state.cohort).toEqual({ match: ACME, weights: { baseline: 0, candidate: 100 } });
    // Copies of what the candidate serves go to the baseline: only acme's requests are copied.
    await admin.setShadow(ROUTE, { enabled: true, target: 'baseline', share: 1 });

    const candidateBefore = sims.candidate.stats().requests;
    const sent = await send(tenants(150));
    const acme = sent.filter((request) => request.tenant === 'acme');
    const records = await recordsWith([
      ...sent.map((request) => `${request.requestId}/live`),
      ...acme.map((request) => `${request.requestId}/shadow`),
    ]);
    expectTenantCohort(sent, records);
    // The candidate itself saw exactly acme's requests.
    expect(sims.candidate.stats().requests - candidateBefore).toBe(acme.length);
    for (const request of acme) {
      expect(records.get(`${request.requestId}/shadow`), request.requestId).toMatchObject({
        backend: 'baseline',
        cohort: true,
      });
    }
    await admin.setShadow(ROUTE, { enabled: false });
  }, 60_000);

  it('keeps a key-range cohort split 50/50 sticky per user, and leaves the users outside it on the baseline', async () => {
    await admin.setWeights(ROUTE, {
      weights: { baseline: 100 },
      cohort: { match: { keyRange: { from: 0, to: 0.5 } }, weights: { baseline: 50, candidate: 50 } },
    });
    const users = Array.from({ length: 60 }, (_, i) => `range-user-${i}`);
    const sent = await send([1, 2, 3].flatMap(() => users.map((user) => ({ tenant: 'globex', user }))));
    const records = await liveRecordsOf(sent);
    const backendsOf = new Map<string, Set<string | null>>();
    for (const request of sent) {
      const inRange = cohortKeyPosition(ROUTE, request.user) < 0.5;
      expect(records.get(`${request.requestId}/live`)?.cohort, request.user).toBe(inRange);
      if (!inRange) expect(request.backend, request.user).toBe('baseline');
      backendsOf.set(request.user, (backendsOf.get(request.user) ?? new Set()).add(request.backend));
    }
    for (const [user, backends] of backendsOf) expect([...backends], user).toHaveLength(1);
    const inRange = users.filter((user) => cohortKeyPosition(ROUTE, user) < 0.5);
    const onCandidate = inRange.filter((user) => backendsOf.get(user)!.has('candidate'));
    // About half the cohort's users (and only the cohort's) are on the candidate.
    expect(inRange.length).toBeGreaterThan(15);
    expect(onCandidate.length).toBeGreaterThan(inRange.length * 0.2);
    expect(onCandidate.length).toBeLessThan(inRange.length * 0.8);
  }, 60_000);

  it('is cleared by a weights PUT with cohort: null', async () => {
    await admin.setWeights(ROUTE, { weights: { baseline: 100 }, cohort: { match: ACME, weights: { candidate: 100 } } });
    const cleared = await admin.setWeights(ROUTE, { weights: { baseline: 100, candidate: 0 }, cohort: null });
    expect(cleared.cohort).toBeNull();
    const sent = await send(tenants(30));
    const records = await liveRecordsOf(sent);
    for (const request of sent) {
      expect(request.backend).toBe('baseline');
      expect(records.get(`${request.requestId}/live`)?.cohort).toBe(false);
    }
  }, 30_000);

  it('survives kill -9 in the state file, and a two-worker gateway started from it honours it in every worker', async () => {
    const before = await admin.setWeights(ROUTE, {
      weights: { baseline: 100 },
      cohort: { match: ACME, weights: { candidate: 100 } },
    });
    await gateway.kill9();

    gateway = await gateways.start(args);
    expect(await admin.getRoute(ROUTE)).toEqual(before);
    const afterRestart = await send(tenants(60));
    expectTenantCohort(afterRestart, await liveRecordsOf(afterRestart));
    await gateway.kill9();

    gateway = await gateways.start(['--processes', '2', ...args]);
    expect((await admin.info()).processes).toMatchObject({ workers: 2, alive: 2 });
    expect(await admin.getRoute(ROUTE)).toEqual(before);
    // Over CONCURRENCY connections, which the primary hands to its workers in turn.
    const inCluster = await send(tenants(200));
    expectTenantCohort(inCluster, await liveRecordsOf(inCluster));

    // A change made now is in force on both workers once the PUT answers.
    await admin.setWeights(ROUTE, {
      weights: { baseline: 100 },
      cohort: { match: { header: 'x-tenant', values: ['globex'] }, weights: { candidate: 100 } },
    });
    const sent = await send(tenants(120));
    const records = await liveRecordsOf(sent);
    for (const request of sent) {
      const inCohort = request.tenant === 'globex';
      expect(request.backend, request.requestId).toBe(inCohort ? 'candidate' : 'baseline');
      expect(records.get(`${request.requestId}/live`)?.cohort, request.requestId).toBe(inCohort);
    }
  }, 120_000);
});

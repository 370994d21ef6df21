// Two gateway processes behind one address with one route table: the gateway CLI as a real child
// with --processes 2 (a primary and two data-plane workers sharing the data port), in front of two
// simulated backends. Both workers serve; a weight change is in force on every worker when the
// admin PUT answers; records and shadow pairs of both workers come in one paging sequence with one
// epoch and /metrics counts exactly what was sent; a worker that does not apply a change in time
// is killed and replaced; a worker killed with -9 is restarted while the load carries on; the
// primary killed with -9 takes its workers along, and the restarted gateway serves the saved routes.
import { readdirSync, readFileSync, readlinkSync, mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GatewayAdminClient } from '../../gateway/admin-client';
import { GATEWAY_METRICS } from '../../gateway/metric-names';
import { eventually } from '../support/eventually';
import { gatewayCliAddresses } from '../support/gateway-cli-addresses';
import { closePair, pairRoute, startInstantPair, type BackendPair } from '../support/gateway-over-pair';
import { GatewayCli, isAlive, workerPids, type RunningGateway } from '../../stack/gateway-cli';

const TOKEN = 'processes-test-admin-token-0123456789';
const ROUTE = 'support-chat';
const CONCURRENCY = 40;

let dir: string;
let sims: BackendPair;
let args: string[];
let dataUrl: string;
let admin: GatewayAdminClient;
let gateway: RunningGateway;
const gateways = new GatewayCli(TOKEN);
/** Live requests the gateway answered (any status), for the records and metrics checks. */
let sent = 0;
let counter = 0;

interface Reply {
  status: number | 'connection error' | 'no answer';
  backend: string | null;
  requestId: string;
}

async function chat(session: string): Promise<Reply> {
  const requestId = `req-${++counter}`;
  try {
    const response = await fetch(`${dataUrl}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-session-id': session, 'x-request-id': requestId },
      body: JSON.stringify({ model: ROUTE, messages: [{ role: 'user', content: 'where is my order?' }] }),
      // A connection left open with nobody serving it must show as a failure, not stall the test.
      signal: AbortSignal.timeout(15_000),
    });
    await response.arrayBuffer();
    sent++;
    return { status: response.status, backend: response.headers.get('x-rollout-backend'), requestId };
  } catch (error) {
    return {
      status: (error as Error).name === 'TimeoutError' ? 'no answer' : 'connection error',
      backend: null,
      requestId,
    };
  }
}

/** One request on a connection of its own (no pool), so the primary hands that connection to a worker. */
function chatOnNewConnection(session: string): Promise<Reply['status']> {
  return new Promise((resolve) => {
    const body = JSON.stringify({ model: ROUTE, messages: [{ role: 'user', content: 'hello' }] });
    const req = request(
      `${dataUrl}/v1/chat/completions`,
      {
        method: 'POST',
        agent: false,
        headers: { 'content-type': 'application/json', 'x-session-id': session },
        timeout: 15_000,
      },
      (response) => {
        response.resume();
        response.on('end', () => resolve(response.statusCode!));
        response.on('error', () => resolve('connection error'));
      },
    );
    req.on('timeout', () => {
      req.destroy();
      resolve('no answer');
    });
    req.on('error', () => resolve('connection error'));
    req.end(body);
  });
}

/** `total` requests, CONCURRENCY at a time, each with its own session key. */
async function load(total: number, prefix: string): Promise<Reply[]> {
  const replies: Reply[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < total) {
        const i = next++;
        replies.push(await chat(`${prefix}-${i}`));
      }
    }),
  );
  return replies;
}

function countBy(replies: Reply[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const reply of replies) {
    const key = reply.status === 200 ? (reply.backend ?? 'none') : String(reply.status);
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
}

/**
 * Established TCP connections process `pid` holds whose remote (a backend) or local (the data
 * port it serves) port is `port`; read from /proc, so the gateway needs no debug hooks.
 */
function connections(pid: number, port: number, side: 'remote' | 'local'): number {
  const column = side === 'remote' ? 2 : 1;
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    const target = (() => {
      try {
        return readlinkSync(`/proc/${pid}/fd/${fd}`);
      } catch {
        return '';
      }
    })();
    const match = /^socket:\[(\d+)\]$/.exec(target);
    if (match) inodes.add(match[1]!);
  }
  return readFileSync('/proc/net/tcp', 'utf8')
    .split('\n')
    .slice(1)
    .map((line) => line.trim().split(/\s+/))
    .filter(
      (fields) =>
        fields.length > 9 &&
        fields[3] === '01' &&
        parseInt(fields[column]!.split(':')[1]!, 16) === port &&
        inodes.has(fields[9]!),
    ).length;
}

async function metricTotal(name: string, labels: Record<string, string>): Promise<number> {
  const text = await (await fetch(`${admin.adminUrl}/metrics`)).text();
  let total = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`)) continue;
    const labelText = line.slice(name.length + 1, line.indexOf('}'));
    if (Object.entries(labels).every(([key, value]) => labelText.includes(`${key}="${value}"`)))
      total += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return total;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'gateway-processes-'));
  sims = await startInstantPair('processes');
  const addresses = await gatewayCliAddresses(TOKEN, join(dir, 'gateway-state.json'));
  args = ['--processes', '2', ...addresses.args];
  ({ dataUrl, admin } = addresses);
  gateway = await gateways.start(args);
  await admin.defineRoute(ROUTE, pairRoute(sims));
}, 90_000);

afterAll(async () => {
  gateways.killAll();
  await closePair(sims);
  rmSync(dir, { recursive: true, force: true });
  expect(gateways.allOutput()).not.toContain(TOKEN);
});

describe('gateway --processes 2', () => {
  it('runs two workers that both serve, and the workers never see the admin token', async () => {
    const info = await admin.info();
    expect(info.processes).toEqual({ workers: 2, alive: 2, restarts: 0 });
    const pids = workerPids(gateway.child.pid!);
    expect(pids).toHaveLength(2);
    for (const pid of pids) expect(readFileSync(`/proc/${pid}/environ`, 'utf8')).not.toContain(TOKEN);

    const replies = await load(200, 'warm');
    expect(countBy(replies)).toEqual({ baseline: 200 });
    // Each worker has its own upstream pool: both hold connections to the baseline after the load.
    for (const pid of pids) expect(connections(pid, sims.baseline.port, 'remote'), `worker ${pid}`).toBeGreaterThan(0);
  }, 60_000);

  it('puts a weight change in force on every worker by the time the PUT answers', async () => {
    for (const round of [1, 2, 3]) {
      const servedByBaseline = sims.baseline.stats().requests;
      await admin.setWeights(ROUTE, { weights: { baseline: 0, candidate: 100 } });
      expect(countBy(await load(200, `flip-${round}`))).toEqual({ candidate: 200 });
      // None reached the old backend, as the gateway's header says and the backend itself counts.
      expect(sims.baseline.stats().requests).toBe(servedByBaseline);

      const servedByCandidate = sims.candidate.stats().requests;
      await admin.setWeights(ROUTE, { weights: { baseline: 100, candidate: 0 } });
      expect(countBy(await load(200, `back-${round}`))).toEqual({ baseline: 200 });
      expect(sims.candidate.stats().requests).toBe(servedByCandidate);
    }
    await admin.setWeights(ROUTE, { weights: { baseline: 70, candidate: 30 } });
    const counts = countBy(await load(400, 'split'));
    // 30 % of 400 distinct sessions is 120 (sd ~9); one worker on an old table would show 0 or 400.
    expect(counts.candidate).toBeGreaterThan(85);
    expect(counts.candidate).toBeLessThan(155);
    expect((counts.baseline ?? 0) + (counts.candidate ?? 0)).toBe(400);
  }, 120_000);

  it("keeps both workers' records and shadow pairs in one paging sequence with one epoch, and /metrics counts them all", async () => {
    await admin.setShadow(ROUTE, { enabled: true, target: 'candidate', share: 1 });
    await admin.setWeights(ROUTE, { weights: { baseline: 100, candidate: 0 } });
    const mirrored = await load(100, 'mirrored');
    await admin.setShadow(ROUTE, { enabled: false });
    const { epoch } = await admin.info();

    // Shadow copies finish after the replies the clients got, so their records may come later.
    const records = await eventually('every live and shadow request recorded', async () => {
      const page = await admin.records(ROUTE, { since: 0, epoch, limit: 10_000 });
      const count = (mode: string) => page.records.filter((record) => record.mode === mode).length;
      return count('live') >= sent && count('shadow') >= mirrored.length ? page : undefined;
    });
    expect(records).toMatchObject({ epoch, restarted: false, lost: 0 });
    expect(records.records.every((record) => record.epoch === epoch)).toBe(true);
    // One route, so its seqs are the gateway's: 1, 2, 3, … with no gap and no repeat.
    expect(records.records.map((record) => record.seq)).toEqual(records.records.map((_, i) => i + 1));
    const live = records.records.filter((record) => record.mode === 'live');
    expect(live).toHaveLength(sent);
    expect(new Set(live.map((record) => record.requestId)).size).toBe(sent);
    const shadow = records.records.filter((record) => record.mode === 'shadow');

    const pairs = await eventually('every shadow pair kept', async () => {
      const page = await admin.shadowPairs(ROUTE, { since: 0, epoch, limit: 10_000 });
      return page.pairs.length >= mirrored.length ? page : undefined;
    });
    expect(pairs.pairs.map((pair) => pair.requestId).sort()).toEqual(mirrored.map((reply) => reply.requestId).sort());
    expect(pairs.pairs.every((pair) => pair.epoch === epoch)).toBe(true);
    expect(pairs.pairs.map((pair) => pair.seq)).toEqual(pairs.pairs.map((_, i) => i + 1));
    expect(shadow).toHaveLength(mirrored.length);

    // Every answer is kept as text too (the default: every answer), sent by the workers with their batches.
    const samples = await eventually('every mirrored answer kept as text', async () => {
      const page = await admin.answerSamples(ROUTE, { since: 0, epoch, limit: 10_000 });
      return page.samples.filter((s) => s.mode === 'shadow').length >= mirrored.length ? page : undefined;
    });
    expect(samples).toMatchObject({ epoch, restarted: false, lost: 0 });
    expect(samples.samples.map((s) => s.seq)).toEqual(samples.samples.map((_, i) => i + 1));
    const mirroredIds = mirrored.map((reply) => reply.requestId).sort();
    for (const [mode, backend] of [
      ['live', 'baseline'],
      ['shadow', 'candidate'],
    ])
      expect(
        samples.samples
          .filter((s) => s.mode === mode && s.backend === backend && mirroredIds.includes(s.requestId))
          .map((s) => s.requestId)
          .sort(),
      ).toEqual(mirroredIds);
    expect(samples.samples.every((s) => s.answer.length > 0 && s.request.length > 0)).toBe(true);

    expect(await metricTotal(GATEWAY_METRICS.requests, { route: ROUTE, mode: 'live' })).toBe(sent);
    expect(await metricTotal(GATEWAY_METRICS.requests, { route: ROUTE, mode: 'shadow' })).toBe(shadow.length);
    expect(await metricTotal(`${GATEWAY_METRICS.duration}_count`, { route: ROUTE, mode: 'live' })).toBe(sent);
    const completionTokens = live.reduce((sum, record) => sum + record.completionTokens, 0);
    expect(await metricTotal(GATEWAY_METRICS.tokens, { route: ROUTE, mode: 'live', kind: 'completion' })).toBe(
      completionTokens,
    );
    // The weight gauges are the primary's table, not a sum over workers.
    expect(await metricTotal(GATEWAY_METRICS.weight, { route: ROUTE, backend: 'baseline' })).toBe(100);
  }, 120_000);

  it('kills and replaces a worker that does not apply a change in time, so no worker serves an old table', async () => {
    const [stuck, other] = workerPids(gateway.child.pid!);
    process.kill(stuck!, 'SIGSTOP');
    try {
      const startedAt = Date.now();
      await admin.setWeights(ROUTE, { weights: { baseline: 0, candidate: 100 } });
      // Bounded wait (2 s), then the laggard is killed before the PUT answers.
      expect(Date.now() - startedAt).toBeGreaterThanOrEqual(1_900);
      expect(isAlive(stuck!)).toBe(false);
    } finally {
      if (isAlive(stuck!)) process.kill(stuck!, 'SIGCONT');
    }
    expect(countBy(await load(200, 'after-stuck'))).toEqual({ candidate: 200 });
    const info = await eventually('the replacement serving', async () => {
      const current = await admin.info();
      return current.processes.alive === 2 ? current : undefined;
    });
    expect(info.processes).toEqual({ workers: 2, alive: 2, restarts: 1 });
    expect(workerPids(gateway.child.pid!)).toContain(other);
    expect(gateway.output()).toContain(`data-plane worker ${stuck} did not apply route table version`);
  }, 60_000);

  it('restarts a worker killed with -9 while the load carries on, failing at most one request per connection it held', async () => {
    const before = (await admin.info()).processes.restarts;
    const [victim] = workerPids(gateway.child.pid!);
    const replies: Reply[] = [];
    let running = true;
    const lanes = Array.from({ length: CONCURRENCY }, async (_, lane) => {
      for (let i = 0; running; i++) replies.push(await chat(`kill-${lane}-${i}`));
    });
    await eventually('load under way', async () => replies.length >= 200);
    const held = connections(victim!, Number(new URL(dataUrl).port), 'local');
    process.kill(victim!, 'SIGKILL');
    const info = await eventually('the worker restarted', async () => {
      const current = await admin.info();
      return current.processes.restarts === before + 1 && current.processes.alive === 2 ? current : undefined;
    });
    const atRestart = replies.length;
    await eventually('load after the restart', async () => replies.length >= atRestart + 400);
    running = false;
    await Promise.all(lanes);

    expect(info.processes.workers).toBe(2);
    expect(gateway.output()).toContain(`data-plane worker ${victim} exited (signal SIGKILL); restarting it`);
    const failed = replies.filter((reply) => reply.status !== 200);
    // Retry-free clients: only what the dead worker held fails, one request per connection at most
    // (the one in flight, or the next one sent before the client saw the connection close).
    expect(held).toBeGreaterThan(0);
    expect(failed.length).toBeLessThanOrEqual(held);
    // None left hanging ('no answer') and none answered with an error status.
    expect(failed.filter((reply) => reply.status !== 'connection error')).toEqual([]);
    expect(replies.length - failed.length).toBeGreaterThan(600);
    expect(countBy(replies.filter((reply) => reply.status === 200))).toEqual({
      candidate: replies.length - failed.length,
    });
    console.log(
      `worker kill -9 under load: ${failed.length} of ${replies.length} requests failed (connection errors); the worker held ${held} client connections`,
    );
  }, 90_000);

  it('closes the connections a dying worker was handed but had not taken, so no client hangs on them', async () => {
    const before = (await admin.info()).processes.restarts;
    const [victim] = workerPids(gateway.child.pid!);
    // Stopped, the worker takes no connection: those handed to it wait in the primary, as they
    // would for a worker that dies between the handoff and taking them.
    process.kill(victim!, 'SIGSTOP');
    const results = Array.from({ length: 10 }, (_, i) => chatOnNewConnection(`untaken-${i}`));
    await new Promise((resolve) => setTimeout(resolve, 500));
    process.kill(victim!, 'SIGKILL');
    const statuses = await Promise.all(results);
    // Every other connection went to the live worker; of the victim's, the one it was sent is
    // closed (it may have read from it) and the ones still queued go to the live worker whole.
    expect(statuses.filter((status) => status !== 200 && status !== 'connection error')).toEqual([]);
    expect(statuses.filter((status) => status === 200).length).toBeGreaterThanOrEqual(5);
    await eventually('the worker restarted', async () => {
      const current = await admin.info();
      return current.processes.restarts === before + 1 && current.processes.alive === 2 ? current : undefined;
    });
  }, 60_000);

  it('ends the workers with the primary on kill -9; the restarted gateway serves the saved routes', async () => {
    await admin.setWeights(ROUTE, { weights: { baseline: 40, candidate: 60 } });
    const before = await admin.getRoute(ROUTE);
    const { epoch } = await admin.info();
    const pids = workerPids(gateway.child.pid!);
    gateway.child.kill('SIGKILL');
    await gateway.exited;
    await eventually('the workers gone with their primary', async () => pids.every((pid) => !isAlive(pid)), 10_000);

    gateway = await gateways.start(args);
    expect(await admin.getRoute(ROUTE)).toEqual(before);
    const info = await admin.info();
    expect(info.epoch).not.toBe(epoch);
    expect(info.processes).toEqual({ workers: 2, alive: 2, restarts: 0 });
    const counts = countBy(await load(400, 'after-primary'));
    // 60 % of 400 is 240 (sd ~10).
    expect(counts.candidate).toBeGreaterThan(200);
    expect(counts.candidate).toBeLessThan(280);
  }, 90_000);

  it('stops gracefully on SIGTERM: workers first, then the primary, exit code 0', async () => {
    const pids = workerPids(gateway.child.pid!);
    gateway.child.kill('SIGTERM');
    expect(await gateway.exited).toBe(0);
    expect(pids.every((pid) => !isAlive(pid))).toBe(true);
    expect(gateway.output()).toContain('gateway stopped');
  }, 30_000);

  it('refuses to start when the data port is taken, naming it, and leaves no worker behind', async () => {
    const taken = sims.baseline.port;
    const mark = `gateway-processes-port-taken-${process.pid}-${Date.now()}`;
    const attempt = gateways.start(['--processes', '2', '--port', String(taken), '--admin-port', '0'], {
      TEST_MARK: mark,
    });
    const error = await attempt.then(
      () => null,
      (reason: Error) => reason,
    );
    expect(error?.message).toContain('gateway/main.ts exited with 1');
    expect(error?.message).toContain(`EADDRINUSE: address already in use 127.0.0.1:${taken}`);
    // The primary binds before it starts any worker: no process of this gateway is left (workers inherit its environment).
    const config = `TEST_MARK=${mark}`;
    const leftovers = readdirSync('/proc')
      .filter((entry) => /^\d+$/.test(entry))
      .filter((pid) => {
        try {
          return readFileSync(`/proc/${pid}/environ`, 'utf8').includes(config);
        } catch {
          return false;
        }
      });
    expect(leftovers).toEqual([]);
  }, 60_000);
});

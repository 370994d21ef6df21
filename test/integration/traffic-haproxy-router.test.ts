// HaproxyRouter against a real HAProxy (stack/haproxy.ts) in front of two real simulated
// backends: weights moved live over the runtime API, the traffic split that follows, what
// HAProxy cannot do (mirroring), retiring the baseline, and refusals.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApplicationFailure } from '@temporalio/activity';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RouterConfig } from '../../activities/contract';
import { haproxyCommand, HaproxyRouter } from '../../activities/traffic/haproxy-router';
import { startSimulatedBackend, type SimulatedBackend } from '../../simulator/sim-backend';
import { startHaproxy, type RunningHaproxy } from '../../stack/haproxy';
import { FailureType } from '../../workflows/failure-types';

type HaproxyConfig = Extract<RouterConfig, { kind: 'haproxy' }>;

const BACKEND = 'llm_chat';
const INSTANT = { latencyMedianMs: 0, latencySigma: 0, maxConcurrency: 1000 };
const UNUSED = { baseUrl: 'http://127.0.0.1:1/v1', model: 'unused' };

const dir = mkdtempSync(join(tmpdir(), 'hap-'));
let haproxy: RunningHaproxy;
let baseline: SimulatedBackend;
let candidate: SimulatedBackend;
let config: HaproxyConfig;

/** `n` chat requests through HAProxy, `parallel` at a time; what each backend served. */
async function send(
  n: number,
  parallel = 4,
): Promise<{ baseline: number; candidate: number; models: Record<string, number>; statuses: Record<string, number> }> {
  const before = { baseline: baseline.stats().requests, candidate: candidate.stats().requests };
  const models: Record<string, number> = {};
  const statuses: Record<string, number> = {};
  let next = 0;
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      while (next < n) {
        next += 1;
        // No `model` in the body: HAProxy does not rewrite it, and each simulator serves its own.
        const res = await fetch(`${haproxy.url}/v1/chat/completions`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ messages: [{ role: 'user', content: 'Where is my order?' }] }),
        });
        statuses[res.status] = (statuses[res.status] ?? 0) + 1;
        const text = await res.text();
        if (res.status === 200) {
          const model = (JSON.parse(text) as { model: string }).model;
          models[model] = (models[model] ?? 0) + 1;
        }
      }
    }),
  );
  return {
    baseline: baseline.stats().requests - before.baseline,
    candidate: candidate.stats().requests - before.candidate,
    models,
    statuses,
  };
}

/** Sets both weights straight over the runtime API, so a test does not depend on the one before. */
async function setRaw(weights: { baseline: number; candidate: number }): Promise<void> {
  expect(await haproxyCommand(haproxy.statsSocket, `set server ${BACKEND}/current weight ${weights.baseline}`)).toBe(
    '',
  );
  expect(await haproxyCommand(haproxy.statsSocket, `set server ${BACKEND}/next weight ${weights.candidate}`)).toBe('');
}

async function rejectionOf(promise: Promise<unknown>): Promise<ApplicationFailure> {
  const outcome = await promise.then(
    () => null,
    (error: unknown) => error,
  );
  if (outcome === null) throw new Error('expected a rejection');
  expect(outcome).toBeInstanceOf(ApplicationFailure);
  return outcome as ApplicationFailure;
}

beforeAll(async () => {
  [baseline, candidate] = await Promise.all([
    startSimulatedBackend({ model: 'sim-hap-base', behaviour: { ...INSTANT, seed: 1 } }),
    startSimulatedBackend({ model: 'sim-hap-cand', behaviour: { ...INSTANT, seed: 2 } }),
  ]);
  haproxy = await startHaproxy({
    dataDir: join(dir, 'data'),
    logDir: join(dir, 'logs'),
    backendName: BACKEND,
    servers: [
      { name: 'current', host: '127.0.0.1', port: baseline.port, weight: 100 },
      { name: 'next', host: '127.0.0.1', port: candidate.port, weight: 0 },
    ],
  });
  config = {
    kind: 'haproxy',
    statsSocket: haproxy.statsSocket,
    haproxyBackend: BACKEND,
    baselineServer: 'current',
    candidateServer: 'next',
  };
});

afterAll(async () => {
  await haproxy?.stop();
  await Promise.all([baseline?.close(), candidate?.close()]);
  rmSync(dir, { recursive: true, force: true });
});

describe('startHaproxy', () => {
  it('runs HAProxy with an admin runtime socket and a round-robin backend on loopback', async () => {
    const cfg = readFileSync(haproxy.configFile, 'utf8');
    expect(cfg).toContain(`stats socket ${haproxy.statsSocket} mode 600 level admin`);
    expect(cfg).toContain(`bind 127.0.0.1:${haproxy.port}`);
    expect(cfg).toContain('balance roundrobin');
    expect(cfg).toContain(`server current 127.0.0.1:${baseline.port} weight 100`);
    expect(haproxy.url).toBe(`http://127.0.0.1:${haproxy.port}`);
    expect(await haproxyCommand(haproxy.statsSocket, `get weight ${BACKEND}/next`)).toBe('0 (initial 0)');
    // Initial weights 100/0: everything to the baseline.
    expect(await send(20)).toEqual({
      baseline: 20,
      candidate: 0,
      models: { 'sim-hap-base': 20 },
      statuses: { 200: 20 },
    });
  });

  it('refuses a configuration it could not run, before starting anything', async () => {
    await expect(
      startHaproxy({
        dataDir: join(dir, 'bad'),
        logDir: join(dir, 'logs'),
        backendName: 'b',
        servers: [{ name: 'x y', host: '127.0.0.1', port: 1, weight: 300 }],
      }),
    ).rejects.toThrow(
      'invalid HAProxy configuration:\n  - server name "x y" must match /^[A-Za-z0-9_.-]{1,64}$/\n  - server x y: weight must be a whole number 0–256, got 300',
    );
  });
});

describe('HaproxyRouter on a live HAProxy', () => {
  it('reads the weights from the runtime API', async () => {
    const router = new HaproxyRouter(config);
    expect(await router.read()).toEqual({
      weights: { baseline: 100, candidate: 0 },
      shadow: { enabled: false, target: null, share: 0 },
      backends: ['baseline', 'candidate'],
    });
    // defineBackends only checks both servers exist: the servers live in HAProxy's own config.
    expect((await router.defineBackends(UNUSED, UNUSED)).weights).toEqual({ baseline: 100, candidate: 0 });
  });

  it('moves weights live to 90/10 and then 50/50, and the traffic follows', async () => {
    const router = new HaproxyRouter(config);
    expect((await router.setWeights({ baseline: 90, candidate: 10 })).weights).toEqual({ baseline: 90, candidate: 10 });
    // Weighted round-robin is deterministic: over 200 requests the split is within a few requests
    // of the weights. Tolerance: ±3 points (6 requests).
    const ninety = await send(200);
    expect(ninety.statuses).toEqual({ 200: 200 });
    expect(ninety.baseline + ninety.candidate).toBe(200);
    expect(Math.abs(ninety.candidate - 20)).toBeLessThanOrEqual(6);
    // What the simulators counted agrees with who answered.
    expect(ninety.models).toEqual({ 'sim-hap-base': ninety.baseline, 'sim-hap-cand': ninety.candidate });

    expect((await router.setWeights({ baseline: 50, candidate: 50 })).weights).toEqual({ baseline: 50, candidate: 50 });
    const half = await send(200);
    expect(half.statuses).toEqual({ 200: 200 });
    expect(Math.abs(half.candidate - 100)).toBeLessThanOrEqual(6);
    expect(await haproxyCommand(haproxy.statsSocket, `get weight ${BACKEND}/next`)).toBe('50 (initial 0)');
  });

  it('never leaves every server at weight 0 while moving weights, in either direction', async () => {
    // A tap in front of the runtime API records both weights right after each `set` command, so
    // every intermediate state HAProxy was in is seen, not sampled.
    const snapshots: Array<{ baseline: number; candidate: number }> = [];
    const weightOf = async (server: string) =>
      Number(/^(\d+)/.exec(await haproxyCommand(haproxy.statsSocket, `get weight ${BACKEND}/${server}`))![1]);
    // allowHalfOpen: the router half-closes after its command and waits for the answer.
    const tap: Server = createServer({ allowHalfOpen: true }, (socket) => {
      let command = '';
      socket.on('data', (chunk) => {
        command += chunk.toString('utf8');
        if (!command.includes('\n')) return;
        void (async () => {
          const answer = await haproxyCommand(haproxy.statsSocket, command.trim());
          if (command.startsWith('set server'))
            snapshots.push({ baseline: await weightOf('current'), candidate: await weightOf('next') });
          socket.end(`${answer}\n`);
        })().catch((error: unknown) => socket.destroy(error as Error));
      });
    });
    await new Promise<void>((resolve) => tap.listen(0, '127.0.0.1', resolve));
    try {
      const router = new HaproxyRouter({ ...config, statsSocket: `127.0.0.1:${(tap.address() as AddressInfo).port}` });
      const share = (w: { baseline: number; candidate: number }) => w.candidate / (w.baseline + w.candidate);
      // Cutover from a canary, rollback after the cutover (100 % back to the baseline), and the ramp again.
      const moves = [
        { baseline: 0, candidate: 100 },
        { baseline: 100, candidate: 0 },
        { baseline: 0, candidate: 100 },
        { baseline: 75, candidate: 25 },
        { baseline: 50, candidate: 50 },
      ];
      let from = (await router.read()).weights;
      for (const to of moves) {
        snapshots.length = 0;
        expect((await router.setWeights(to)).weights).toEqual(to);
        expect(snapshots.length).toBeGreaterThan(0);
        for (const snapshot of snapshots) {
          expect(
            snapshot.baseline + snapshot.candidate,
            `${JSON.stringify(from)} → ${JSON.stringify(to)}: ${JSON.stringify(snapshots)}`,
          ).toBeGreaterThan(0);
          // Every intermediate mix lies between the old and the new one.
          expect(share(snapshot)).toBeGreaterThanOrEqual(Math.min(share(from), share(to)));
          expect(share(snapshot)).toBeLessThanOrEqual(Math.max(share(from), share(to)));
        }
        from = to;
      }
    } finally {
      await new Promise((resolve) => tap.close(resolve));
    }
    // Traffic is fine after all that: 50/50.
    const after = await send(100);
    expect(after.statuses).toEqual({ 200: 100 });
    expect(Math.abs(after.candidate - 50)).toBeLessThanOrEqual(5);
  });

  it('refuses to mirror: shadow traffic fails non-retryably, turning it off is a no-op', async () => {
    const router = new HaproxyRouter(config);
    const error = await rejectionOf(router.setShadow({ enabled: true, target: 'candidate', share: 0.5 }));
    expect(error.nonRetryable).toBe(true);
    expect(error.type).toBe(FailureType.InvalidRouterConfig);
    expect(error.message).toBe(
      'HAProxy has no request mirroring: disable stages.shadow, or route through the llm-rollout gateway',
    );
    expect((await router.setShadow({ enabled: false, target: null, share: 0 })).shadow).toEqual({
      enabled: false,
      target: null,
      share: 0,
    });
  });

  it('reports an unknown server or backend clearly and non-retryably, changing nothing', async () => {
    await setRaw({ baseline: 50, candidate: 50 });
    const unknownServer = await rejectionOf(
      new HaproxyRouter({ ...config, candidateServer: 'nope' }).setWeights({ baseline: 80, candidate: 20 }),
    );
    expect(unknownServer.nonRetryable).toBe(true);
    expect(unknownServer.type).toBe(FailureType.InvalidRouterConfig);
    expect(unknownServer.message).toBe(`HAProxy refused "get weight ${BACKEND}/nope": No such server.`);

    const unknownBackend = await rejectionOf(new HaproxyRouter({ ...config, haproxyBackend: 'llm_typo' }).read());
    expect(unknownBackend.message).toBe('HAProxy refused "get weight llm_typo/current": No such backend.');
    expect((await new HaproxyRouter(config).read()).weights).toEqual({ baseline: 50, candidate: 50 });
  });

  it('treats any answer to a set command as a refusal', async () => {
    // HAProxy answers "Absolute weight can only be between 0 and 256 inclusive." and leaves the
    // weight alone; reporting success would leave the rollout believing traffic moved.
    await setRaw({ baseline: 50, candidate: 50 });
    const error = await rejectionOf(new HaproxyRouter(config).setWeights({ baseline: 300, candidate: 50 }));
    expect(error.nonRetryable).toBe(true);
    expect(error.message).toBe(
      `HAProxy refused "set server ${BACKEND}/current weight 300": Absolute weight can only be between 0 and 256 inclusive.`,
    );
    expect((await new HaproxyRouter(config).read()).weights).toEqual({ baseline: 50, candidate: 50 });
  });

  it('reports an unreachable runtime API as a retryable error', async () => {
    const error = await new HaproxyRouter({ ...config, statsSocket: join(dir, 'missing.sock') }).read().then(
      () => null,
      (caught: unknown) => caught as Error,
    );
    expect(error).not.toBeNull();
    expect(error).not.toBeInstanceOf(ApplicationFailure);
    expect(error!.message).toMatch(new RegExp(`^HAProxy runtime API at ${join(dir, 'missing.sock')}: connect ENOENT`));
  });

  it('retires the baseline: maintenance mode, and all traffic on the candidate', async () => {
    // Last in the file: the baseline server stays in maintenance.
    await setRaw({ baseline: 50, candidate: 50 });
    const router = new HaproxyRouter(config);
    const state = await router.retireBaseline(UNUSED);
    expect(state.weights).toEqual({ baseline: 0, candidate: 50 });
    const servers = await haproxyCommand(haproxy.statsSocket, `show servers state ${BACKEND}`);
    const row = servers
      .split('\n')
      .find((line) => line.split(' ')[3] === 'current')!
      .split(' ');
    // srv_admin_state (column 7) has bit 0x01 set: forced maintenance.
    expect(Number(row[6]) & 0x01).toBe(1);

    const traffic = await send(50);
    expect(traffic).toEqual({ baseline: 0, candidate: 50, models: { 'sim-hap-cand': 50 }, statuses: { 200: 50 } });
    // Idempotent: retiring again changes nothing.
    expect((await router.retireBaseline(UNUSED)).weights).toEqual({ baseline: 0, candidate: 50 });

    // A later rollout on the same HAProxy puts weight on that server again: it must leave
    // maintenance, or its weight would send it nothing.
    await router.setWeights({ baseline: 50, candidate: 50 });
    const after = (await haproxyCommand(haproxy.statsSocket, `show servers state ${BACKEND}`))
      .split('\n')
      .find((line) => line.split(' ')[3] === 'current')!
      .split(' ');
    expect(Number(after[6]) & 0x01).toBe(0);
    const back = await send(50);
    expect(back.baseline).toBeGreaterThan(10);
  });
});

// Routes that survive: the gateway CLI as a real child process with --state-file, killed with
// SIGKILL in the middle of a canary (60/40, shadow on) and started again on the same ports and
// file, as a supervisor would. It must serve the route with the same weights and mirroring from
// its very first answer, under a new epoch, and a records reader holding the old epoch is told
// it is across a restart and gets only the new process's records.
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gatewayCliAddresses } from '../support/gateway-cli-addresses';
import { closePair, startInstantPair, type BackendPair } from '../support/gateway-over-pair';
import { freePort } from '../../stack/free-port';
import { GatewayCli } from '../../stack/gateway-cli';

const TOKEN = 'restart-test-admin-token-0123456789';
const ROUTE = 'support-chat';

let dir: string;
let sims: BackendPair;
const gateways = new GatewayCli(TOKEN);
const startGatewayProcess = (args: string[]) => gateways.start(args);

function chat(dataUrl: string, user?: string): Promise<Response> {
  return fetch(`${dataUrl}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      model: ROUTE,
      ...(user ? { user } : {}),
      messages: [{ role: 'user', content: 'where is my order?' }],
    }),
  });
}

async function split(dataUrl: string, requests: number): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (let i = 0; i < requests; i += 50) {
    const replies = await Promise.all(Array.from({ length: Math.min(50, requests - i) }, () => chat(dataUrl)));
    for (const reply of replies) {
      expect(reply.status).toBe(200);
      await reply.arrayBuffer();
      const backend = reply.headers.get('x-rollout-backend') ?? 'none';
      counts[backend] = (counts[backend] ?? 0) + 1;
    }
  }
  return counts;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'gateway-restart-'));
  sims = await startInstantPair('restart');
});

afterAll(async () => {
  gateways.killAll();
  await closePair(sims);
  rmSync(dir, { recursive: true, force: true });
  expect(gateways.allOutput()).not.toContain(TOKEN);
});

describe('gateway restart with a state file', () => {
  it('serves the route with its last weights and mirroring at once after kill -9, under a new epoch', async () => {
    const stateFile = join(dir, 'gateway-state.json');
    const { args, dataUrl, admin } = await gatewayCliAddresses(TOKEN, stateFile);

    const first = await startGatewayProcess(args);
    expect(first.output()).toContain(`[gateway] data plane ${dataUrl}`);
    await admin.defineRoute(ROUTE, {
      backends: [
        { name: 'baseline', baseUrl: sims.baseline.url, model: sims.baseline.model, apiKey: 'sk-upstream-secret' },
        { name: 'candidate', baseUrl: sims.candidate.url, model: sims.candidate.model },
      ],
    });
    await admin.setWeights(ROUTE, { weights: { baseline: 60, candidate: 40 } });
    const before = await admin.setShadow(ROUTE, { enabled: true, target: 'candidate', share: 0.5 });
    // Admin changes answer only once written: the file holds the route now, key included, 0600.
    expect(statSync(stateFile).mode & 0o777).toBe(0o600);
    await split(dataUrl, 100);
    const oldEpoch = (await admin.info()).epoch;
    const oldPage = await admin.records(ROUTE, { since: 0, limit: 10_000 });
    expect(oldPage.epoch).toBe(oldEpoch);
    expect(oldPage.records.length).toBeGreaterThanOrEqual(100);

    await first.kill9();

    const second = startGatewayProcess(args);
    // Probe the data plane until it accepts a connection; its very first answer must be the route.
    let firstAnswer: Response | null = null;
    while (!firstAnswer) {
      firstAnswer = await chat(dataUrl, 'first-after-restart').catch(() => null);
      if (!firstAnswer) await new Promise((resolve) => setTimeout(resolve, 5));
    }
    const acceptedAt = performance.now();
    expect(firstAnswer.status).toBe(200);
    await firstAnswer.arrayBuffer();
    await second;
    console.log(
      `gateway restart: spawn → first answer ${Math.round(acceptedAt - second.spawnedAt)} ms (mostly node + tsx start-up)`,
    );

    const after = await admin.getRoute(ROUTE);
    expect(after).toEqual(before);
    expect(after).toMatchObject({
      weights: { baseline: 60, candidate: 40 },
      shadow: { enabled: true, target: 'candidate', share: 0.5 },
    });
    const counts = await split(dataUrl, 400);
    // 40 % of 400 is 160 (sd ~10): a reset to baseline 100 or an even split would fall far outside.
    expect(counts.candidate).toBeGreaterThan(120);
    expect(counts.candidate).toBeLessThan(200);

    const info = await admin.info();
    expect(info.epoch).not.toBe(oldEpoch);
    expect(info.routes).toBe(1);
    const across = await admin.records(ROUTE, { since: oldPage.nextSince, epoch: oldEpoch, limit: 10_000 });
    expect(across.restarted).toBe(true);
    expect(across.epoch).toBe(info.epoch);
    expect(across.lost).toBe(0);
    expect(across.records[0]?.seq).toBe(1);
    expect(across.records.every((record) => record.epoch === info.epoch)).toBe(true);
    // Only the new process's records: the first answer, the 400 live requests and their shadow copies.
    const live = across.records.filter((record) => record.mode === 'live');
    expect(live).toHaveLength(401);
    const next = await admin.records(ROUTE, { since: across.nextSince, epoch: across.epoch });
    expect(next).toMatchObject({ restarted: false, records: [] });

    // The upstream key survived too (in the 0600 file), though the admin API never shows it.
    expect(JSON.stringify(after)).not.toContain('sk-upstream-secret');
    const saved = JSON.parse(readFileSync(stateFile, 'utf8')) as {
      routes: Array<{ backends: Array<{ apiKey?: string }> }>;
    };
    expect(saved.routes[0]?.backends[0]?.apiKey).toBe('sk-upstream-secret');
    expect(statSync(stateFile).mode & 0o777).toBe(0o600);
    const pairs = await admin.shadowPairs(ROUTE, { since: 0, epoch: oldEpoch });
    expect(pairs).toMatchObject({ restarted: true, epoch: info.epoch });
    expect(pairs.pairs.every((pair) => pair.epoch === info.epoch)).toBe(true);
  }, 90_000);

  it('refuses to start on a corrupt state file, naming it, and listens on nothing', async () => {
    const stateFile = join(dir, 'corrupt-state.json');
    writeFileSync(stateFile, '{"format":1,"savedAt":"2026-01-01T00:00:00Z","routes":[{"route":"chat"');
    const port = await freePort();
    const attempt = startGatewayProcess(['--port', String(port), '--admin-port', '0', '--state-file', stateFile]);
    const error = await attempt.then(
      () => null,
      (reason: Error) => reason,
    );
    expect(error?.message).toContain('gateway/main.ts exited with 1');
    expect(error?.message).toContain(`gateway state file ${stateFile}: is not valid JSON`);
    expect(error?.message).toContain('refusing to start');
    expect(await chat(`http://127.0.0.1:${port}`).catch(() => 'refused')).toBe('refused');
  }, 60_000);
});

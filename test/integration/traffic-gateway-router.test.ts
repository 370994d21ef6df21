// GatewayRouter (the traffic activities' client of the gateway admin API) against the real
// gateway and real simulated backends: every state it leaves a route in, what the gateway did on
// the way there (RouteTable change log), and the traffic that actually flowed.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { ApplicationFailure } from '@temporalio/activity';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RouterConfig } from '../../activities/contract';
import {
  createTrafficActivities,
  FALLBACK_BACKEND,
  resolveBackend,
  type RouterFactory,
} from '../../activities/traffic/index';
import { FanOutRouter } from '../../activities/traffic/fan-out-router';
import { GatewayRouter } from '../../activities/traffic/gateway-router';
import { restoreBaseline } from '../../activities/traffic/reconcile';
import { resolveGatewayToken } from '../../activities/traffic/gateway-token';
import type { ResolvedBackend } from '../../activities/traffic/traffic-router';
import type { RouteState } from '../../gateway/admin-api';
import { GatewayAdminClient } from '../../gateway/admin-client';
import { startGateway, type GatewayHandle } from '../../gateway/server';
import { startSimulatedBackend, type SimulatedBackend } from '../../simulator/sim-backend';
import { freePort } from '../../stack/managed-process';
import { FailureType } from '../../workflows/failure-types';
import { parsePlan, routeTargetOf } from '../../plan/schema';
import { restoreTrafficNow } from '../../client/break-glass';
import { InMemoryRouter } from '../support/in-memory-router';

const INSTANT = { latencyMedianMs: 0, latencySigma: 0, maxConcurrency: 1000 };

let gateway: GatewayHandle;
let oldBaseline: SimulatedBackend;
let candidate: SimulatedBackend;
let staleCandidate: SimulatedBackend;
/** Every effective route change the gateway committed, in order. */
const changes: Array<{ route: string; state: RouteState | null }> = [];

const backendOf = (sim: SimulatedBackend): ResolvedBackend => ({ baseUrl: sim.url, model: sim.model });
const changesOf = (route: string) => changes.filter((change) => change.route === route).map((change) => change.state!);

/** A router on the test gateway's admin plane, with its token (or the one given). */
const routerOn = (route: string, adminUrl = gateway.adminUrl, token = gateway.adminToken) =>
  new GatewayRouter(new GatewayAdminClient({ adminUrl, token }), route);

async function admin(method: string, path: string, body?: unknown): Promise<{ status: number; json: RouteState }> {
  const res = await fetch(`${gateway.adminUrl}/admin/routes/${path}`, {
    method,
    headers: {
      authorization: `Bearer ${gateway.adminToken}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, json: (await res.json()) as RouteState };
}

async function chat(
  route: string,
  user?: string,
): Promise<{ status: number; backend: string | null; model: string | null }> {
  const res = await fetch(`${gateway.baseUrl}/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(user ? { 'x-user-id': user } : {}) },
    body: JSON.stringify({ model: route, messages: [{ role: 'user', content: 'Where is my order?' }] }),
  });
  const json = (await res.json()) as { model?: string };
  return { status: res.status, backend: res.headers.get('x-rollout-backend'), model: json.model ?? null };
}

/** The rejection of `promise`; fails the test if it resolves. */
async function rejectionOf(promise: Promise<unknown>): Promise<Error> {
  const outcome = await promise.then(
    () => null,
    (error: unknown) => error as Error,
  );
  if (outcome === null) throw new Error('expected a rejection');
  return outcome;
}

beforeAll(async () => {
  [oldBaseline, candidate, staleCandidate] = await Promise.all([
    startSimulatedBackend({ model: 'sim-gw-base', behaviour: { ...INSTANT, seed: 1 } }),
    startSimulatedBackend({ model: 'sim-gw-cand', behaviour: { ...INSTANT, seed: 2 } }),
    startSimulatedBackend({ model: 'sim-gw-stale', behaviour: { ...INSTANT, seed: 3 } }),
  ]);
  gateway = await startGateway({ defaultMetrics: false });
  gateway.routes.onChange((route, state) => changes.push({ route, state }));
  // Where the worker's activities find the admin token.
  process.env.GATEWAY_ADMIN_TOKEN = gateway.adminToken;
});

afterAll(async () => {
  delete process.env.GATEWAY_ADMIN_TOKEN;
  await gateway?.close();
  await Promise.all([oldBaseline?.close(), candidate?.close(), staleCandidate?.close()]);
});

describe('GatewayRouter.defineBackends', () => {
  it('creates a new route with all traffic on the baseline', async () => {
    const router = routerOn('fresh');
    const state = await router.defineBackends(backendOf(oldBaseline), backendOf(candidate));
    expect(state).toEqual({
      weights: { baseline: 100, candidate: 0 },
      shadow: { enabled: false, target: null, share: 0 },
      backends: ['baseline', 'candidate'],
    });

    const route = (await admin('GET', 'fresh')).json;
    expect(route.backends).toEqual([
      { name: 'baseline', baseUrl: oldBaseline.url, model: 'sim-gw-base' },
      { name: 'candidate', baseUrl: candidate.url, model: 'sim-gw-cand' },
    ]);
    const replies = await Promise.all(Array.from({ length: 20 }, (_, i) => chat('fresh', `user-${i}`)));
    expect(
      replies.every((reply) => reply.status === 200 && reply.backend === 'baseline' && reply.model === 'sim-gw-base'),
    ).toBe(true);
  });

  it('puts a route left on a candidate by a crashed rollout back on its baseline before redefining it', async () => {
    // A rollout crashed at 30 % with mirroring on: its stale candidate still gets traffic.
    await admin('PUT', 'crashed', {
      backends: [
        { name: 'baseline', ...backendOf(oldBaseline) },
        { name: 'candidate', ...backendOf(staleCandidate) },
      ],
    });
    await admin('PUT', 'crashed/weights', { weights: { baseline: 70, candidate: 30 } });
    await admin('PUT', 'crashed/shadow', { enabled: true, target: 'candidate', share: 1 });
    const before = changesOf('crashed').length;

    const state = await routerOn('crashed').defineBackends(backendOf(oldBaseline), backendOf(candidate));
    expect(state).toEqual({
      weights: { baseline: 100, candidate: 0 },
      shadow: { enabled: false, target: null, share: 0 },
      backends: ['baseline', 'candidate'],
    });

    const steps = changesOf('crashed').slice(before);
    // First the stale candidate loses its weight, while it is still the one defined...
    expect(steps[0]!.weights).toEqual({ baseline: 100, candidate: 0 });
    expect(steps[0]!.backends[1]!.model).toBe('sim-gw-stale');
    // ...and no state ever gives the new candidate live weight or mirrored copies.
    for (const step of steps) {
      if (step.backends.some((backend) => backend.model === 'sim-gw-cand')) {
        expect(step.weights.candidate).toBe(0);
        expect(step.shadow.enabled).toBe(false);
      }
    }
    expect(steps.at(-1)!.backends.map((backend) => backend.model)).toEqual(['sim-gw-base', 'sim-gw-cand']);

    // Traffic now: all on the old baseline, and no copies reach the new candidate.
    const candidateBefore = candidate.stats().requests;
    const replies = await Promise.all(Array.from({ length: 20 }, (_, i) => chat('crashed', `crash-user-${i}`)));
    expect(replies.every((reply) => reply.backend === 'baseline' && reply.model === 'sim-gw-base')).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 100)); // a mirrored copy would have landed by now
    expect(candidate.stats().requests).toBe(candidateBefore);
  });

  it('is idempotent: redefining the same backends changes nothing', async () => {
    const router = routerOn('again');
    await router.defineBackends(backendOf(oldBaseline), backendOf(candidate));
    const version = (await admin('GET', 'again')).json.version;
    const state = await router.defineBackends(backendOf(oldBaseline), backendOf(candidate));
    expect(state.weights).toEqual({ baseline: 100, candidate: 0 });
    expect((await admin('GET', 'again')).json.version).toBe(version);
  });
});

describe('GatewayRouter weights and shadow', () => {
  it('sets weights idempotently: the second identical call leaves the route version alone', async () => {
    const router = routerOn('weights');
    await router.defineBackends(backendOf(oldBaseline), backendOf(candidate));
    const first = await router.setWeights({ baseline: 75, candidate: 25 });
    const version = (await admin('GET', 'weights')).json.version;
    const second = await router.setWeights({ baseline: 75, candidate: 25 });
    expect(first).toEqual(second);
    expect(second.weights).toEqual({ baseline: 75, candidate: 25 });
    expect((await admin('GET', 'weights')).json.version).toBe(version);
    expect(await router.read()).toEqual(second);
  });

  it('turns mirroring on and off, and the candidate sees the copies only while it is on', async () => {
    const router = routerOn('shadowed');
    await router.defineBackends(backendOf(oldBaseline), backendOf(candidate));

    const on = await router.setShadow({ enabled: true, target: 'candidate', share: 1 });
    expect(on.shadow).toEqual({ enabled: true, target: 'candidate', share: 1 });
    const before = candidate.stats().requests;
    for (let i = 0; i < 10; i++) expect((await chat('shadowed', `s-${i}`)).backend).toBe('baseline');
    const deadline = Date.now() + 5_000;
    while (candidate.stats().requests - before < 10 && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 20));
    expect(candidate.stats().requests - before).toBe(10);

    const off = await router.setShadow({ enabled: false, target: null, share: 0 });
    expect(off.shadow).toEqual({ enabled: false, target: null, share: 0 });
    const afterOff = candidate.stats().requests;
    for (let i = 0; i < 10; i++) await chat('shadowed', `s-${i}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(candidate.stats().requests).toBe(afterOff);
  });

  it('refuses to enable mirroring without a target instead of silently turning it off', async () => {
    const router = routerOn('shadowed');
    await router.setShadow({ enabled: true, target: 'candidate', share: 0.5 });
    const error = await rejectionOf(router.setShadow({ enabled: true, target: null, share: 0.5 }));
    expect(error).toBeInstanceOf(ApplicationFailure);
    expect((error as ApplicationFailure).nonRetryable).toBe(true);
    expect((error as ApplicationFailure).type).toBe(FailureType.InvalidRouterConfig);
    expect((await router.read()).shadow).toEqual({ enabled: true, target: 'candidate', share: 0.5 });
  });
});

describe('GatewayRouter.retireBaseline', () => {
  it('leaves the candidate as the sole baseline at 100 without ever routing to the old baseline', async () => {
    const router = routerOn('retire');
    await router.defineBackends(backendOf(oldBaseline), backendOf(candidate));
    await router.setWeights({ baseline: 0, candidate: 100 }); // after the cutover
    const before = changesOf('retire').length;
    const oldBaselineBefore = oldBaseline.stats().requests;

    // Live traffic through the gateway for the whole retirement.
    let running = true;
    const replies: Array<Awaited<ReturnType<typeof chat>>> = [];
    const clients = Array.from({ length: 6 }, async (_, client) => {
      for (let i = 0; running && i < 2_000; i++) replies.push(await chat('retire', `retire-${client}-${i % 7}`));
    });
    /** Waits (bounded) until `count` more replies have come back. */
    const repliesMore = async (count: number) => {
      const target = replies.length + count;
      const deadline = Date.now() + 10_000;
      while (replies.length < target && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5));
    };
    await repliesMore(20);
    const state = await router.retireBaseline(backendOf(candidate));
    await repliesMore(20);
    running = false;
    await Promise.all(clients);

    expect(state).toEqual({
      weights: { baseline: 100, candidate: 0 },
      shadow: { enabled: false, target: null, share: 0 },
      backends: ['baseline'],
    });
    expect((await admin('GET', 'retire')).json.backends).toEqual([
      { name: 'baseline', baseUrl: candidate.url, model: 'sim-gw-cand' },
    ]);

    // Every intermediate state the gateway went through kept all weight on the candidate's model.
    const steps = changesOf('retire').slice(before);
    expect(steps).toHaveLength(3);
    for (const step of steps) {
      for (const backend of step.backends)
        if ((step.weights[backend.name] ?? 0) > 0) expect(backend.model).toBe('sim-gw-cand');
    }
    // And the traffic agrees: the old baseline got nothing, every answer came from the candidate.
    expect(replies.length).toBeGreaterThanOrEqual(40);
    expect(replies.every((reply) => reply.status === 200 && reply.model === 'sim-gw-cand')).toBe(true);
    expect(new Set(replies.map((reply) => reply.backend))).toEqual(new Set(['candidate', 'baseline']));
    expect(oldBaseline.stats().requests).toBe(oldBaselineBefore);
  });

  it('is idempotent once retired', async () => {
    const router = routerOn('retire');
    const version = (await admin('GET', 'retire')).json.version;
    const state = await router.retireBaseline(backendOf(candidate));
    expect(state.backends).toEqual(['baseline']);
    expect((await admin('GET', 'retire')).json.version).toBe(version);
  });
});

describe('GatewayRouter errors', () => {
  it('turns a 4xx from the gateway into a non-retryable ApplicationFailure with a type', async () => {
    const router = routerOn('weights');
    const invalid = await rejectionOf(router.setWeights({ baseline: 50, candidate: 20 }));
    expect(invalid).toBeInstanceOf(ApplicationFailure);
    expect((invalid as ApplicationFailure).nonRetryable).toBe(true);
    expect((invalid as ApplicationFailure).type).toBe(FailureType.InvalidRouterConfig);
    expect(invalid.message).toMatch(
      /^gateway refused PUT \/admin\/routes\/weights\/weights → 400: .*must sum to 100, got 70/,
    );

    // The retired route has no 'candidate' backend any more: a conflict.
    const conflict = await rejectionOf(routerOn('retire').setWeights({ baseline: 0, candidate: 100 }));
    expect((conflict as ApplicationFailure).nonRetryable).toBe(true);
    expect((conflict as ApplicationFailure).type).toBe(FailureType.RouteConflict);

    const missing = await rejectionOf(routerOn('no-such-route').read());
    expect((missing as ApplicationFailure).type).toBe(FailureType.RouteNotFound);
    expect((missing as ApplicationFailure).nonRetryable).toBe(true);
  });

  it('treats an unreachable gateway and a 5xx as retryable errors', async () => {
    const closedPort = await freePort();
    const unreachable = await rejectionOf(
      routerOn('r', `http://127.0.0.1:${closedPort}`).setWeights({ baseline: 100, candidate: 0 }),
    );
    expect(unreachable).not.toBeInstanceOf(ApplicationFailure);
    expect(unreachable.message).toBe(
      `gateway admin API unreachable at http://127.0.0.1:${closedPort}/admin/routes/r/weights: fetch failed`,
    );

    const failing: Server = createServer((_req, res) =>
      res.writeHead(503, { 'content-type': 'text/plain' }).end('restarting'),
    );
    await new Promise<void>((resolve) => failing.listen(0, '127.0.0.1', resolve));
    try {
      const port = (failing.address() as AddressInfo).port;
      const serverError = await rejectionOf(routerOn('r', `http://127.0.0.1:${port}`).read());
      expect(serverError).not.toBeInstanceOf(ApplicationFailure);
      expect(serverError.message).toBe('gateway error GET /admin/routes/r → 503: restarting');
    } finally {
      await new Promise((resolve) => failing.close(resolve));
    }
  });
});

describe('the admin token', () => {
  it('a wrong token is refused (401) as a non-retryable error whose message never holds the token', async () => {
    const wrong = 'not-the-admin-token-0123456789';
    const refused = await rejectionOf(routerOn('weights', gateway.adminUrl, wrong).read());
    expect(refused).toBeInstanceOf(ApplicationFailure);
    expect((refused as ApplicationFailure).nonRetryable).toBe(true);
    expect((refused as ApplicationFailure).type).toBe(FailureType.InvalidRouterConfig);
    expect(refused.message).toContain('→ 401');
    expect(refused.message).toContain('invalid credential');
    expect(refused.message).not.toContain(wrong);
    expect(refused.message).not.toContain(gateway.adminToken);
  });

  it('the data plane is not an admin URL: a plan pointing there is refused, not retried', async () => {
    const refused = await rejectionOf(routerOn('weights', gateway.url).read());
    expect((refused as ApplicationFailure).nonRetryable).toBe(true);
    expect(refused.message).toContain('→ 404');
  });

  it('resolveGatewayToken reads the named variable or its _FILE, and refuses clearly when neither is set', () => {
    const dir = mkdtempSync(join(tmpdir(), 'gateway-token-'));
    try {
      const file = join(dir, 'token');
      writeFileSync(file, '  token-from-a-file-0123456789\n');
      expect(resolveGatewayToken({}, { GATEWAY_ADMIN_TOKEN: 'token-from-env-0123456789' })).toBe(
        'token-from-env-0123456789',
      );
      expect(resolveGatewayToken({}, { GATEWAY_ADMIN_TOKEN_FILE: file })).toBe('token-from-a-file-0123456789');
      expect(
        resolveGatewayToken(
          { adminTokenEnv: 'PROD_GW_TOKEN' },
          { PROD_GW_TOKEN: 'prod-token-0123456789', GATEWAY_ADMIN_TOKEN: 'other' },
        ),
      ).toBe('prod-token-0123456789');
      const cases: Array<[{ adminTokenEnv?: string }, NodeJS.ProcessEnv, string]> = [
        [{}, {}, 'set GATEWAY_ADMIN_TOKEN (or GATEWAY_ADMIN_TOKEN_FILE'],
        [{}, { GATEWAY_ADMIN_TOKEN: '' }, 'set GATEWAY_ADMIN_TOKEN'],
        [{ adminTokenEnv: 'PROD_GW_TOKEN' }, { GATEWAY_ADMIN_TOKEN: 'x' }, 'set PROD_GW_TOKEN (or PROD_GW_TOKEN_FILE'],
        [
          {},
          { GATEWAY_ADMIN_TOKEN_FILE: join(dir, 'missing') },
          `cannot read the admin token file ${join(dir, 'missing')}`,
        ],
      ];
      for (const [router, env, message] of cases) {
        let error: unknown;
        try {
          resolveGatewayToken(router, env);
        } catch (caught) {
          error = caught;
        }
        expect(error).toBeInstanceOf(ApplicationFailure);
        expect((error as ApplicationFailure).type).toBe(FailureType.MissingAdminToken);
        expect((error as ApplicationFailure).nonRetryable).toBe(true);
        expect((error as ApplicationFailure).message).toContain(message);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the traffic activities fail non-retryably before any call when the worker has no token', async () => {
    const saved = process.env.GATEWAY_ADMIN_TOKEN;
    delete process.env.GATEWAY_ADMIN_TOKEN;
    try {
      const error = await rejectionOf(
        createTrafficActivities().restoreBaselineWeights({
          router: { kind: 'gateway', adminUrl: gateway.adminUrl },
          route: 'weights',
        }),
      );
      expect((error as ApplicationFailure).type).toBe(FailureType.MissingAdminToken);
    } finally {
      process.env.GATEWAY_ADMIN_TOKEN = saved;
    }
  });
});

describe('createTrafficActivities', () => {
  const gatewayConfig = (): RouterConfig => ({ kind: 'gateway', adminUrl: gateway.adminUrl });

  it('resolveBackend reads the API key from the named variable, and refuses when it is unset', () => {
    const backend = {
      baseUrl: 'http://127.0.0.1:1/v1',
      model: 'm',
      apiKeyEnv: 'LLM_KEY',
      pricing: { inputPer1k: 0, outputPer1k: 0 },
    };
    expect(resolveBackend(backend, { LLM_KEY: 'sk-1' })).toEqual({
      baseUrl: 'http://127.0.0.1:1/v1',
      model: 'm',
      apiKey: 'sk-1',
    });
    expect(resolveBackend({ ...backend, apiKeyEnv: undefined }, {})).toEqual({
      baseUrl: 'http://127.0.0.1:1/v1',
      model: 'm',
    });
    for (const env of [{}, { LLM_KEY: '' }]) {
      let error: unknown;
      try {
        resolveBackend(backend, env);
      } catch (caught) {
        error = caught;
      }
      expect(error).toBeInstanceOf(ApplicationFailure);
      expect((error as ApplicationFailure).type).toBe(FailureType.MissingApiKey);
      expect((error as ApplicationFailure).nonRetryable).toBe(true);
      expect((error as ApplicationFailure).message).toBe(
        'environment variable LLM_KEY (API key for m) is not set on the worker',
      );
    }
  });

  it('prepareRoute sends the key from the worker environment upstream, and defines nothing without it', async () => {
    // A tiny OpenAI-compatible upstream that records the Authorization header it receives.
    const seen: IncomingHttpHeaders[] = [];
    const upstream = createServer((req, res) => {
      seen.push(req.headers);
      req.resume();
      req.on('end', () => {
        const body = JSON.stringify({
          id: 'chatcmpl-1',
          object: 'chat.completion',
          created: 0,
          model: 'keyed-model',
          choices: [{ index: 0, message: { role: 'assistant', content: 'ok' }, finish_reason: 'stop' }],
          usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
        });
        res.writeHead(200, { 'content-type': 'application/json' }).end(body);
      });
    });
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
    const variable = 'LLM_ROLLOUT_TEST_CANDIDATE_KEY';
    try {
      const activities = createTrafficActivities();
      const baseline = {
        baseUrl: oldBaseline.url,
        model: oldBaseline.model,
        pricing: { inputPer1k: 0, outputPer1k: 0 },
      };
      const keyed = {
        baseUrl: `http://127.0.0.1:${(upstream.address() as AddressInfo).port}/v1`,
        model: 'keyed-model',
        apiKeyEnv: variable,
        pricing: { inputPer1k: 0, outputPer1k: 0 },
      };

      delete process.env[variable];
      const missing = await rejectionOf(
        activities.prepareRoute({ router: gatewayConfig(), route: 'keyed', baseline, candidate: keyed }),
      );
      expect((missing as ApplicationFailure).type).toBe(FailureType.MissingApiKey);
      expect((await admin('GET', 'keyed')).status).toBe(404);

      process.env[variable] = 'sk-test-123';
      await activities.prepareRoute({ router: gatewayConfig(), route: 'keyed', baseline, candidate: keyed });
      expect(
        await activities.setCandidateWeight({ router: gatewayConfig(), route: 'keyed', candidatePercent: 100 }),
      ).toMatchObject({ weights: { baseline: 0, candidate: 100 } });
      const reply = await chat('keyed', 'key-user');
      expect(reply).toEqual({ status: 200, backend: 'candidate', model: 'keyed-model' });
      expect(seen.map((headers) => headers.authorization)).toEqual(['Bearer sk-test-123']);
    } finally {
      delete process.env[variable];
      await new Promise((resolve) => upstream.close(resolve));
    }
  });

  it('setCandidateWeight rejects anything but a whole percent 0–100 before touching the router', async () => {
    let routers = 0;
    const counting: RouterFactory = (config, route) => {
      routers += 1;
      return routerOn(route, (config as Extract<RouterConfig, { kind: 'gateway' }>).adminUrl);
    };
    const activities = createTrafficActivities(counting);
    for (const candidatePercent of [101, -1, 2.5, Number.NaN]) {
      const error = await rejectionOf(
        activities.setCandidateWeight({ router: gatewayConfig(), route: 'weights', candidatePercent }),
      );
      expect(error, String(candidatePercent)).toBeInstanceOf(ApplicationFailure);
      expect((error as ApplicationFailure).nonRetryable).toBe(true);
      expect((error as ApplicationFailure).type).toBe(FailureType.InvalidRouterConfig);
      expect(error.message).toBe(`candidatePercent must be a whole number 0–100, got ${candidatePercent}`);
    }
    expect(routers).toBe(0);

    // A valid percent reaches the real gateway as the complementary pair.
    expect(
      (await activities.setCandidateWeight({ router: gatewayConfig(), route: 'weights', candidatePercent: 30 }))
        .weights,
    ).toEqual({ baseline: 70, candidate: 30 });
    expect((await admin('GET', 'weights')).json.weights).toEqual({ baseline: 70, candidate: 30 });
    expect(routers).toBe(1);
  });

  it('restoreBaselineWeights and stopShadow put a route back to its safe state', async () => {
    const activities = createTrafficActivities();
    await activities.setShadow({
      router: gatewayConfig(),
      route: 'weights',
      enabled: true,
      target: 'candidate',
      share: 0.3,
    });
    expect((await activities.restoreBaselineWeights({ router: gatewayConfig(), route: 'weights' })).weights).toEqual({
      baseline: 100,
      candidate: 0,
    });
    expect((await activities.stopShadow({ router: gatewayConfig(), route: 'weights' })).shadow).toEqual({
      enabled: false,
      target: null,
      share: 0,
    });
  });
});

describe("a plan's pool through the gateway router", () => {
  it('puts the members on the route with their own keys, and the gateway splits the side over them by weight', async () => {
    const plan = parsePlan({
      rollout: { id: 'pooled-route' },
      backends: {
        baseline: { baseUrl: oldBaseline.url, model: oldBaseline.model },
        candidate: {
          baseUrl: candidate.url,
          model: candidate.model,
          pool: [
            { name: 'east', baseUrl: candidate.url, weight: 1, apiKeyEnv: 'EAST_KEY' },
            { name: 'west', baseUrl: staleCandidate.url, model: staleCandidate.model, weight: 3 },
          ],
        },
      },
      router: { kind: 'gateway', adminUrl: gateway.adminUrl },
      stages: { shadow: { enabled: false } },
      approvals: { approvers: ['alice'] },
    });
    const target = { router: plan.router, route: 'pooled-route' };
    process.env.EAST_KEY = 'sk-east-0123';
    try {
      const activities = createTrafficActivities();
      await activities.prepareRoute({
        ...target,
        baseline: plan.backends.baseline,
        candidate: plan.backends.candidate,
      });
      const shown = (await admin('GET', 'pooled-route')).json;
      expect(shown.backends.find((backend) => backend.name === 'candidate')!.members).toEqual([
        { name: 'east', baseUrl: candidate.url, weight: 1 },
        { name: 'west', baseUrl: staleCandidate.url, model: staleCandidate.model, weight: 3 },
      ]);
      expect(JSON.stringify(shown)).not.toContain('sk-east');
      await activities.setCandidateWeight({ ...target, candidatePercent: 100 });
      const replies = await Promise.all(Array.from({ length: 200 }, (_, i) => chat('pooled-route', `pool-user-${i}`)));
      expect(replies.every((reply) => reply.status === 200 && reply.backend === 'candidate')).toBe(true);
      const west = replies.filter((reply) => reply.model === staleCandidate.model).length / replies.length;
      // 3 of 4 by weight; 200 users give a standard error of about 3 pts.
      expect(west).toBeGreaterThan(0.6);
      expect(west).toBeLessThan(0.9);
    } finally {
      delete process.env.EAST_KEY;
    }
  });
});

describe("the plan's fallback through the gateway router", () => {
  it('is part of every definition the rollout makes: prepared, recreated, retired, its API key read on the worker', async () => {
    const plan = parsePlan({
      rollout: { id: 'fallback-kept' },
      backends: {
        baseline: { baseUrl: oldBaseline.url, model: oldBaseline.model },
        candidate: { baseUrl: candidate.url, model: candidate.model },
      },
      router: {
        kind: 'gateway',
        adminUrl: gateway.adminUrl,
        fallback: {
          baseUrl: oldBaseline.url,
          model: oldBaseline.model,
          apiKeyEnv: 'SPARE_KEY',
          maxAttempts: 2,
          timeout: '5s',
        },
      },
      approvals: { approvers: ['alice'] },
    });
    const target = { router: plan.router, route: 'fallback-kept' };
    const backends = { baseline: plan.backends.baseline, candidate: plan.backends.candidate };
    const shown = {
      backend: { name: FALLBACK_BACKEND, baseUrl: oldBaseline.url, model: oldBaseline.model },
      maxAttempts: 2,
      timeoutMs: 5_000,
    };
    process.env.SPARE_KEY = 'sk-spare-0123';
    try {
      const activities = createTrafficActivities();
      await activities.prepareRoute({ ...target, ...backends });
      expect((await admin('GET', 'fallback-kept')).json.fallback).toEqual(shown);
      // A route lost from the traffic layer is recreated with it.
      await new GatewayAdminClient({ adminUrl: gateway.adminUrl, token: gateway.adminToken }).deleteRoute(
        'fallback-kept',
      );
      await activities.restoreBaseline({ ...target, ...backends });
      expect((await admin('GET', 'fallback-kept')).json.fallback).toEqual(shown);
      await activities.setCandidateWeight({ ...target, candidatePercent: 100 });
      await activities.retireBaseline({ ...target, candidate: plan.backends.candidate });
      const retired = (await admin('GET', 'fallback-kept')).json;
      expect(retired.backends.map((backend) => backend.model)).toEqual([candidate.model]);
      expect(retired.fallback).toEqual(shown);
      // The key never shows; without it on the worker nothing is defined.
      expect(JSON.stringify(retired)).not.toContain('sk-spare');
      delete process.env.SPARE_KEY;
      const refused = await rejectionOf(activities.prepareRoute({ ...target, route: 'fallback-unkeyed', ...backends }));
      expect((refused as ApplicationFailure).type).toBe(FailureType.MissingApiKey);
      expect(
        await new GatewayAdminClient({ adminUrl: gateway.adminUrl, token: gateway.adminToken }).getRoute(
          'fallback-unkeyed',
        ),
      ).toBeNull();
    } finally {
      delete process.env.SPARE_KEY;
    }
  });
});

describe("a check puts back the plan's definition of the route", () => {
  it('finds nothing to correct on a route the rollout defined, and puts back upstreams, bundle, pool, fallback and segment rule a restart or a hand edit changed, weights and mirroring kept', async () => {
    const plan = parsePlan({
      rollout: { id: 'definition-kept' },
      backends: {
        baseline: {
          baseUrl: oldBaseline.url,
          model: oldBaseline.model,
          pricing: { inputPer1k: 0.5, outputPer1k: 1.5 },
        },
        candidate: {
          baseUrl: candidate.url,
          model: candidate.model,
          config: { systemPrompt: 'Answer in one sentence.', sampling: { temperature: 0.2 } },
          pool: [
            { name: 'east', baseUrl: candidate.url, weight: 1 },
            { name: 'west', baseUrl: candidate.url, weight: 1 },
          ],
        },
      },
      router: {
        kind: 'gateway',
        adminUrl: gateway.adminUrl,
        fallback: { baseUrl: oldBaseline.url, model: oldBaseline.model, maxAttempts: 2 },
      },
      stages: { canary: { steps: [{ weight: 10, window: '5m' }], segments: { by: { header: 'x-tenant' } } } },
      approvals: { approvers: ['alice'] },
    });
    const target = routeTargetOf(plan);
    const backends = { baseline: plan.backends.baseline, candidate: plan.backends.candidate };
    const desired = {
      weights: { baseline: 70, candidate: 30 },
      shadow: { enabled: true, target: 'candidate' as const, share: 0.25 },
    };
    const activities = createTrafficActivities();
    await activities.prepareRoute({ ...target, ...backends });
    await activities.setCandidateWeight({ ...target, candidatePercent: 30 });
    await activities.setShadow({ ...target, enabled: true, target: 'candidate', share: 0.25 });
    const asDefined = (await admin('GET', 'definition-kept')).json;
    const reconcile = () => activities.reconcileTraffic({ ...target, ...backends, desired });
    // What the rollout defined reads back as the plan's: no correction, nothing written.
    expect((await reconcile()).corrections).toEqual([]);
    expect((await admin('GET', 'definition-kept')).json.version).toBe(asDefined.version);

    // As a gateway restarted from an old --config would hold it: the same names and weights, the
    // candidate pointed at another server without its bundle or pool, no fallback, no segment rule.
    const edited = await admin('PUT', 'definition-kept', {
      backends: [
        { name: 'baseline', baseUrl: oldBaseline.url, model: oldBaseline.model },
        { name: 'candidate', baseUrl: staleCandidate.url, model: staleCandidate.model },
      ],
    });
    expect(edited.status).toBe(200);
    expect(edited.json.weights).toEqual({ baseline: 70, candidate: 30 });
    const result = await reconcile();
    expect(result.corrections).toEqual([
      "the route's definition differed from the plan (the baseline backend's pricing; the candidate backend's baseUrl, model, configuration bundle, pool members; the fallback: gone; the segment rule: gone); defined again, weights and mirroring kept",
    ]);
    const restored = (await admin('GET', 'definition-kept')).json;
    const { version: _a, updatedAt: _b, ...restoredContent } = restored;
    const { version: _c, updatedAt: _d, ...definedContent } = asDefined;
    expect(restoredContent).toEqual(definedContent);
    expect(result.state.weights).toEqual(desired.weights);
    expect(result.state.shadow).toEqual(desired.shadow);
    // The candidate's traffic reaches the plan's server again, not the stale one.
    const replies = await Promise.all(
      Array.from({ length: 40 }, (_, i) => chat('definition-kept', `definition-user-${i}`)),
    );
    expect(
      replies.filter((reply) => reply.backend === 'candidate').every((reply) => reply.model === candidate.model),
    ).toBe(true);
    expect(replies.some((reply) => reply.model === staleCandidate.model)).toBe(false);
    expect((await reconcile()).corrections).toEqual([]);

    // A fallback and a segment rule the plan does not name are taken off as well.
    const plain = parsePlan({
      rollout: { id: 'definition-kept' },
      backends: {
        baseline: { baseUrl: oldBaseline.url, model: oldBaseline.model },
        candidate: { baseUrl: candidate.url, model: candidate.model },
      },
      router: { kind: 'gateway', adminUrl: gateway.adminUrl },
      approvals: { approvers: ['alice'] },
    });
    const plainResult = await activities.reconcileTraffic({
      ...routeTargetOf(plain),
      baseline: plain.backends.baseline,
      candidate: plain.backends.candidate,
      desired,
    });
    expect(plainResult.corrections).toEqual([
      "the route's definition differed from the plan (the baseline backend's pricing; the candidate backend's configuration bundle, pool members; a fallback the plan does not name; a segment rule the plan does not name); defined again, weights and mirroring kept",
    ]);
    const plainRoute = (await admin('GET', 'definition-kept')).json;
    expect(plainRoute.fallback).toBeNull();
    expect(plainRoute.segmentation).toBeNull();
    expect(plainRoute.weights).toEqual({ baseline: 70, candidate: 30 });
  });

  it('leaves the definition alone when a restore moves traffic back, which break-glass runs where no API key may be', async () => {
    const plan = parsePlan({
      rollout: { id: 'restore-no-redefine' },
      backends: {
        baseline: { baseUrl: oldBaseline.url, model: oldBaseline.model, apiKeyEnv: 'RESTORE_KEY' },
        candidate: { baseUrl: candidate.url, model: candidate.model },
      },
      router: { kind: 'gateway', adminUrl: gateway.adminUrl },
      approvals: { approvers: ['alice'] },
    });
    const target = routeTargetOf(plan);
    const backends = { baseline: plan.backends.baseline, candidate: plan.backends.candidate };
    process.env.RESTORE_KEY = 'sk-restore-0123';
    const activities = createTrafficActivities();
    try {
      await activities.prepareRoute({ ...target, ...backends });
      await activities.setCandidateWeight({ ...target, candidatePercent: 40 });
    } finally {
      delete process.env.RESTORE_KEY;
    }
    await admin('PUT', 'restore-no-redefine', {
      backends: [
        { name: 'baseline', baseUrl: oldBaseline.url, model: oldBaseline.model },
        { name: 'candidate', baseUrl: staleCandidate.url, model: staleCandidate.model },
      ],
    });
    // No key here: a restore that tried to redefine the route would be refused (MissingApiKey).
    const restored = await activities.restoreBaseline({ ...target, ...backends });
    expect(restored.state.weights).toEqual({ baseline: 100, candidate: 0 });
    expect((await admin('GET', 'restore-no-redefine')).json.backends[1]!.model).toBe(staleCandidate.model);
    const refused = await rejectionOf(
      activities.reconcileTraffic({
        ...target,
        ...backends,
        desired: { weights: restored.state.weights, shadow: restored.state.shadow },
      }),
    );
    expect((refused as ApplicationFailure).type).toBe(FailureType.MissingApiKey);
  });
});

describe("the plan's segments through the gateway router", () => {
  const planWith = (segments?: unknown) =>
    parsePlan({
      rollout: { id: 'segments-kept' },
      backends: {
        baseline: { baseUrl: oldBaseline.url, model: oldBaseline.model },
        candidate: { baseUrl: candidate.url, model: candidate.model },
      },
      router: { kind: 'gateway', adminUrl: gateway.adminUrl },
      stages: { canary: { steps: [{ weight: 10, window: '5m' }], ...(segments !== undefined && { segments }) } },
      approvals: { approvers: ['alice'] },
    });
  const segmentationNow = async () => (await admin('GET', 'segments-kept')).json.segmentation;
  const client = () => new GatewayAdminClient({ adminUrl: gateway.adminUrl, token: gateway.adminToken });

  it('is on every definition the rollout makes: prepared, recreated, restored by break-glass, retired, reinstated', async () => {
    const plan = planWith({ by: { header: 'x-tenant' } });
    const target = routeTargetOf(plan);
    expect(target).toEqual({ router: plan.router, route: 'segments-kept', segmentation: { header: 'x-tenant' } });
    const backends = { baseline: plan.backends.baseline, candidate: plan.backends.candidate };
    const activities = createTrafficActivities();
    await activities.prepareRoute({ ...target, ...backends });
    expect(await segmentationNow()).toEqual({ header: 'x-tenant' });
    // The gateway tags the route's records with it.
    const res = await fetch(`${gateway.baseUrl}/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-tenant': 'acme', 'x-request-id': 'segments-kept-1' },
      body: JSON.stringify({ model: 'segments-kept', messages: [{ role: 'user', content: 'hi' }] }),
    });
    expect(res.status).toBe(200);
    await res.arrayBuffer();
    const { records } = await client().records('segments-kept', { since: 0, limit: 100 });
    expect(records.find((record) => record.requestId === 'segments-kept-1')?.segment).toBe('acme');

    // A route lost from the traffic layer is recreated with it, by the check, the compensation and break-glass.
    const desired = {
      weights: { baseline: 100, candidate: 0 },
      shadow: { enabled: false, target: null, share: 0 },
    };
    await client().deleteRoute('segments-kept');
    expect((await activities.reconcileTraffic({ ...target, ...backends, desired })).corrections).toHaveLength(1);
    expect(await segmentationNow()).toEqual({ header: 'x-tenant' });
    await client().deleteRoute('segments-kept');
    expect((await activities.restoreBaseline({ ...target, ...backends })).recreated).toBe(true);
    expect(await segmentationNow()).toEqual({ header: 'x-tenant' });
    await client().deleteRoute('segments-kept');
    expect(await restoreTrafficNow(plan)).toMatchObject({ restored: true, alreadyRestored: false });
    expect(await segmentationNow()).toEqual({ header: 'x-tenant' });

    await activities.setCandidateWeight({ ...target, candidatePercent: 100 });
    const promoted = await activities.retireBaseline({ ...target, candidate: plan.backends.candidate });
    const retired = (await admin('GET', 'segments-kept')).json;
    expect(retired.backends.map((backend) => backend.model)).toEqual([candidate.model]);
    expect(retired.segmentation).toEqual({ header: 'x-tenant' });
    const reinstated = await activities.reinstateBaseline({
      ...target,
      ...backends,
      promoted: { weights: promoted.weights, backends: promoted.backends },
    });
    expect(reinstated.backends).toEqual(['baseline', 'candidate']);
    expect(await segmentationNow()).toEqual({ header: 'x-tenant' });
  });

  it('is not in the inputs of a plan without segments, whose definitions have none', async () => {
    const plan = planWith();
    const target = routeTargetOf(plan);
    expect(target).toEqual({ router: plan.router, route: 'segments-kept' });
    expect(target).not.toHaveProperty('segmentation');
    // The route another plan segmented is defined again without it.
    await createTrafficActivities().prepareRoute({
      ...target,
      baseline: plan.backends.baseline,
      candidate: plan.backends.candidate,
    });
    expect(await segmentationNow()).toBeNull();
  });
});

describe('cohorts through the gateway router', () => {
  const gatewayConfig = (): RouterConfig => ({ kind: 'gateway', adminUrl: gateway.adminUrl });
  const ACME = { header: 'x-tenant', values: ['acme'] };

  async function tenantChat(route: string, tenant: string, user: string): Promise<string | null> {
    const res = await fetch(`${gateway.baseUrl}/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-tenant': tenant, 'x-user-id': user },
      body: JSON.stringify({ model: route, messages: [{ role: 'user', content: 'hi' }] }),
    });
    await res.arrayBuffer();
    return res.headers.get('x-rollout-backend');
  }

  it('setCandidateWeight with a cohort sets both splits in one change, and candidate 0 clears the cohort', async () => {
    const router = routerOn('cohort-weights');
    await router.defineBackends(backendOf(oldBaseline), backendOf(candidate));
    const before = changesOf('cohort-weights').length;
    const activities = createTrafficActivities((_config, route) => routerOn(route));
    const state = await activities.setCandidateWeight({
      router: gatewayConfig(),
      route: 'cohort-weights',
      candidatePercent: 0,
      cohort: { match: ACME, candidatePercent: 100 },
    });
    expect(state).toMatchObject({
      weights: { baseline: 100, candidate: 0 },
      cohort: { match: ACME, weights: { baseline: 0, candidate: 100 } },
    });
    expect(changesOf('cohort-weights').length).toBe(before + 1);
    expect(await tenantChat('cohort-weights', 'acme', 'u-1')).toBe('candidate');
    expect(await tenantChat('cohort-weights', 'globex', 'u-1')).toBe('baseline');

    // A ramp step without a cohort keeps it; a step back to 0 leaves nobody on the candidate.
    const ramped = await activities.setCandidateWeight({
      router: gatewayConfig(),
      route: 'cohort-weights',
      candidatePercent: 10,
    });
    expect(ramped.cohort?.weights).toEqual({ baseline: 0, candidate: 100 });
    const back = await activities.setCandidateWeight({
      router: gatewayConfig(),
      route: 'cohort-weights',
      candidatePercent: 0,
    });
    expect(back.cohort).toBeUndefined();
    expect((await admin('GET', 'cohort-weights')).json.cohort).toBeNull();
    expect(await tenantChat('cohort-weights', 'acme', 'u-1')).toBe('baseline');
  });

  it('refuses a cohort percent that is not a whole 0–100, and a router without cohorts, before any change', async () => {
    const activities = createTrafficActivities((_config, route) => routerOn(route));
    const error = await rejectionOf(
      activities.setCandidateWeight({
        router: gatewayConfig(),
        route: 'cohort-weights',
        candidatePercent: 0,
        cohort: { match: ACME, candidatePercent: 120 },
      }),
    );
    expect((error as ApplicationFailure).type).toBe(FailureType.InvalidRouterConfig);
    expect(error.message).toBe('cohort.candidatePercent must be a whole number 0–100, got 120');

    const memory = new InMemoryRouter({ cohorts: false });
    const withoutCohorts = createTrafficActivities(() => memory);
    const refused = await rejectionOf(
      withoutCohorts.setCandidateWeight({
        router: {
          kind: 'haproxy',
          statsSocket: '127.0.0.1:1',
          haproxyBackend: 'llm',
          baselineServer: 'baseline',
          candidateServer: 'candidate',
        },
        route: 'chat',
        candidatePercent: 5,
        cohort: { match: ACME, candidatePercent: 50 },
      }),
    );
    expect((refused as ApplicationFailure).nonRetryable).toBe(true);
    expect((refused as ApplicationFailure).type).toBe(FailureType.InvalidRouterConfig);
    expect(refused.message).toMatch(/^cohorts need the llm-rollout gateway router: the plan's haproxy router/);
    expect(memory.history).toEqual([]);
  });

  it('the fan-out router sets the cohort on every gateway, and refuses before any change when one cannot', async () => {
    const replicas = ['cohort-fan-a', 'cohort-fan-b'].map((route) => ({ name: route, router: routerOn(route) }));
    for (const { router } of replicas) await router.defineBackends(backendOf(oldBaseline), backendOf(candidate));
    const cohort = { match: ACME, weights: { baseline: 0, candidate: 100 } };
    await new FanOutRouter(replicas).setCohortWeights({ baseline: 100, candidate: 0 }, cohort);
    for (const { name } of replicas) {
      expect((await admin('GET', name)).json.cohort).toEqual(cohort);
      expect(await tenantChat(name, 'acme', 'u-4')).toBe('candidate');
    }

    const memory = new InMemoryRouter({ cohorts: false });
    const mixed = new FanOutRouter([
      { name: 'cohort-fan-a', router: routerOn('cohort-fan-a') },
      { name: 'memory', router: memory },
    ]);
    const version = (await admin('GET', 'cohort-fan-a')).json.version;
    const refused = await rejectionOf(mixed.setCohortWeights({ baseline: 90, candidate: 10 }, cohort));
    expect((refused as ApplicationFailure).type).toBe(FailureType.InvalidRouterConfig);
    expect(refused.message).toBe('cohorts need the llm-rollout gateway router: memory cannot route one');
    expect((await admin('GET', 'cohort-fan-a')).json.version).toBe(version);
    expect(memory.history).toEqual([]);
  });

  it('a restore to the baseline leaves no cohort on the candidate, even when the route weights already were', async () => {
    const router = routerOn('cohort-restore');
    await router.defineBackends(backendOf(oldBaseline), backendOf(candidate));
    await router.setCohortWeights(
      { baseline: 100, candidate: 0 },
      { match: ACME, weights: { baseline: 0, candidate: 100 } },
    );
    expect(await tenantChat('cohort-restore', 'acme', 'u-2')).toBe('candidate');

    const result = await restoreBaseline(router, () => ({
      baseline: backendOf(oldBaseline),
      candidate: backendOf(candidate),
    }));
    expect(result.alreadyRestored).toBe(false);
    expect(result.state.cohort).toBeUndefined();
    expect((await admin('GET', 'cohort-restore')).json.cohort).toBeNull();
    expect(await tenantChat('cohort-restore', 'acme', 'u-2')).toBe('baseline');
    // Restored now: a second restore writes nothing.
    const version = (await admin('GET', 'cohort-restore')).json.version;
    expect(
      (await restoreBaseline(router, () => ({ baseline: backendOf(oldBaseline), candidate: backendOf(candidate) })))
        .alreadyRestored,
    ).toBe(true);
    expect((await admin('GET', 'cohort-restore')).json.version).toBe(version);
  });

  it('defineBackends takes a cohort left on a candidate off it before the new candidate is defined', async () => {
    await admin('PUT', 'cohort-crashed', {
      backends: [
        { name: 'baseline', ...backendOf(oldBaseline) },
        { name: 'candidate', ...backendOf(staleCandidate) },
      ],
    });
    await admin('PUT', 'cohort-crashed/weights', {
      weights: { baseline: 100 },
      cohort: { match: ACME, weights: { candidate: 100 } },
    });
    const before = changesOf('cohort-crashed').length;
    const state = await routerOn('cohort-crashed').defineBackends(backendOf(oldBaseline), backendOf(candidate));
    expect(state.cohort).toBeUndefined();
    for (const step of changesOf('cohort-crashed').slice(before)) {
      if (step.backends.some((backend) => backend.model === 'sim-gw-cand')) expect(step.cohort).toBeNull();
    }
    expect(await tenantChat('cohort-crashed', 'acme', 'u-3')).toBe('baseline');
  });
});

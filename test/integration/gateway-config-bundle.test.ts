// A prompt rollout on a real gateway: the plan's configuration bundle goes through the traffic
// activity to the gateway's route, and every chat request the gateway sends the candidate (live
// or mirrored) carries it, while the baseline's requests stay as the client sent them.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type GatewayHandle } from '../../gateway/server';
import { createTrafficActivities } from '../../activities/traffic';
import { configDigest } from '../../lib/config-bundle';
import { bundleOf } from '../../plan/backend-config-schema';
import { parsePlan, type RolloutPlan } from '../../plan/schema';
import { mulberry32 } from '../../lib/seeded-random';
import { startScriptedUpstream, type ScriptedUpstream } from '../support/scripted-upstream';
import { adminOf } from '../support/gateway-over-pair';
import { eventually } from '../support/eventually';

const ROUTE = 'support-prompts';
const TOKEN_ENV = 'CONFIG_BUNDLE_TEST_ADMIN_TOKEN';

let upstream: ScriptedUpstream;
let gateway: GatewayHandle;
let plan: RolloutPlan;

async function chat(extra: Record<string, unknown> = {}): Promise<Record<string, unknown>> {
  const response = await fetch(`${gateway.baseUrl}/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-user-id': 'u-1' },
    body: JSON.stringify({
      model: ROUTE,
      messages: [
        { role: 'system', content: 'app instructions' },
        { role: 'user', content: 'Where is my order?' },
      ],
      temperature: 1,
      ...extra,
    }),
  });
  expect(response.status).toBe(200);
  return JSON.parse(upstream.last!.body) as Record<string, unknown>;
}

beforeAll(async () => {
  upstream = await startScriptedUpstream();
  gateway = await startGateway({ defaultMetrics: false, random: mulberry32(3) });
  process.env[TOKEN_ENV] = gateway.adminToken;
  plan = parsePlan({
    rollout: { id: 'support-prompt-v2' },
    backends: {
      // One server, one model: only the bundles differ.
      baseline: { baseUrl: upstream.baseUrl, model: 'llama-8b' },
      candidate: {
        baseUrl: upstream.baseUrl,
        model: 'llama-8b',
        config: {
          systemPrompt: 'You are support v2. Answer in two sentences.',
          sampling: { temperature: 0.2, max_tokens: 128 },
          extraBody: { reasoning_effort: 'low' },
        },
      },
    },
    router: { kind: 'gateway', adminUrl: gateway.adminUrl, adminTokenEnv: TOKEN_ENV, route: ROUTE },
    approvals: { approvers: ['alice'] },
  });
  await createTrafficActivities().prepareRoute({
    router: plan.router,
    route: ROUTE,
    baseline: plan.backends.baseline,
    candidate: plan.backends.candidate,
  });
});

afterAll(async () => {
  delete process.env[TOKEN_ENV];
  await gateway?.close();
  await upstream?.close();
});

describe('a configuration bundle on the gateway', () => {
  it('is on the route, named by the same digest the plan gives', async () => {
    const state = (await adminOf(gateway).getRoute(ROUTE))!;
    const candidate = state.backends.find((backend) => backend.name === 'candidate')!;
    expect(candidate.configDigest).toBe(configDigest(bundleOf(plan.backends.candidate.config)));
    expect(state.backends.find((backend) => backend.name === 'baseline')!.configDigest).toBeUndefined();
  });

  it('leaves the baseline’s requests as the client sent them', async () => {
    const sent = await chat();
    expect(sent.model).toBe('llama-8b');
    expect(sent.temperature).toBe(1);
    expect((sent.messages as Array<{ content: string }>).map((m) => m.content)).toEqual([
      'app instructions',
      'Where is my order?',
    ]);
  });

  it('applies the candidate’s bundle to its live requests, and not to embeddings', async () => {
    await adminOf(gateway).setWeights(ROUTE, { weights: { baseline: 0, candidate: 100 } });
    const sent = await chat({ max_completion_tokens: 999 });
    expect(sent).toMatchObject({ model: 'llama-8b', temperature: 0.2, max_tokens: 128, reasoning_effort: 'low' });
    expect(sent).not.toHaveProperty('max_completion_tokens');
    expect((sent.messages as Array<{ content: string }>).map((m) => m.content)).toEqual([
      'You are support v2. Answer in two sentences.',
      'app instructions',
      'Where is my order?',
    ]);
    const embedded = await fetch(`${gateway.baseUrl}/embeddings`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: ROUTE, input: 'hello' }),
    });
    await embedded.arrayBuffer();
    expect(JSON.parse(upstream.last!.body)).toEqual({ model: 'llama-8b', input: 'hello' });
  });

  it('applies it to the copies mirrored to the candidate during a shadow soak', async () => {
    const admin = adminOf(gateway);
    await admin.setWeights(ROUTE, { weights: { baseline: 100, candidate: 0 } });
    await admin.setShadow(ROUTE, { enabled: true, target: 'candidate', share: 1 });
    const before = upstream.bodies.length;
    await chat();
    // The live request and its copy reach the upstream in either order.
    const received = await eventually('the live request and its mirrored copy at the upstream', async () => {
      const bodies = upstream.bodies.slice(before).map((body) => JSON.parse(body) as Record<string, unknown>);
      return bodies.length >= 2 ? bodies : undefined;
    });
    expect(received).toHaveLength(2);
    const prompts = received.map((sent) => (sent.messages as Array<{ content: string }>)[0]!.content).sort();
    expect(prompts).toEqual(['You are support v2. Answer in two sentences.', 'app instructions']);
    expect(received.map((sent) => sent.temperature).sort()).toEqual([0.2, 1]);
    await admin.setShadow(ROUTE, { enabled: false });
  });
});

// The simulated GPU backends on their own and behind the gateway: configured rates at a fixed
// seed, determinism, GPU-slot queueing, and behaviour changes taking effect live.
import { afterAll, beforeAll, describe, it, expect } from 'vitest';
import { isValidJson } from '../../gateway/response-inspection';
import { isRefusal } from '../../lib/refusal';
import { startGateway } from '../../gateway/server';
import type { GatewayHandle } from '../../gateway/server';
import { startSimulatedBackend } from '../../simulator/sim-backend';
import type { SimulatedBackend } from '../../simulator/sim-backend';

const INSTANT = { latencyMedianMs: 0, latencySigma: 0 };
const started: Array<{ close(): Promise<void> }> = [];

async function simulator(model: string, behaviour: Record<string, number>): Promise<SimulatedBackend> {
  const backend = await startSimulatedBackend({ model, behaviour });
  started.push(backend);
  return backend;
}

interface ChatReply {
  status: number;
  content: string | null;
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any -- assertions inspect arbitrary JSON
}

async function chat(url: string, body: Record<string, unknown>): Promise<ChatReply> {
  const res = await fetch(`${url}/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-user-id': 'u' },
    body: JSON.stringify(body),
  });
  const json = (await res.json()) as { choices?: Array<{ message: { content: string } }> };
  return { status: res.status, content: json.choices?.[0]?.message.content ?? null, body: json };
}

function jsonRequest(i: number) {
  return {
    messages: [{ role: 'user', content: `Ticket ${i}: summarize the customer's billing complaint` }],
    response_format: { type: 'json_object' },
  };
}

afterAll(async () => {
  await Promise.all(started.map((s) => s.close()));
});

describe('simulated backend rates', () => {
  it('hits the configured error, refusal and broken-JSON rates at a fixed seed', async () => {
    const sim = await simulator('sim-rates-8b', {
      ...INSTANT,
      seed: 1234,
      errorRate: 0.1,
      refusalRate: 0.2,
      brokenJsonRate: 0.3,
    });
    const replies: ChatReply[] = [];
    for (let i = 0; i < 1000; i++) replies.push(await chat(sim.url, jsonRequest(i)));
    const ok = replies.filter((r) => r.status === 200);
    const errors = replies.filter((r) => r.status === 500 || r.status === 503);
    const refusals = ok.filter((r) => isRefusal(r.content));
    const answers = ok.filter((r) => !isRefusal(r.content));
    const broken = answers.filter((r) => !isValidJson(r.content));
    expect(errors.length + ok.length).toBe(1000);
    // Binomial SDs at n ≈ 1000/900/720: 0.95, 1.3, 1.7 points. The tolerances are ≥ 3 SD; the
    // seed is fixed, so this is a regression check on the draw logic rather than a flaky sample.
    expect(Math.abs(errors.length / 1000 - 0.1)).toBeLessThan(0.03);
    expect(Math.abs(refusals.length / ok.length - 0.2)).toBeLessThan(0.04);
    expect(Math.abs(broken.length / answers.length - 0.3)).toBeLessThan(0.05);
    expect(new Set(errors.map((r) => r.status))).toEqual(new Set([500, 503]));
  });

  it('replays the same answers and failures for the same seed and request order', async () => {
    const behaviour = { ...INSTANT, seed: 77, errorRate: 0.2, refusalRate: 0.2, brokenJsonRate: 0.5 };
    const a = await simulator('sim-det-a', behaviour);
    const b = await simulator('sim-det-b', behaviour);
    const run = async (sim: SimulatedBackend) => {
      const out: Array<[number, string | null]> = [];
      for (let i = 0; i < 60; i++) {
        const reply = await chat(
          sim.url,
          i % 2 ? jsonRequest(i) : { messages: [{ role: 'user', content: `Question ${i % 7}` }] },
        );
        out.push([reply.status, reply.content]);
      }
      return out;
    };
    const first = await run(a);
    expect(await run(b)).toEqual(first);
    expect(new Set(first.map(([status]) => status)).size).toBeGreaterThan(1);
    // Equal prompts get equal answers: 'Question 0' appears at i = 0, 14, 28, ...
    const zeroAnswers = first.filter(([status], i) => i % 2 === 0 && i % 14 === 0 && status === 200).map(([, c]) => c);
    expect(new Set(zeroAnswers).size).toBe(1);
  });
});

describe('simulated backend API', () => {
  let sim: SimulatedBackend;
  let root: string;

  beforeAll(async () => {
    sim = await simulator('sim-api-8b', INSTANT);
    root = sim.url.replace(/\/v1$/, '');
  });

  it('identifies itself as a simulator', async () => {
    const models = (await (await fetch(`${sim.url}/models`)).json()) as {
      data: Array<{ id: string; owned_by: string }>;
    };
    expect(models.data).toEqual([expect.objectContaining({ id: 'sim-api-8b', owned_by: 'llm-rollout-simulator' })]);
    expect(await (await fetch(`${root}/healthz`)).json()).toMatchObject({ ok: true, simulator: true });
    await expect(startSimulatedBackend({ model: 'gpt-4o' })).rejects.toThrow(/sim-/);
  });

  it('answers in the OpenAI shape with usage', async () => {
    const reply = await chat(sim.url, { model: 'sim-api-8b', messages: [{ role: 'user', content: 'abcdefgh' }] });
    expect(reply.status).toBe(200);
    expect(reply.body).toMatchObject({
      object: 'chat.completion',
      model: 'sim-api-8b',
      choices: [{ index: 0, finish_reason: 'stop', message: { role: 'assistant' } }],
    });
    expect(reply.body.id).toMatch(/^chatcmpl-sim-/);
    expect(reply.body.usage.prompt_tokens).toBe(Math.ceil('user: abcdefgh'.length / 4));
    expect(reply.body.usage.completion_tokens).toBe(Math.ceil((reply.content ?? '').length / 4));
  });

  it('rejects bad requests naming the field, and a foreign model with 404', async () => {
    const noMessages = await chat(sim.url, { messages: [] });
    expect(noMessages.status).toBe(400);
    expect(noMessages.body.error.message).toContain('messages');
    expect((await chat(sim.url, { model: 'sim-other', messages: [{ role: 'user', content: 'x' }] })).status).toBe(404);
  });

  it('returns deterministic unit-length embeddings', async () => {
    const embed = async () => {
      const res = await fetch(`${sim.url}/embeddings`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ input: ['refund policy', 'reset password'] }),
      });
      return ((await res.json()) as { data: Array<{ embedding: number[] }> }).data.map((d) => d.embedding);
    };
    const [first, second] = [await embed(), await embed()];
    expect(second).toEqual(first);
    expect(first).toHaveLength(2);
    for (const vector of first) expect(Math.hypot(...vector)).toBeCloseTo(1, 9);
  });

  it('validates PUT /admin/behaviour and leaves the behaviour unchanged on error', async () => {
    const before = await (await fetch(`${root}/admin/behaviour`)).json();
    for (const [body, field] of [
      [{ errorRate: 2 }, 'errorRate'],
      [{ maxConcurrency: 0 }, 'maxConcurrency'],
      [{ speed: 'fast' }, 'speed'],
    ] as const) {
      const res = await fetch(`${root}/admin/behaviour`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      expect(res.status).toBe(400);
      expect(((await res.json()) as { error: { message: string } }).error.message).toContain(field);
    }
    expect(await (await fetch(`${root}/admin/behaviour`)).json()).toEqual(before);
    expect(() => sim.setBehaviour({ refusalRate: -1 })).toThrow(/refusalRate/);
  });

  it('queues requests beyond maxConcurrency (GPU slots)', async () => {
    const gpu = await simulator('sim-gpu-8b', { latencyMedianMs: 150, latencySigma: 0, maxConcurrency: 2 });
    const t0 = performance.now();
    const pending = Array.from({ length: 6 }, (_, i) =>
      chat(gpu.url, { messages: [{ role: 'user', content: `q${i}` }] }),
    );
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(gpu.stats()).toMatchObject({ inFlight: 2, queued: 4 });
    const replies = await Promise.all(pending);
    const elapsed = performance.now() - t0;
    expect(replies.every((r) => r.status === 200)).toBe(true);
    // Six 150 ms requests through two slots take three rounds.
    expect(elapsed).toBeGreaterThanOrEqual(440);
  });
});

describe('live behaviour changes behind the gateway', () => {
  let sim: SimulatedBackend;
  let gateway: GatewayHandle;

  beforeAll(async () => {
    sim = await simulator('sim-live-8b', INSTANT);
    gateway = await startGateway({
      defaultMetrics: false,
      routes: { live: { backends: [{ name: 'baseline', baseUrl: sim.url, model: 'sim-live-8b' }] } },
    });
    started.push(gateway);
  });

  const statuses = async (n: number) => {
    const out: number[] = [];
    for (let i = 0; i < n; i++)
      out.push(
        (await chat(gateway.baseUrl, { model: 'live', messages: [{ role: 'user', content: `hello ${i}` }] })).status,
      );
    return out;
  };

  it('turns a healthy backend into a failing one and back, via setBehaviour and the admin API', async () => {
    expect(await statuses(20)).toEqual(Array(20).fill(200));
    sim.setBehaviour({ errorRate: 1 });
    expect((await statuses(20)).every((s) => s === 500 || s === 503)).toBe(true);

    const res = await fetch(`${sim.url.replace(/\/v1$/, '')}/admin/behaviour`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ errorRate: 0, refusalRate: 1 }),
    });
    expect(await res.json()).toMatchObject({ errorRate: 0, refusalRate: 1 });
    const reply = await chat(gateway.baseUrl, { model: 'live', messages: [{ role: 'user', content: 'help me' }] });
    expect(reply.status).toBe(200);
    expect(isRefusal(reply.content)).toBe(true);

    const metrics = await (await fetch(`${gateway.adminUrl}/metrics`)).text();
    expect(metrics).toMatch(
      /llm_gateway_requests_total\{route="live",backend="baseline",model="sim-live-8b",mode="live",code="50[03]"\} \d+/,
    );
    expect(metrics).toContain(
      'llm_gateway_responses_flagged_total{route="live",backend="baseline",model="sim-live-8b",mode="live",flag="refusal"} 1',
    );
  });
});

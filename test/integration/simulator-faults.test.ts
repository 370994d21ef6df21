// The simulator's broken-server modes (behaviour.fault), which bench:chaos injects into a live
// candidate: each must break the way a real broken server does, and healing must restore service.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulatedBackend, type SimulatedBackend } from '../../simulator/sim-backend';

let sim: SimulatedBackend;
const chat = (stream = false, signal?: AbortSignal) =>
  fetch(`${sim.url}/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: sim.model, messages: [{ role: 'user', content: 'hello' }], stream }),
    ...(signal && { signal }),
  });

beforeAll(async () => {
  sim = await startSimulatedBackend({ model: 'sim-faults', behaviour: { latencyMedianMs: 5, latencySigma: 0 } });
});
afterAll(() => sim?.close());

describe('simulated backend faults', () => {
  it("'reset' drops the connection: the client gets no response at all", async () => {
    sim.setBehaviour({ fault: 'reset' });
    const error = await chat().then(
      () => null,
      (failure: unknown) => failure as Error & { cause?: { code?: string } },
    );
    expect(error).not.toBeNull();
    expect(error!.cause?.code).toMatch(/ECONNRESET|UND_ERR_SOCKET/);
  });

  it("'hang' accepts the request and never answers, until the client gives up", async () => {
    sim.setBehaviour({ fault: 'hang' });
    const started = performance.now();
    const outcome = await chat(false, AbortSignal.timeout(400)).then(
      (response) => `answered ${response.status}`,
      (failure: unknown) => (failure as Error).name,
    );
    expect(outcome).toBe('TimeoutError');
    expect(performance.now() - started).toBeGreaterThanOrEqual(390);
  });

  it("'garbage' answers 200 with a body that is not an OpenAI response, streamed or not", async () => {
    sim.setBehaviour({ fault: 'garbage' });
    const whole = await chat();
    expect(whole.status).toBe(200);
    await expect(whole.clone().json()).rejects.toThrow();
    const streamed = await chat(true);
    expect(streamed.status).toBe(200);
    const events = (await streamed.text()).split('\n').filter((line) => line.startsWith('data:'));
    expect(events.length).toBeGreaterThan(0);
    for (const event of events) expect(() => JSON.parse(event.slice(5))).toThrow();
  });

  it("'none' serves normally again", async () => {
    sim.setBehaviour({ fault: 'none' });
    const response = await chat();
    expect(response.status).toBe(200);
    expect(((await response.json()) as { choices: unknown[] }).choices).toHaveLength(1);
  });
});

// A route's fallback backend in the route table: what a definition may say about it, that every
// definition keeps or clears it, and that it goes to the state file (or a worker) and comes back.
import { describe, expect, it } from 'vitest';
import type { RouteDefinition } from '../../gateway/admin-api';
import { InvalidRequestError } from '../../gateway/errors';
import { RouteTable } from '../../gateway/route-table';

const BASELINE = { name: 'baseline', baseUrl: 'http://127.0.0.1:9001/v1', model: 'sim-a' };
const CANDIDATE = { name: 'candidate', baseUrl: 'http://127.0.0.1:9002/v1', model: 'sim-b' };
const SPARE = { name: 'spare', baseUrl: 'http://127.0.0.1:9003/v1', model: 'sim-s', apiKey: 'sk-spare-secret' };

function withFallback(fallback: unknown): unknown {
  return { backends: [BASELINE, CANDIDATE], fallback };
}

/** The refusal `body` gets: an InvalidRequestError naming `field`, with the route left exactly as it was. */
function refusal(body: unknown): { field: string; detail: string } {
  const table = new RouteTable();
  table.define('chat', { backends: [BASELINE, CANDIDATE] });
  const before = table.get('chat');
  let caught: unknown;
  try {
    table.define('chat', body);
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(InvalidRequestError);
  expect(table.get('chat')).toEqual(before);
  const { field, detail } = caught as InvalidRequestError;
  return { field, detail };
}

describe('a route fallback in the definition', () => {
  it('is shown without its apiKey, with maxAttempts 1 unless given, outside the weights', () => {
    const table = new RouteTable();
    const { state } = table.define('chat', withFallback({ backend: SPARE }));
    expect(state.fallback).toEqual({
      backend: { name: 'spare', baseUrl: SPARE.baseUrl, model: 'sim-s' },
      maxAttempts: 1,
    });
    expect(JSON.stringify(state)).not.toContain('sk-spare-secret');
    expect(state.weights).toEqual({ baseline: 100, candidate: 0 });
    expect(table.resolve('chat')?.fallback?.backend.apiKey).toBe('sk-spare-secret');
    const timed = table.define('chat', withFallback({ backend: SPARE, maxAttempts: 3, timeoutMs: 2_500 }));
    expect(timed.state.fallback).toMatchObject({ maxAttempts: 3, timeoutMs: 2_500 });
  });

  it('refuses a name of one of the route backends, attempts outside 1..3, a bad URL and unknown fields', () => {
    expect(refusal(withFallback({ backend: { ...SPARE, name: 'candidate' } }))).toEqual({
      field: 'fallback.backend.name',
      detail: "'candidate' is already a backend of the route; the fallback needs a name of its own",
    });
    expect(refusal(withFallback({ backend: SPARE, maxAttempts: 0 }))).toEqual({
      field: 'fallback.maxAttempts',
      detail: 'must be >= 1',
    });
    expect(refusal(withFallback({ backend: SPARE, maxAttempts: 4 }))).toEqual({
      field: 'fallback.maxAttempts',
      detail: 'must be <= 3',
    });
    expect(refusal(withFallback({ backend: SPARE, maxAttempts: 1.5 })).field).toBe('fallback.maxAttempts');
    expect(refusal(withFallback({ backend: SPARE, timeoutMs: 0 })).field).toBe('fallback.timeoutMs');
    expect(refusal(withFallback({ backend: { ...SPARE, baseUrl: 'ftp://spare/v1' } }))).toEqual({
      field: 'fallback.backend.baseUrl',
      detail: 'must be an http(s) URL',
    });
    expect(refusal(withFallback({ backend: SPARE, retries: 2 })).field).toBe('fallback.retries');
    expect(refusal(withFallback({ backend: { ...SPARE, weight: 5 } })).field).toBe('fallback.backend.weight');
    expect(refusal(withFallback({ maxAttempts: 2 })).field).toBe('fallback.backend');
  });

  it('is kept by an equal definition, changed by any difference, and removed by a definition without it', () => {
    const table = new RouteTable();
    const first = table.define('chat', withFallback({ backend: SPARE }));
    expect(table.define('chat', withFallback({ backend: SPARE, maxAttempts: 1 })).changed).toBe(false);
    for (const changed of [
      { backend: { ...SPARE, apiKey: 'sk-rotated' } },
      { backend: { ...SPARE, model: 'sim-t' } },
      { backend: SPARE, maxAttempts: 2 },
      { backend: SPARE, maxAttempts: 2, timeoutMs: 900 },
    ])
      expect(table.define('chat', withFallback(changed)).changed).toBe(true);
    table.setWeights('chat', { weights: { baseline: 80, candidate: 20 } });
    expect(table.get('chat').fallback).toMatchObject({ maxAttempts: 2, timeoutMs: 900 });

    const cleared = table.define('chat', { backends: [BASELINE, CANDIDATE] });
    expect(cleared.changed).toBe(true);
    expect(cleared.state.fallback).toBeNull();
    expect(table.resolve('chat')?.fallback).toBeNull();
    expect(cleared.state.version).toBe(first.state.version + 6);
  });

  it('goes to the state file with its key and comes back; a file without one restores none', () => {
    const table = new RouteTable();
    table.define('chat', withFallback({ backend: SPARE, maxAttempts: 2, timeoutMs: 900 }));
    const [saved] = JSON.parse(JSON.stringify(table.snapshot())) as ReturnType<RouteTable['snapshot']>;
    expect(saved!.fallback).toEqual({ backend: SPARE, maxAttempts: 2, timeoutMs: 900 });
    const restored = new RouteTable();
    restored.restore(saved!);
    expect(restored.get('chat')).toEqual(table.get('chat'));
    expect(restored.resolve('chat')?.fallback?.backend.apiKey).toBe('sk-spare-secret');

    const { fallback: _fallback, ...older } = saved!;
    const fromOlder = new RouteTable();
    fromOlder.restore(older);
    expect(fromOlder.get('chat').fallback).toBeNull();

    const clash: RouteDefinition['fallback'] = { backend: { ...SPARE, name: 'baseline' } };
    expect(() => new RouteTable().restore({ ...saved!, fallback: clash })).toThrow(InvalidRequestError);
  });
});

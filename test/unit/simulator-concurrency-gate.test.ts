import { describe, it, expect } from 'vitest';
import { ConcurrencyGate } from '../../simulator/concurrency-gate';

describe('ConcurrencyGate', () => {
  it('admits up to the limit and queues the rest in arrival order', async () => {
    const gate = new ConcurrencyGate(2);
    const order: number[] = [];
    const releases = await Promise.all([gate.acquire(), gate.acquire()]);
    const waiting = [3, 4].map((n) => gate.acquire().then((release) => (order.push(n), release)));
    expect(gate.inFlight).toBe(2);
    expect(gate.queued).toBe(2);

    releases[0]?.();
    const third = await waiting[0];
    expect(order).toEqual([3]);
    expect(gate.queued).toBe(1);

    releases[1]?.();
    releases[1]?.(); // releasing twice must not free a second slot
    const fourth = await waiting[1];
    expect(order).toEqual([3, 4]);
    expect(gate.inFlight).toBe(2);
    third?.();
    fourth?.();
    expect(gate.inFlight).toBe(0);
  });

  it('admits waiting requests when the limit is raised', async () => {
    const gate = new ConcurrencyGate(1);
    await gate.acquire();
    const queued = gate.acquire();
    expect(gate.queued).toBe(1);
    gate.setLimit(2);
    await queued;
    expect(gate.inFlight).toBe(2);
    expect(gate.queued).toBe(0);
  });
});

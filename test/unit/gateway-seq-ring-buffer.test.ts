import { describe, it, expect } from 'vitest';
import { SeqRingBuffer } from '../../gateway/seq-ring-buffer';

interface Entry {
  seq: number;
  route: string;
}

function filled(capacity: number, routes: string[]): SeqRingBuffer<Entry> {
  const buffer = new SeqRingBuffer<Entry>(capacity);
  for (const route of routes) buffer.push({ route });
  return buffer;
}

describe('SeqRingBuffer', () => {
  it('assigns increasing seqs from 1 and pages after `since`', () => {
    const buffer = filled(10, ['a', 'b', 'a', 'a', 'b']);
    expect(buffer.pageAfter(0, 100).items.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5]);
    const page = buffer.pageAfter(1, 2, (e) => e.route === 'a');
    expect(page.items.map((e) => e.seq)).toEqual([3, 4]);
    expect(page.nextSince).toBe(4);
    expect(buffer.pageAfter(page.nextSince, 2, (e) => e.route === 'a')).toEqual({ items: [], nextSince: 5, lost: 0 });
  });

  it('advances nextSince past entries of other routes so polling does not rescan them', () => {
    const buffer = filled(10, ['b', 'b', 'b']);
    expect(buffer.pageAfter(0, 10, (e) => e.route === 'a')).toEqual({ items: [], nextSince: 3, lost: 0 });
    expect(buffer.pageAfter(7, 10)).toEqual({ items: [], nextSince: 7, lost: 0 });
  });

  it('overwrites the oldest entries beyond capacity', () => {
    const buffer = filled(3, ['a', 'a', 'a', 'a', 'a']);
    expect(buffer.size).toBe(3);
    expect(buffer.pageAfter(0, 10).items.map((e) => e.seq)).toEqual([3, 4, 5]);
    expect(buffer.pageAfter(4, 10).items.map((e) => e.seq)).toEqual([5]);
  });

  it('counts the entries after `since` that were overwritten before the read, whatever the filter', () => {
    const buffer = filled(3, ['a', 'b', 'a', 'b', 'a', 'b']);
    // Seqs 1..3 are gone; a reader at 1 missed 2 and 3, one at 0 missed all three.
    expect(buffer.pageAfter(1, 10, (e) => e.route === 'a')).toMatchObject({ lost: 2, nextSince: 6 });
    expect(buffer.pageAfter(0, 10).lost).toBe(3);
    expect(buffer.pageAfter(3, 10).lost).toBe(0);
    expect(buffer.pageAfter(5, 10).lost).toBe(0);
  });

  it('rejects a non-positive capacity', () => {
    expect(() => new SeqRingBuffer<Entry>(0)).toThrow(/capacity/);
  });
});

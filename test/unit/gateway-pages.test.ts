// Paged reads from the gateway's admin plane: page after page to the end, across a restart of the
// gateway (kept or dropped, as the stream needs), with what was overwritten counted.
import { describe, expect, it } from 'vitest';
import { readAllPages } from '../../activities/gateway-pages';

type Page = { epoch: string; nextSince: number; restarted: boolean; lost: number; items: number[] };

function pages(script: Page[]) {
  const asked: Array<[number, string | undefined]> = [];
  let next = 0;
  return {
    asked,
    page: async (since: number, epoch: string | undefined) => {
      asked.push([since, epoch]);
      return script[next++]!;
    },
  };
}

describe('readAllPages', () => {
  it('reads full pages until a short one, passing each cursor back', async () => {
    const { asked, page } = pages([
      { epoch: 'e1', nextSince: 12, restarted: false, lost: 1, items: [11, 12] },
      { epoch: 'e1', nextSince: 13, restarted: false, lost: 0, items: [13] },
    ]);
    const read = await readAllPages({ sinceSeq: 10, epoch: 'e1', pageSize: 2, maxPages: 10, page });
    expect(read).toEqual({ items: [11, 12, 13], lastSeq: 13, epoch: 'e1', restarted: false, lost: 1 });
    expect(asked).toEqual([
      [10, 'e1'],
      [12, 'e1'],
    ]);
  });

  it('after a restart reads the new process from its start, keeping or dropping the old pages', async () => {
    const script = (): Page[] => [
      { epoch: 'e1', nextSince: 52, restarted: false, lost: 0, items: [51, 52] },
      { epoch: 'e2', nextSince: 1, restarted: true, lost: 0, items: [1] },
    ];
    const kept = await readAllPages({
      sinceSeq: 50,
      epoch: 'e1',
      pageSize: 2,
      maxPages: 10,
      page: pages(script()).page,
    });
    expect(kept).toEqual({ items: [51, 52, 1], lastSeq: 1, epoch: 'e2', restarted: true, lost: 0 });
    const dropped = await readAllPages({
      sinceSeq: 50,
      epoch: 'e1',
      pageSize: 2,
      maxPages: 10,
      dropOnRestart: true,
      page: pages(script()).page,
    });
    expect(dropped.items).toEqual([1]);
  });

  it('stops at maxPages and at a page that does not advance', async () => {
    const full: Page = { epoch: 'e1', nextSince: 5, restarted: false, lost: 0, items: [4, 5] };
    const stuck = await readAllPages({ sinceSeq: 5, pageSize: 2, maxPages: 10, page: async () => full });
    expect(stuck.lastSeq).toBe(5);
    let seq = 0;
    const endless = await readAllPages({
      sinceSeq: 0,
      pageSize: 1,
      maxPages: 3,
      page: async () => ({ epoch: 'e1', nextSince: ++seq, restarted: false, lost: 0, items: [seq] }),
    });
    expect(endless).toMatchObject({ items: [1, 2, 3], lastSeq: 3 });
  });
});

// The index feedback by request id is attributed from (feedback-index.ts): bounded first in first
// out, a later live record of the same id replacing the entry, the route checked, each kind of
// feedback taken once per request; and TrafficLog filling it from live records only.
import { describe, expect, it } from 'vitest';
import { DEFAULT_FEEDBACK_INDEX_CAPACITY, FeedbackIndex } from '../../gateway/feedback-index';
import { TrafficLog } from '../../gateway/traffic-log';
import { mulberry32 } from '../../lib/seeded-random';
import type { RequestRecord } from '../../gateway/admin-api';

describe('FeedbackIndex', () => {
  it('forgets the oldest request ids once it holds `capacity`, and only those', () => {
    const index = new FeedbackIndex(3);
    for (const id of ['r-1', 'r-2', 'r-3', 'r-4', 'r-5']) index.note(id, 'chat', `backend-of-${id}`);
    expect(index.size).toBe(3);
    expect(index.attribute('r-1', 'chat', 'thumbs')).toEqual({ dropped: 'unknown_request' });
    expect(index.attribute('r-2', 'chat', 'thumbs')).toEqual({ dropped: 'unknown_request' });
    for (const id of ['r-3', 'r-4', 'r-5'])
      expect(index.attribute(id, 'chat', 'thumbs')).toEqual({ backend: `backend-of-${id}` });
  });

  it('evicts by insertion order, not by use: attributing feedback does not keep an id longer', () => {
    const index = new FeedbackIndex(2);
    index.note('r-1', 'chat', 'baseline');
    index.note('r-2', 'chat', 'baseline');
    expect(index.attribute('r-1', 'chat', 'score')).toEqual({ backend: 'baseline' });
    index.note('r-3', 'chat', 'candidate');
    expect(index.attribute('r-1', 'chat', 'thumbs')).toEqual({ dropped: 'unknown_request' });
    expect(index.attribute('r-2', 'chat', 'thumbs')).toEqual({ backend: 'baseline' });
  });

  it('lets a later record of the same id win (the fallback that answered) and makes it the newest', () => {
    const index = new FeedbackIndex(2);
    index.note('r-1', 'chat', 'candidate');
    index.note('r-2', 'chat', 'baseline');
    index.note('r-1', 'chat', 'spare');
    expect(index.size).toBe(2);
    index.note('r-3', 'chat', 'baseline');
    // r-2 was the oldest once r-1 was noted again.
    expect(index.attribute('r-2', 'chat', 'thumbs')).toEqual({ dropped: 'unknown_request' });
    expect(index.attribute('r-1', 'chat', 'thumbs')).toEqual({ backend: 'spare' });
  });

  it('drops feedback naming another route than the one that answered, without marking the kind seen', () => {
    const index = new FeedbackIndex(10);
    index.note('r-1', 'chat', 'baseline');
    expect(index.attribute('r-1', 'search', 'thumbs')).toEqual({ dropped: 'unknown_request' });
    expect(index.attribute('r-1', 'chat', 'thumbs')).toEqual({ backend: 'baseline' });
  });

  it('takes each kind once per request: a second one of a kind is a duplicate, other kinds still count', () => {
    const index = new FeedbackIndex(10);
    index.note('r-1', 'chat', 'candidate');
    expect(index.attribute('r-1', 'chat', 'thumbs')).toEqual({ backend: 'candidate' });
    expect(index.attribute('r-1', 'chat', 'thumbs')).toEqual({ dropped: 'duplicate' });
    expect(index.attribute('r-1', 'chat', 'score')).toEqual({ backend: 'candidate' });
    expect(index.attribute('r-1', 'chat', 'conversion')).toEqual({ backend: 'candidate' });
    expect(index.attribute('r-1', 'chat', 'score')).toEqual({ dropped: 'duplicate' });
    expect(index.attribute('r-1', 'chat', 'conversion')).toEqual({ dropped: 'duplicate' });
  });

  it('stays at its capacity however many ids pass through it', () => {
    const index = new FeedbackIndex(1_000);
    for (let i = 0; i < 25_000; i++) index.note(`r-${i}`, 'chat', i % 2 ? 'candidate' : 'baseline');
    expect(index.size).toBe(1_000);
    expect(index.attribute('r-23999', 'chat', 'thumbs')).toEqual({ dropped: 'unknown_request' });
    expect(index.attribute('r-24000', 'chat', 'thumbs')).toEqual({ backend: 'baseline' });
    expect(index.attribute('r-24999', 'chat', 'thumbs')).toEqual({ backend: 'candidate' });
  });

  it('evicts exactly as a plain first-in-first-out list would, over a long run of new and repeated ids', () => {
    const random = mulberry32(7);
    const capacity = 50;
    const index = new FeedbackIndex(capacity);
    // The reference: ids oldest first, a repeated id moved to the end.
    let model: string[] = [];
    for (let step = 0; step < 20_000; step++) {
      // Mostly new ids, some repeats of recent ones (fallbacks, client-chosen ids).
      const id = random() < 0.2 && model.length > 0 ? model[Math.floor(random() * model.length)]! : `r-${step}`;
      index.note(id, 'chat', `b-${step}`);
      model = [...model.filter((kept) => kept !== id), id].slice(-capacity);
      if (step % 997 === 0 || step > 19_950) {
        expect(index.size).toBe(model.length);
        // Known (a kind seen in an earlier check makes it a duplicate, never unknown).
        for (const kept of model)
          expect(index.attribute(kept, 'chat', 'conversion'), kept).not.toEqual({ dropped: 'unknown_request' });
        const gone = `r-${step - capacity * 3}`;
        if (!model.includes(gone))
          expect(index.attribute(gone, 'chat', 'conversion')).toEqual({ dropped: 'unknown_request' });
      }
    }
  });

  it('refuses a capacity that is not a positive integer; the default is 100,000', () => {
    expect(() => new FeedbackIndex(0)).toThrow(/positive integer/);
    expect(() => new FeedbackIndex(2.5)).toThrow(/positive integer/);
    expect(new FeedbackIndex().capacity).toBe(DEFAULT_FEEDBACK_INDEX_CAPACITY);
    expect(DEFAULT_FEEDBACK_INDEX_CAPACITY).toBe(100_000);
  });
});

describe("TrafficLog's feedback index", () => {
  const record = (requestId: string, overrides: Partial<RequestRecord> = {}): Omit<RequestRecord, 'seq' | 'epoch'> => ({
    route: 'chat',
    backend: 'baseline',
    model: 'sim-a',
    mode: 'live',
    status: 200,
    latencyMs: 1,
    ttftMs: null,
    promptTokens: 1,
    completionTokens: 1,
    refusal: false,
    validJson: null,
    requestId,
    stickyBucket: null,
    cohort: false,
    at: '2026-01-01T00:00:00.000Z',
    ...overrides,
  });

  it('is filled from live records only, a fallback attempt winning over the attempt that failed', () => {
    const log = new TrafficLog({ epoch: 'e1', feedbackIndex: 2 });
    log.addRecord(record('r-live'));
    // A shadow copy shares the live request's id; its backend never answered the client.
    log.addRecord(record('r-live', { mode: 'shadow', backend: 'candidate' }));
    log.addRecord(record('r-shadow-only', { mode: 'shadow', backend: 'candidate' }));
    expect(log.attributeFeedback('r-live', 'chat', 'thumbs')).toEqual({ backend: 'baseline' });
    expect(log.attributeFeedback('r-shadow-only', 'chat', 'thumbs')).toEqual({ dropped: 'unknown_request' });

    log.addRecord(record('r-fell-back', { backend: 'candidate', status: 503, fallbackTo: 'spare' }));
    log.addRecord(record('r-fell-back', { backend: 'spare', status: 502, fallbackFor: 'candidate' }));
    log.addRecord(record('r-fell-back', { backend: 'spare', fallbackFor: 'candidate' }));
    expect(log.attributeFeedback('r-fell-back', 'chat', 'score')).toEqual({ backend: 'spare' });
    // Capacity 2 counts request ids, not records: r-live is the one forgotten.
    log.addRecord(record('r-next'));
    expect(log.attributeFeedback('r-live', 'chat', 'score')).toEqual({ dropped: 'unknown_request' });
  });

  it('keeps feedback events in a ring of their own, paged per route with seq and epoch', () => {
    const log = new TrafficLog({ epoch: 'e1', feedback: 3 });
    const at = '2026-01-01T00:00:00.000Z';
    for (const [route, value] of [
      ['chat', 1],
      ['search', 0],
      ['chat', 0],
      ['chat', 1],
    ] as const)
      log.addFeedback({ route, backend: 'baseline', requestId: null, kind: 'thumbs', value, at });
    const page = log.feedbackFor('chat', 0, 10);
    expect(page.items.map((event) => [event.seq, event.value])).toEqual([
      [3, 0],
      [4, 1],
    ]);
    expect(page).toMatchObject({ epoch: 'e1', restarted: false, lost: 1, nextSince: 4 });
    expect(page.items[0]).toEqual({
      seq: 3,
      epoch: 'e1',
      route: 'chat',
      backend: 'baseline',
      requestId: null,
      kind: 'thumbs',
      value: 0,
      at,
    });
    expect(log.feedbackFor('chat', 4, 10, 'another-epoch')).toMatchObject({ restarted: true, nextSince: 4 });
  });
});

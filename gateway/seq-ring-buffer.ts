// A bounded, append-only log with monotonically increasing sequence numbers. Readers page with
// `since` (the last seq they saw); once the buffer is full the oldest entries are overwritten,
// so a reader that falls more than `capacity` entries behind loses the gap rather than the
// gateway growing without bound.

export interface Page<T> {
  items: T[];
  /** Pass back as `since` to continue; covers entries skipped by the filter too. */
  nextSince: number;
  /** Entries after `since` (any filter) already overwritten before this read: the reader's gap. */
  lost: number;
}

export class SeqRingBuffer<T extends { seq: number }> {
  private readonly slots: Array<T | undefined>;
  private lastSeq = 0;
  private count = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1)
      throw new Error(`ring buffer capacity must be a positive integer, got ${capacity}`);
    this.slots = new Array<T | undefined>(capacity);
  }

  /** Appends an entry, assigning it the next seq (starting at 1). */
  push(entry: Omit<T, 'seq'>): T {
    return this.pushBuilt((seq) => ({ seq, ...entry }) as T);
  }

  /**
   * Appends the entry `build` makes for the next seq (starting at 1): for callers on the per-request
   * path, which build the whole entry in one object literal rather than have it copied by a spread.
   */
  pushBuilt(build: (seq: number) => T): T {
    const seq = ++this.lastSeq;
    const item = build(seq);
    this.slots[seq % this.capacity] = item;
    this.count = Math.min(this.count + 1, this.capacity);
    return item;
  }

  get size(): number {
    return this.count;
  }

  get newestSeq(): number {
    return this.lastSeq;
  }

  /** Entries with seq > since, oldest first, at most `limit` of those matching `filter`. */
  pageAfter(since: number, limit: number, filter: (item: T) => boolean = () => true): Page<T> {
    const oldestSeq = this.lastSeq - this.count + 1;
    const items: T[] = [];
    let scannedTo = since;
    // Seqs in the buffer are contiguous, so the starting slot is computed, not searched.
    for (let seq = Math.max(since + 1, oldestSeq); seq <= this.lastSeq; seq++) {
      const item = this.slots[seq % this.capacity];
      scannedTo = seq;
      if (item && filter(item)) {
        items.push(item);
        if (items.length >= limit) break;
      }
    }
    // Everything in since+1 .. oldestSeq-1 existed once and is gone now.
    return { items, nextSince: Math.max(since, scannedTo), lost: Math.max(0, oldestSeq - 1 - since) };
  }
}

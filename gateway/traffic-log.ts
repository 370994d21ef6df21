// The gateway's bounded memory of recent traffic: one record per upstream exchange (live and
// shadow) and one pair per mirrored request. Both are ring buffers with a global seq, paged per
// route by the admin API.
import type { RequestRecord, ShadowPair } from './admin-api';
import { SeqRingBuffer } from './seq-ring-buffer';
import type { Page } from './seq-ring-buffer';

export const DEFAULT_RECORDS_CAPACITY = 10_000;
export const DEFAULT_SHADOW_PAIRS_CAPACITY = 2_000;

export class TrafficLog {
  private readonly records: SeqRingBuffer<RequestRecord>;
  private readonly pairs: SeqRingBuffer<ShadowPair>;

  constructor(capacities: { records?: number; shadowPairs?: number } = {}) {
    this.records = new SeqRingBuffer<RequestRecord>(capacities.records ?? DEFAULT_RECORDS_CAPACITY);
    this.pairs = new SeqRingBuffer<ShadowPair>(capacities.shadowPairs ?? DEFAULT_SHADOW_PAIRS_CAPACITY);
  }

  addRecord(record: Omit<RequestRecord, 'seq'>): RequestRecord {
    return this.records.push(record);
  }

  addPair(pair: Omit<ShadowPair, 'seq'>): ShadowPair {
    return this.pairs.push(pair);
  }

  recordsFor(route: string, since: number, limit: number): Page<RequestRecord> {
    return this.records.pageAfter(since, limit, (r) => r.route === route);
  }

  pairsFor(route: string, since: number, limit: number): Page<ShadowPair> {
    return this.pairs.pageAfter(since, limit, (p) => p.route === route);
  }
}

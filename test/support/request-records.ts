// Gateway per-request records for judge tests: a healthy live candidate answer unless told otherwise.
import type { RequestRecord } from '../../gateway/admin-api';

let seq = 0;

export function requestRecord(partial: Partial<RequestRecord> = {}): RequestRecord {
  seq += 1;
  return {
    seq,
    epoch: 'e1',
    requestId: `r${seq}`,
    route: 'chat',
    backend: 'candidate',
    model: 'sim-c',
    mode: 'live',
    status: 200,
    latencyMs: 100,
    ttftMs: null,
    promptTokens: 10,
    completionTokens: 50,
    refusal: false,
    validJson: null,
    cohort: false,
    at: '2026-11-22T10:00:10.000Z',
    ...partial,
  };
}

// Heartbeat details of the golden eval: complete for small evals, throttled and without answer
// excerpts for large ones, so they stay far below Temporal's payload limit.
import { describe, expect, it } from 'vitest';
import {
  COMPACT_HEARTBEAT_INTERVAL_MS,
  COMPACT_HEARTBEAT_ITEMS,
  heartbeatReporter,
  type GoldenEvalProgress,
} from '../../activities/evals';
import type { GoldenRunState } from '../../evals/golden-pipeline';

const state: GoldenRunState = {
  outcomes: [
    {
      id: 'a',
      side: 'baseline',
      status: 'answered',
      passed: true,
      failures: [],
      latencyMs: 5,
      completionTokens: 10,
      excerpt: 'Thanks for reaching out.',
    },
  ],
  judgements: [],
  pending: [{ id: 'a', side: 'baseline', answer: 'Thanks for reaching out.' }],
};

describe('heartbeatReporter', () => {
  it('sends every step of a small eval in full, with the total', () => {
    const sent: GoldenEvalProgress[] = [];
    const report = heartbeatReporter(200, (d) => sent.push(d));
    report(state);
    report(state);
    expect(sent).toEqual([
      { ...state, total: 400 },
      { ...state, total: 400 },
    ]);
    // The lists are the pipeline's own: nothing is copied per step.
    expect(sent[0]!.outcomes).toBe(state.outcomes);
  });

  it('throttles a large eval and leaves the excerpts out, keeping what a retry needs', () => {
    const sent: GoldenEvalProgress[] = [];
    let now = 0;
    const report = heartbeatReporter(
      COMPACT_HEARTBEAT_ITEMS + 1,
      (d) => sent.push(d),
      () => now,
    );
    report(state);
    now += COMPACT_HEARTBEAT_INTERVAL_MS - 1;
    report(state);
    now += 1;
    report(state);
    expect(sent).toHaveLength(2);
    expect(sent[0]!.outcomes![0]).not.toHaveProperty('excerpt');
    expect(sent[0]!.outcomes![0]).toMatchObject({ id: 'a', side: 'baseline', status: 'answered' });
    expect(sent[0]!.pending).toEqual(state.pending);
    expect(sent[0]!.total).toBe((COMPACT_HEARTBEAT_ITEMS + 1) * 2);
  });
});

import { describe, expect, it } from 'vitest';
import { pairedSamples, type PairObservation } from '../../evals/paired-samples';
import type { MetricSpec } from '../../evals/metric-judgement';

const spec = (metric: string): MetricSpec => ({
  metric,
  label: metric,
  direction: 'higher_is_worse',
  statistic: 'difference',
  tolerance: 0.1,
  blocking: false,
  unit: 'rate',
});
const both = <T>(baseline: T, candidate: T) => ({ baseline, candidate });

const answered = (
  over: Partial<NonNullable<PairObservation['answered']>> = {},
): NonNullable<PairObservation['answered']> => ({
  refusal: both(false, true),
  hedged: both(false, false),
  length: both(100, 50),
  ...over,
});

const observations: PairObservation[] = [
  {
    failed: both(false, false),
    answered: answered({ schemaAdherence: both(true, false) }),
    scored: true,
    judgement: { similarity: { status: 'scored', similarity: 0.5 } },
  },
  { failed: both(false, true), scored: false },
  {
    failed: both(false, false),
    answered: answered(),
    scored: true,
    judgement: { similarity: { status: 'no_score', kind: 'unreachable', reason: 'down' } },
  },
  { failed: both(false, false), answered: answered(), scored: false },
];

describe('paired samples', () => {
  it('counts every pair for errors and only answered pairs for the output statistics', () => {
    expect(pairedSamples(spec('errorRate'), observations)).toMatchObject({
      baseline: [0, 0, 0, 0],
      candidate: [0, 1, 0, 0],
      expected: 4,
      noScore: 0,
    });
    expect(pairedSamples(spec('refusalRate'), observations)).toMatchObject({
      baseline: [0, 0, 0],
      candidate: [1, 1, 1],
      expected: 3,
    });
    expect(pairedSamples(spec('length'), observations)).toMatchObject({
      baseline: [100, 100, 100],
      candidate: [50, 50, 50],
      note: 'per-pair length ratio p10 0.50, p50 0.50, p90 0.50',
    });
  });

  it('takes the JSON contract only where the pair has one, and nothing for a measurement it lacks', () => {
    expect(pairedSamples(spec('schemaAdherence'), observations)).toMatchObject({
      baseline: [1],
      candidate: [0],
      expected: 1,
    });
    expect(pairedSamples(spec('latency'), observations)).toMatchObject({ baseline: [], candidate: [], expected: 0 });
  });

  it('judges only the scored pairs, counting why a score is missing', () => {
    expect(pairedSamples(spec('similarity'), observations)).toMatchObject({
      baseline: [1],
      candidate: [0.5],
      expected: 2,
      noScore: 1,
      noScoreReasons: { 'embeddings unreachable': 1 },
    });
  });

  it('refuses a metric it has no samples for', () => {
    expect(() => pairedSamples(spec('vibes'), observations)).toThrow('no paired samples for metric vibes');
  });
});

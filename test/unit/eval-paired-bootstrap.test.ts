// The paired bootstrap behind every behavioral metric: deterministic from its seed, exact in the
// degenerate cases, and honest about its intervals (coverage near the nominal level).
import { describe, expect, it } from 'vitest';
import { pairedBootstrap, seedOf } from '../../evals/paired-bootstrap';
import { mulberry32 } from '../../lib/seeded-random';

const options = { statistic: 'difference' as const, confidence: 0.95, seed: 7 };

describe('pairedBootstrap', () => {
  it('gives the same interval for the same seed, and a different one for another seed', () => {
    const b = Array.from({ length: 60 }, (_, i) => (i % 5) + 1);
    const c = b.map((v, i) => v + ((i * 37) % 3) - 0.6);
    const first = pairedBootstrap(b, c, options);
    expect(pairedBootstrap(b, c, options)).toEqual(first);
    expect(pairedBootstrap(b, c, { ...options, seed: 8 }).interval).not.toEqual(first.interval);
    expect(first.estimate).toBeCloseTo(c.reduce((s, v) => s + v, 0) / 60 - b.reduce((s, v) => s + v, 0) / 60, 12);
    expect(first.interval![0]).toBeLessThan(first.estimate!);
    expect(first.interval![1]).toBeGreaterThan(first.estimate!);
  });

  it('returns θ = 0 with the interval [0, 0] and p = 1 when every pair is equal', () => {
    const same = [1, 0, 1, 1, 0, 0, 1];
    expect(pairedBootstrap(same, same, options)).toMatchObject({ estimate: 0, interval: [0, 0], pValue: 1, n: 7 });
    expect(pairedBootstrap([3, 5], [3, 5], { ...options, statistic: 'ratio' })).toMatchObject({
      estimate: 0,
      interval: [0, 0],
    });
  });

  it('has no estimate without pairs, or for a ratio over a zero baseline', () => {
    expect(pairedBootstrap([], [], options)).toMatchObject({ n: 0, estimate: null, interval: null, pValue: null });
    expect(pairedBootstrap([0, 0], [1, 2], { ...options, statistic: 'ratio' })).toMatchObject({
      estimate: null,
      interval: null,
    });
  });

  it('estimates a ratio of means as candidate / baseline − 1', () => {
    const b = Array.from({ length: 100 }, (_, i) => 100 + (i % 10));
    const c = b.map((v) => v * 0.5);
    const result = pairedBootstrap(b, c, { ...options, statistic: 'ratio' });
    expect(result.estimate).toBeCloseTo(-0.5, 12);
    expect(result.interval![0]).toBeCloseTo(-0.5, 12);
    expect(result.interval![1]).toBeCloseTo(-0.5, 12);
  });

  it('separates a clear shift from zero and says so in its p-value', () => {
    const b = Array.from({ length: 200 }, (_, i) => (i % 7) / 7);
    const c = b.map((v, i) => v - 0.2 + ((i % 5) - 2) * 0.05);
    const result = pairedBootstrap(b, c, { ...options, confidence: 0.995 });
    expect(result.interval![1]).toBeLessThan(0);
    expect(result.pValue).toBe(0);
  });

  it('covers the true mean difference at about its nominal level', () => {
    // 300 simulated paired samples of n = 40 with a true difference of 0.3: a 90 % interval should
    // miss about 30 times (binomial SD ≈ 5); outside 15–50 would mean a broken interval.
    const uniform = mulberry32(12345);
    let misses = 0;
    for (let sim = 0; sim < 300; sim++) {
      const b = Array.from({ length: 40 }, () => uniform() * 4);
      const c = b.map((v) => v + 0.3 + (uniform() - 0.5) * 2);
      const { interval } = pairedBootstrap(b, c, {
        statistic: 'difference',
        confidence: 0.9,
        resamples: 1000,
        seed: sim,
      });
      if (!(interval![0] <= 0.3 && 0.3 <= interval![1])) misses++;
    }
    expect(misses).toBeGreaterThan(15);
    expect(misses).toBeLessThan(50);
  });

  it('refuses samples of different lengths and confidence outside (0, 1)', () => {
    expect(() => pairedBootstrap([1, 2], [1], options)).toThrow(
      /paired samples differ in length: 2 baseline, 1 candidate/,
    );
    expect(() => pairedBootstrap([1], [1], { ...options, confidence: 1 })).toThrow(/confidence must be in \(0, 1\)/);
  });

  it('seeds by label', () => {
    expect(seedOf('golden|length')).toBe(seedOf('golden|length'));
    expect(seedOf('golden|length')).not.toBe(seedOf('golden|refusalRate'));
  });
});

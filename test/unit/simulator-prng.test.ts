import { describe, it, expect } from 'vitest';
import { DEFAULT_BEHAVIOUR } from '../../simulator/behaviour';
import { hashString, logNormal, mulberry32, standardNormal } from '../../lib/seeded-random';
import { DRAWS_PER_REQUEST, drawRequest } from '../../simulator/request-draws';

function take(next: () => number, n: number): number[] {
  return Array.from({ length: n }, next);
}

describe('mulberry32', () => {
  it('repeats its sequence for a seed and differs across seeds', () => {
    expect(take(mulberry32(42), 20)).toEqual(take(mulberry32(42), 20));
    expect(take(mulberry32(42), 20)).not.toEqual(take(mulberry32(43), 20));
  });

  it('stays in [0, 1) with a uniform-looking mean', () => {
    const values = take(mulberry32(7), 20_000);
    expect(Math.min(...values)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...values)).toBeLessThan(1);
    // Mean of 20k uniforms: SD ≈ 0.289 / sqrt(20000) ≈ 0.002; ±0.01 is 5 SD.
    expect(Math.abs(values.reduce((a, b) => a + b, 0) / values.length - 0.5)).toBeLessThan(0.01);
  });
});

describe('hashString', () => {
  it('is deterministic, seed-dependent, and spreads near-identical inputs', () => {
    expect(hashString('user-1', 3)).toBe(hashString('user-1', 3));
    expect(hashString('user-1', 3)).not.toBe(hashString('user-1', 4));
    const buckets = new Set(Array.from({ length: 1000 }, (_, i) => hashString(`user-${i}`) % 100));
    expect(buckets.size).toBeGreaterThan(95);
  });
});

describe('log-normal latency', () => {
  it('gives exactly the median with sigma 0 and a matching median otherwise', () => {
    expect(logNormal(150, 0, 2.5)).toBe(150);
    const next = mulberry32(11);
    const samples = Array.from({ length: 5001 }, () => logNormal(100, 0.5, standardNormal(next(), next()))).sort(
      (a, b) => a - b,
    );
    // Sample median of 5001 draws: SD of log-median ≈ 1.25 * 0.5 / sqrt(5001) ≈ 0.009; ±5% is > 5 SD.
    expect(samples[2500]).toBeGreaterThan(95);
    expect(samples[2500]).toBeLessThan(105);
  });
});

describe('drawRequest', () => {
  it('consumes the same number of draws whatever the outcome', () => {
    let calls = 0;
    const source = mulberry32(5);
    const counted = () => {
      calls++;
      return source();
    };
    drawRequest(counted, { ...DEFAULT_BEHAVIOUR, errorRate: 1 });
    drawRequest(counted, { ...DEFAULT_BEHAVIOUR, errorRate: 0 });
    expect(calls).toBe(2 * DRAWS_PER_REQUEST);
  });

  it('is reproducible from the seed and hits the configured rates', () => {
    const behaviour = { ...DEFAULT_BEHAVIOUR, errorRate: 0.1, refusalRate: 0.2, brokenJsonRate: 0.3 };
    const run = (seed: number) => {
      const next = mulberry32(seed);
      return Array.from({ length: 10_000 }, () => drawRequest(next, behaviour));
    };
    const draws = run(9);
    expect(run(9)).toEqual(draws);
    const share = (pick: (d: (typeof draws)[number]) => boolean) => draws.filter(pick).length / draws.length;
    // 10k draws: binomial SD ≤ 0.5 points; ±1.5 points is ≥ 3 SD (and the seed is fixed).
    expect(Math.abs(share((d) => d.failureStatus !== null) - 0.1)).toBeLessThan(0.015);
    expect(Math.abs(share((d) => d.refuse) - 0.2)).toBeLessThan(0.015);
    expect(Math.abs(share((d) => d.breakJson) - 0.3)).toBeLessThan(0.015);
    expect(new Set(draws.map((d) => d.failureStatus))).toEqual(new Set([null, 500, 503]));
  });
});

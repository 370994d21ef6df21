import { quantileSorted } from 'simple-statistics';
import { describe, expect, it } from 'vitest';
import { rankQuantileSorted } from '../../lib/quantiles';

describe('rank quantile', () => {
  const ten = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];

  it('is an observed value: the one at rank ⌊p·n⌋, the largest for p = 1', () => {
    expect(rankQuantileSorted(ten, 0)).toBe(1);
    expect(rankQuantileSorted(ten, 0.5)).toBe(6);
    expect(rankQuantileSorted(ten, 0.95)).toBe(10);
    expect(rankQuantileSorted(ten, 1)).toBe(10);
    expect(rankQuantileSorted([42], 0.5)).toBe(42);
  });

  it('has more than p·n values at or below it, and is the smallest such value', () => {
    for (const p of [0.1, 0.25, 0.5, 0.9, 0.99]) {
      const q = rankQuantileSorted(ten, p);
      expect(ten.filter((x) => x <= q).length).toBeGreaterThan(p * ten.length);
      expect(ten.filter((x) => x < q).length).toBeLessThanOrEqual(p * ten.length);
    }
  });

  it('differs from the interpolated quantile, which is simple-statistics’ job', () => {
    expect(quantileSorted(ten, 0.5)).toBe(5.5);
  });

  it('refuses no values and p outside [0, 1]', () => {
    expect(() => rankQuantileSorted([], 0.5)).toThrow(RangeError);
    expect(() => rankQuantileSorted(ten, 1.5)).toThrow(RangeError);
  });
});

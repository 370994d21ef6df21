import { describe, expect, it } from 'vitest';
import { bonferroniAlpha, bonferroniConfidence, holmAdjust, holmReject } from '../../lib/multiplicity';

describe('Holm step-down', () => {
  it('reproduces the textbook example (Holm 1979 procedure; Wikipedia "Holm–Bonferroni method" example)', () => {
    // p = (0.01, 0.04, 0.03, 0.005), α = 0.05: 0.005 < 0.05/4 and 0.01 < 0.05/3 are rejected,
    // then 0.03 > 0.05/2 stops the procedure.
    const p = [0.01, 0.04, 0.03, 0.005];
    expect(holmReject(p, 0.05)).toEqual([true, false, false, true]);
    // Adjusted p-values (R p.adjust(p, "holm")): 4·0.005, 3·0.01, max(2·0.03, ·), max(1·0.04, ·)
    const adj = holmAdjust(p);
    expect(adj[3]).toBeCloseTo(0.02, 15);
    expect(adj[0]).toBeCloseTo(0.03, 15);
    expect(adj[2]).toBeCloseTo(0.06, 15);
    expect(adj[1]).toBeCloseTo(0.06, 15);
  });

  it('uses the declared family size and caps at 1', () => {
    expect(holmAdjust([0.01], 4)).toEqual([0.04]);
    expect(holmAdjust([0.5, 0.6])).toEqual([1, 1]);
  });
});

describe('Bonferroni', () => {
  it('splits α evenly over the family, an empty family counting as one test', () => {
    expect(bonferroniAlpha(0.05, 4)).toBeCloseTo(0.0125, 15);
    expect(bonferroniAlpha(0.05, 0)).toBe(0.05);
    expect(bonferroniConfidence(0.05, 10)).toBeCloseTo(0.995, 12);
  });

  it('never rejects less than Holm at the same α (Holm is its step-down refinement)', () => {
    const p = [0.01, 0.04, 0.03, 0.005];
    const bonferroni = p.map((x) => x <= bonferroniAlpha(0.05, p.length));
    holmReject(p, 0.05).forEach((holm, i) => expect(holm || !bonferroni[i]).toBe(true));
    expect(bonferroni).toEqual([true, false, false, true]);
  });
});

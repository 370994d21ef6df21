import { describe, expect, it } from 'vitest';
import { erf, erfc, logNormalCdf, normalCdf, normalQuantile, normalSf } from '../../judge/statistics/normal';

const rel = (a: number, b: number): number => Math.abs(a - b) / Math.abs(b);

describe('normal distribution', () => {
  it('matches tabulated Φ values', () => {
    // Abramowitz & Stegun, Handbook of Mathematical Functions, Table 26.1 (Φ to 15 places).
    expect(normalCdf(1)).toBeCloseTo(0.841344746068543, 14);
    expect(normalCdf(2)).toBeCloseTo(0.977249868051821, 14);
    expect(normalCdf(3)).toBeCloseTo(0.99865010196837, 14);
    expect(normalCdf(0)).toBe(0.5);
    // R: pnorm(1.96) = 0.9750021048517795, pnorm(-1) = 0.1586552539314571
    expect(normalCdf(1.96)).toBeCloseTo(0.9750021048517795, 14);
    expect(normalCdf(-1)).toBeCloseTo(0.1586552539314571, 14);
  });

  it('keeps full relative precision deep in the tails', () => {
    // R: pnorm(-5) = 2.866515718791939e-07 (the brief's reference value 2.8665e-7),
    //    pnorm(-10) = 7.619853024160527e-24, pnorm(8, lower.tail = FALSE) = 6.220961e-16
    //    (full digits from the C library: 0.5 * erfc(8 / sqrt(2)) = 6.220960574271819e-16)
    expect(rel(normalCdf(-5), 2.866515718791939e-7)).toBeLessThan(1e-12);
    expect(rel(normalCdf(-10), 7.619853024160527e-24)).toBeLessThan(1e-12);
    expect(rel(normalSf(8), 6.220960574271819e-16)).toBeLessThan(1e-12);
    expect(normalSf(5)).toBe(normalCdf(-5));
  });

  it('computes erf and erfc', () => {
    // A&S Table 7.1: erf(0.5) = 0.5204998778, erf(1) = 0.8427007929, erf(2) = 0.9953222650
    expect(erf(0.5)).toBeCloseTo(0.5204998778130465, 14);
    expect(erf(1)).toBeCloseTo(0.8427007929497149, 14);
    expect(erf(2)).toBeCloseTo(0.9953222650189527, 14);
    expect(erf(-1)).toBeCloseTo(-0.8427007929497149, 14);
    // erfc(3) = 2.209049699858544e-05, erfc(5) = 1.537459794428035e-12 (C library erfc, as Python's
    // math.erfc; R: 2 * pnorm(-3 * sqrt(2)) = 2.20905e-05)
    expect(rel(erfc(3), 2.209049699858544e-5)).toBeLessThan(1e-12);
    expect(rel(erfc(5), 1.537459794428035e-12)).toBeLessThan(1e-12);
    // Continuity across the series / continued-fraction switch at 2.5.
    expect(rel(erfc(2.5 - 1e-12), erfc(2.5))).toBeLessThan(1e-10);
    expect(erfc(-1)).toBeCloseTo(2 - erfc(1), 15);
  });

  it('inverts Φ (quantiles)', () => {
    // R: qnorm(0.975) = 1.959963984540054 (the brief's z₀.₉₇₅ = 1.959963985),
    //    qnorm(0.995) = 2.575829303548901, qnorm(0.95) = 1.644853626951472, qnorm(1e-10) = -6.361340902404056
    expect(normalQuantile(0.975)).toBeCloseTo(1.959963984540054, 12);
    expect(normalQuantile(0.995)).toBeCloseTo(2.575829303548901, 12);
    expect(normalQuantile(0.95)).toBeCloseTo(1.644853626951472, 12);
    expect(normalQuantile(1e-10)).toBeCloseTo(-6.361340902404056, 11);
    expect(normalQuantile(0.5)).toBe(0);
    expect(normalQuantile(0)).toBe(Number.NEGATIVE_INFINITY);
    expect(normalQuantile(1)).toBe(Number.POSITIVE_INFINITY);
    for (const p of [1e-300, 1e-50, 1e-8, 0.001, 0.02425, 0.3, 0.7, 0.999]) {
      expect(rel(normalCdf(normalQuantile(p)), p)).toBeLessThan(1e-12);
    }
  });

  it('gives log Φ where Φ underflows', () => {
    // log Φ(−40) = −804.6084420137538: the asymptotic series A&S 26.2.12 summed to 12 terms
    // (independent of the implementation's 4-term version); continuous with the direct value at −20.
    expect(logNormalCdf(-40)).toBeCloseTo(-804.6084420137538, 9);
    expect(logNormalCdf(-20.0000001)).toBeCloseTo(Math.log(normalCdf(-20)), 5);
    expect(logNormalCdf(-19.9)).toBeCloseTo(Math.log(normalCdf(-19.9)), 12);
  });
});

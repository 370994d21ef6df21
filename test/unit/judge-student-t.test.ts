import { describe, expect, it } from 'vitest';
import { regularizedIncompleteBeta, studentTCdf, studentTQuantile, studentTSf } from '../../judge/statistics/student-t';

describe('Student t distribution', () => {
  it('reproduces t-table critical values', () => {
    // R qt(): qt(0.975, 10) = 2.228138851986274, qt(0.95, 5) = 2.015048 (t-table 2.015),
    // qt(0.995, 3) = 5.840909309733350, qt(0.975, 1) = 12.70620473617471, qt(0.975, 2) = 4.302652729696144
    expect(studentTQuantile(0.975, 10)).toBeCloseTo(2.228138851986274, 9);
    expect(studentTQuantile(0.95, 5)).toBeCloseTo(2.015048, 5);
    expect(studentTQuantile(0.995, 3)).toBeCloseTo(5.84090930973335, 9);
    expect(studentTQuantile(0.975, 1)).toBeCloseTo(12.70620473617471, 9);
    expect(studentTQuantile(0.975, 2)).toBeCloseTo(4.302652729696144, 9);
    expect(studentTCdf(2.228138851986274, 10)).toBeCloseTo(0.975, 12);
    expect(studentTQuantile(0.025, 10)).toBeCloseTo(-2.228138851986274, 9);
  });

  it('matches the closed forms for 1 and 2 degrees of freedom (independent check)', () => {
    // ν = 1 (Cauchy): F(t) = ½ + atan(t)/π;  ν = 2: F(t) = ½ + t / (2√(t² + 2)).
    for (const t of [-30, -3, -0.5, 0, 0.7, 2, 12]) {
      expect(studentTCdf(t, 1)).toBeCloseTo(0.5 + Math.atan(t) / Math.PI, 14);
      expect(studentTCdf(t, 2)).toBeCloseTo(0.5 + t / (2 * Math.sqrt(t * t + 2)), 14);
    }
    expect(studentTSf(3, 2)).toBeCloseTo(0.5 - 3 / (2 * Math.sqrt(11)), 14);
    // Odd ν (A&S 26.7.3), θ = atan(t/√ν): ν = 3: A = (2/π)(θ + sinθ cosθ);
    // ν = 5: A = (2/π)(θ + sinθ cosθ (1 + ⅔ cos²θ)); F(t) = ½ + A/2.
    const odd = (t: number, nu: 3 | 5): number => {
      const th = Math.atan(t / Math.sqrt(nu));
      const c = Math.cos(th);
      const a = (2 / Math.PI) * (th + Math.sin(th) * c * (nu === 3 ? 1 : 1 + (2 / 3) * c * c));
      return 0.5 + a / 2;
    };
    for (const t of [-4, -1.1, 0.3, 2.015048, 5.84]) {
      expect(studentTCdf(t, 3)).toBeCloseTo(odd(t, 3), 14);
      expect(studentTCdf(t, 5)).toBeCloseTo(odd(t, 5), 14);
    }
    expect(studentTCdf(studentTQuantile(0.95, 5), 5)).toBeCloseTo(0.95, 13);
  });

  it('tends to the normal for large ν and handles fractional ν', () => {
    expect(studentTCdf(1.959963984540054, 1e8)).toBeCloseTo(0.975, 9);
    expect(studentTCdf(1.959963984540054, 1e5)).toBeCloseTo(0.975, 4);
    // Fractional ν is continuous between integers.
    const a = studentTCdf(2, 17);
    const b = studentTCdf(2, 17.776);
    const c = studentTCdf(2, 18);
    expect(b).toBeGreaterThan(a);
    expect(b).toBeLessThan(c);
  });

  it('regularized incomplete beta: symmetry and closed forms', () => {
    // I_x(1, b) = 1 − (1 − x)^b;  I_x(a, 1) = x^a;  I_x(a, b) = 1 − I_{1−x}(b, a).
    expect(regularizedIncompleteBeta(0.3, 1, 4)).toBeCloseTo(1 - 0.7 ** 4, 14);
    expect(regularizedIncompleteBeta(0.3, 2.5, 1)).toBeCloseTo(0.3 ** 2.5, 14);
    expect(regularizedIncompleteBeta(0.42, 3.3, 7.1)).toBeCloseTo(1 - regularizedIncompleteBeta(0.58, 7.1, 3.3), 14);
    expect(regularizedIncompleteBeta(0, 2, 3)).toBe(0);
    expect(regularizedIncompleteBeta(1, 2, 3)).toBe(1);
  });
});

// Intervals and tests for proportions (error rate, refusal rate, schema adherence, latency
// exceedance rates).
//
// - Wilson score interval (Wilson 1927; Newcombe 1998a method 3):
//     centre = (x + z²/2) / (n + z²),  half-width = z·√(x(n−x)/n + z²/4) / (n + z²)
//   Unlike the Wald interval it stays inside [0, 1] and behaves at x = 0 (0 errors in n).
// - Newcombe hybrid score interval for p₁ − p₂ (Newcombe 1998b, method 10), from the two
//   Wilson intervals (l₁,u₁), (l₂,u₂):
//     L = (p₁ − p₂) − √((p₁ − l₁)² + (u₂ − p₂)²),   U = (p₁ − p₂) + √((u₁ − p₁)² + (p₂ − l₂)²)
// - Two-proportion z test with the pooled variance under H₀ (z² equals Pearson's χ² without
//   continuity correction on the 2×2 table).
//
// Pure and deterministic: no I/O, no Node built-ins.
import { normalCdf, normalQuantile, normalSf } from './normal';

export type Alternative = 'two-sided' | 'greater' | 'less';

export interface Interval {
  estimate: number;
  lower: number;
  upper: number;
}

function checkCounts(x: number, n: number): void {
  if (!Number.isFinite(n) || n <= 0) throw new RangeError(`need n > 0, got ${n}`);
  if (!(x >= 0 && x <= n)) throw new RangeError(`need 0 ≤ x ≤ n, got x=${x}, n=${n}`);
}

/** Wilson score interval for x successes in n trials at the given two-sided confidence. */
export function wilsonInterval(x: number, n: number, confidence = 0.95): Interval {
  checkCounts(x, n);
  const z = normalQuantile(1 - (1 - confidence) / 2);
  const z2 = z * z;
  const p = x / n;
  const centre = (x + z2 / 2) / (n + z2);
  const half = (z * Math.sqrt((x * (n - x)) / n + z2 / 4)) / (n + z2);
  // Exact ends at x = 0 and x = n (the formula gives them up to rounding).
  const lower = x === 0 ? 0 : Math.max(0, centre - half);
  const upper = x === n ? 1 : Math.min(1, centre + half);
  return { estimate: p, lower, upper };
}

/** Newcombe hybrid score interval for p₁ − p₂ (x₁/n₁ minus x₂/n₂). */
export function newcombeInterval(x1: number, n1: number, x2: number, n2: number, confidence = 0.95): Interval {
  const w1 = wilsonInterval(x1, n1, confidence);
  const w2 = wilsonInterval(x2, n2, confidence);
  const p1 = w1.estimate;
  const p2 = w2.estimate;
  const d = p1 - p2;
  return {
    estimate: d,
    lower: d - Math.sqrt((p1 - w1.lower) ** 2 + (w2.upper - p2) ** 2),
    upper: d + Math.sqrt((w1.upper - p1) ** 2 + (p2 - w2.lower) ** 2),
  };
}

export interface TwoProportionTest {
  /** p₁ − p₂ */
  estimate: number;
  z: number;
  pValue: number;
  /** Pooled standard error under H₀. */
  standardError: number;
}

/** Pooled two-proportion z test of H₀: p₁ = p₂ against the given alternative (about p₁ − p₂). */
export function twoProportionZTest(
  x1: number,
  n1: number,
  x2: number,
  n2: number,
  alternative: Alternative = 'two-sided',
): TwoProportionTest {
  checkCounts(x1, n1);
  checkCounts(x2, n2);
  const p1 = x1 / n1;
  const p2 = x2 / n2;
  const pooled = (x1 + x2) / (n1 + n2);
  const se = Math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2));
  const estimate = p1 - p2;
  if (se === 0) return { estimate, z: 0, pValue: 1, standardError: 0 };
  const z = estimate / se;
  return { estimate, z, pValue: pValueFromZ(z, alternative), standardError: se };
}

/** p-value of a standard normal statistic against an alternative. */
export function pValueFromZ(z: number, alternative: Alternative): number {
  if (alternative === 'greater') return normalSf(z);
  if (alternative === 'less') return normalCdf(z);
  return Math.min(1, 2 * normalSf(Math.abs(z)));
}

// Sample sizes and power, so the release owner knows before the rollout how long a canary
// window must be, at the expected traffic, to detect the plan's tolerances.
//
// Fixed-horizon (one look at the end), normal approximation, n = candidate-arm size and
// r = n_baseline / n_candidate:
//   two proportions (Fleiss, no continuity correction; R power.prop.test for r = 1):
//     n = ( z_{1−α/s} √(p̄q̄(1 + 1/r)) + z_{1−β} √(p_c q_c + p_b q_b / r) )² / δ²,
//     p̄ = (p_c + r p_b)/(1 + r),  δ = p_c − p_b,  s = 1 or 2 sides
//   difference of means:  n = (z_{1−α/s} + z_{1−β})² (σ_c² + σ_b²/r) / δ²
//   relative change of a mean (log ratio of means, delta method): σ → coefficient of variation,
//     δ → |log(1 + tolerance)|.
//
// Sequential (the judge's mSPRT, see sequential.ts): the smallest n at which
// P(Λ_n ≥ 1/α) ≥ power for the effect δ, with V = v/n. Because the test may also stop at an
// earlier look, this n is a conservative (upper) bound on the window the mSPRT needs.
//
// Pure and deterministic: no I/O, no Node built-ins.
import { normalCdf, normalQuantile } from './normal';
import { logMixtureLikelihoodRatio } from './sequential';
import type { Sidedness } from './sequential';

export interface ProportionDesign {
  /** Baseline rate p_b. */
  baselineRate: number;
  /** Candidate rate to detect, p_c. */
  candidateRate: number;
  alpha: number;
  /** 1 − β, e.g. 0.8. */
  power: number;
  sides: 1 | 2;
  /** n_baseline / n_candidate (default 1: a matched baseline, as Kayenta recommends). */
  ratio?: number;
}

/** Fixed-horizon candidate-arm sample size for a difference of two proportions (not rounded). */
export function sampleSizeTwoProportions(design: ProportionDesign): number {
  const r = design.ratio ?? 1;
  const pc = design.candidateRate;
  const pb = design.baselineRate;
  const delta = Math.abs(pc - pb);
  if (delta === 0) return Number.POSITIVE_INFINITY;
  const pbar = (pc + r * pb) / (1 + r);
  const za = normalQuantile(1 - design.alpha / design.sides);
  const zb = normalQuantile(design.power);
  const root = za * Math.sqrt(pbar * (1 - pbar) * (1 + 1 / r)) + zb * Math.sqrt(pc * (1 - pc) + (pb * (1 - pb)) / r);
  return (root * root) / (delta * delta);
}

/** Power of the fixed-horizon two-proportion z test with n candidate requests (R's strict = FALSE). */
export function powerTwoProportions(design: Omit<ProportionDesign, 'power'> & { n: number }): number {
  const r = design.ratio ?? 1;
  const pc = design.candidateRate;
  const pb = design.baselineRate;
  const pbar = (pc + r * pb) / (1 + r);
  const za = normalQuantile(1 - design.alpha / design.sides);
  const num = Math.sqrt(design.n) * Math.abs(pc - pb) - za * Math.sqrt(pbar * (1 - pbar) * (1 + 1 / r));
  return normalCdf(num / Math.sqrt(pc * (1 - pc) + (pb * (1 - pb)) / r));
}

export interface MeanDesign {
  /** Effect to detect on the test's scale (absolute difference, or |log(1 + tol)|). */
  delta: number;
  /** Per-observation SD of the candidate arm (or the CV, for a log ratio of means). */
  sdCandidate: number;
  /** Per-observation SD of the baseline arm (default: same as the candidate). */
  sdBaseline?: number;
  alpha: number;
  power: number;
  sides: 1 | 2;
  ratio?: number;
}

/** Fixed-horizon candidate-arm sample size for a shift in means (normal approximation, not rounded). */
export function sampleSizeMeanShift(design: MeanDesign): number {
  const r = design.ratio ?? 1;
  const sb = design.sdBaseline ?? design.sdCandidate;
  const za = normalQuantile(1 - design.alpha / design.sides);
  const zb = normalQuantile(design.power);
  if (design.delta === 0) return Number.POSITIVE_INFINITY;
  return ((za + zb) ** 2 * (design.sdCandidate ** 2 + sb ** 2 / r)) / design.delta ** 2;
}

export interface SequentialDesign {
  /** Effect to detect on the test's scale, in the bad direction (> 0). */
  delta: number;
  /** v such that Var(θ̂) = v / n_candidate (e.g. p̄q̄(1 + 1/r) for proportions). */
  unitVariance: number;
  /** Mixing SD τ (the judge uses the tolerance on the test's scale). */
  tau: number;
  alpha: number;
  power: number;
  alternative: Sidedness;
}

/** Smallest θ̂ > 0 (in the bad direction) at which the mSPRT rejects with variance V. */
export function sequentialRejectionThreshold(
  variance: number,
  tau: number,
  alpha: number,
  alternative: Sidedness,
): number {
  const target = Math.log(1 / alpha);
  const alt: Sidedness = alternative === 'two-sided' ? 'two-sided' : 'greater';
  const lr = (d: number): number => logMixtureLikelihoodRatio({ estimate: d, variance, tau, alternative: alt });
  let hi = Math.sqrt(variance);
  while (lr(hi) < target) hi *= 2;
  let lo = 0;
  for (let i = 0; i < 200; i++) {
    const mid = (lo + hi) / 2;
    if (lr(mid) >= target) hi = mid;
    else lo = mid;
  }
  return hi;
}

/** Power bound of the mSPRT at candidate-arm size n: P(Λ_n ≥ 1/α) under effect δ. */
export function sequentialPowerAt(n: number, design: SequentialDesign): number {
  const V = design.unitVariance / n;
  const threshold = sequentialRejectionThreshold(V, design.tau, design.alpha, design.alternative);
  const sd = Math.sqrt(V);
  const upper = normalCdf((design.delta - threshold) / sd);
  // Two-sided: rejection on the other side too (negligible for δ > 0, included for completeness).
  return design.alternative === 'two-sided' ? upper + normalCdf((-design.delta - threshold) / sd) : upper;
}

/** Candidate-arm size at which the mSPRT reaches the requested power (conservative: last look only). */
export function sequentialSampleSize(design: SequentialDesign): number {
  let hi = 1;
  while (sequentialPowerAt(hi, design) < design.power) {
    hi *= 2;
    if (hi > 1e12) return Number.POSITIVE_INFINITY;
  }
  let lo = hi / 2;
  for (let i = 0; i < 100 && hi - lo > 0.5; i++) {
    const mid = (lo + hi) / 2;
    if (sequentialPowerAt(mid, design) >= design.power) hi = mid;
    else lo = mid;
  }
  return Math.ceil(hi);
}

/**
 * Window length (minutes) for `samplesPerArm` requests in each arm, when `requestsPerMinute`
 * reach the route, the candidate gets `candidateShare` of them and the baseline arm
 * `baselineShare` (default 1 − candidateShare). The slower arm sets the pace.
 */
export function windowMinutes(
  samplesPerArm: number,
  requestsPerMinute: number,
  candidateShare: number,
  baselineShare = 1 - candidateShare,
): number {
  const perMinute = requestsPerMinute * Math.min(candidateShare, baselineShare);
  if (!(perMinute > 0)) return Number.POSITIVE_INFINITY;
  return samplesPerArm / perMinute;
}

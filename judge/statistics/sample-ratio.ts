// Sample ratio mismatch (SRM): does the observed baseline/candidate split match the share the
// rollout set? A sticky-key router, retries or a faulty route skew it, and then the arms no
// longer compare like with like, whatever the metrics say.
//
// Sequentially, so a check at every look stays valid: the candidate's count x of n requests is
// Binomial(n, π₀) under H₀. Mixing the alternative's likelihood over π ~ Beta(kπ₀, k(1 − π₀))
// gives the Beta-binomial likelihood ratio
//   Λ_n = B(kπ₀ + x, k(1 − π₀) + n − x) / B(kπ₀, k(1 − π₀)) / (π₀^x (1 − π₀)^(n − x)),
// an exact nonnegative martingale under H₀ (no normal approximation), so by Ville's inequality
// p_n = min(p_{n−1}, 1/Λ_n) is an always-valid p-value. k = 200 centres the prior's spread
// (SD ≈ √(π₀(1 − π₀)/k)) on mismatches of a few points, the size a faulty router gives.
import { gammaln } from 'simple-statistics';

export const SRM_PRIOR_CONCENTRATION = 200;

function logBeta(a: number, b: number): number {
  return gammaln(a) + gammaln(b) - gammaln(a + b);
}

/** log Λ of the Beta-binomial mixture against H₀: candidate share = expected. */
export function logSampleRatioLikelihoodRatio(
  candidate: number,
  total: number,
  expected: number,
  concentration = SRM_PRIOR_CONCENTRATION,
): number {
  if (!(expected > 0 && expected < 1) || !(total > 0)) return 0;
  const a = concentration * expected;
  const b = concentration * (1 - expected);
  const rest = total - candidate;
  return (
    logBeta(a + candidate, b + rest) - logBeta(a, b) - (candidate * Math.log(expected) + rest * Math.log1p(-expected))
  );
}

/** Always-valid p-value of "the split matches", after this look: min(previous, 1/Λ). */
export function sampleRatioPValue(candidate: number, total: number, expected: number, previous = 1): number {
  const logLr = logSampleRatioLikelihoodRatio(candidate, total, expected);
  return Math.min(previous, Math.min(1, Math.exp(-logLr)));
}

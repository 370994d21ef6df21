// Multiplicity corrections: the one place for the family-wise error rate's arithmetic. The
// canary judge, the behavioral gates and the window planner split α evenly with Bonferroni: they
// show intervals, and an interval agrees with its test only at one level per metric (Holm's
// step-down levels depend on the other metrics' p-values). Holm serves decisions on p-values alone.
//
// Holm's step-down procedure (Holm 1979): controls the family-wise error rate at α for any
// dependence between the tests.
//
//   Sort p₍₁₎ ≤ … ≤ p₍ₘ₎; adjusted p̃₍ᵢ₎ = max_{j ≤ i} min(1, (m − j + 1) · p₍ⱼ₎);
//   reject H₍ᵢ₎ when p̃₍ᵢ₎ ≤ α.
//
// With always-valid p-values this stays valid under continuous monitoring: if Holm ever rejects
// a true null at some look, the first true null it rejects had p ≤ α/m₀ at that look (at most
// m − m₀ hypotheses were rejected before it), so the event is contained in
// {∃ look, ∃ true null i: p_i ≤ α/m₀}, whose probability is ≤ m₀ · α/m₀ = α by Ville's inequality.
//
// Pure and deterministic: no I/O, no Node built-ins.

/** Holm-adjusted p-values, in the input order. */
export function holmAdjust(pValues: readonly number[], familySize = pValues.length): number[] {
  const m = Math.max(familySize, pValues.length);
  const order = pValues.map((p, i) => ({ p, i })).sort((a, b) => a.p - b.p || a.i - b.i);
  const adjusted = new Array<number>(pValues.length).fill(1);
  let running = 0;
  order.forEach(({ p, i }, rank) => {
    running = Math.max(running, Math.min(1, (m - rank) * p));
    adjusted[i] = running;
  });
  return adjusted;
}

/** Which hypotheses Holm rejects at family-wise level α, in the input order. */
export function holmReject(pValues: readonly number[], alpha: number, familySize = pValues.length): boolean[] {
  return holmAdjust(pValues, familySize).map((p) => p <= alpha);
}

/** Bonferroni's per-test level α/m for a family of m tests (m below 1 counts as one). */
export function bonferroniAlpha(alpha: number, familySize: number): number {
  return alpha / Math.max(1, familySize);
}

/** Bonferroni: the confidence 1 − α/m of each of m intervals, so all m hold together at 1 − α. */
export function bonferroniConfidence(alpha: number, familySize: number): number {
  return 1 - bonferroniAlpha(alpha, familySize);
}

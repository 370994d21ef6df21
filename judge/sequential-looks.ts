// The sequential tests of one look: the normal-mixture mSPRT per metric (statistics/sequential.ts),
// one-sided in the bad direction (two-sided for direction 'either'), τ = 1.5 × tolerance on the
// test's scale, averaged with mixtures at 4τ and 16τ (TAU_GRID) so gross regressions stop a
// canary early; always-valid p-values carried as a running minimum in `JudgeState`; Holm across
// the blocking metrics (lib/multiplicity.ts).
import type { JudgeState } from './judge-evidence';
import type { Prepared } from './prepared-metric';
import { holmAdjust } from '../lib/multiplicity';
import { alwaysValidGridPValue, confidenceSequence, logGridMixtureLikelihoodRatio } from './statistics/sequential';

/** One metric's sequential test at this look. */
export interface SequentialTest {
  logLr: number;
  /** Always-valid p-value: the running minimum over the window's looks. */
  p: number;
  /** Past burn-in: the test may reject. */
  active: boolean;
  cs: { lower: number; upper: number };
}

export interface SequentialLook {
  /** Per metric, in the config's order; null without data. */
  tests: (SequentialTest | null)[];
  /** Holm-adjusted p per metric (the plain p for non-blocking metrics). */
  adjustedP: number[];
  /** Size of the Holm family each metric's adjusted p is taken in (1 for non-blocking metrics). */
  familySize: number[];
  pValues: JudgeState['pValues'];
}

export function sequentialLook(
  prepared: readonly Prepared[],
  previous: JudgeState['pValues'],
  names: ReadonlySet<string>,
  burnIn: number,
  alpha: number,
): SequentialLook {
  // Sequential tests and the always-valid p-values (running minimum within the window).
  const nextP: Record<string, number> = {};
  const seq = prepared.map((m): SequentialTest | null => {
    if (m.status === 'no_data' || !m.stat) return null;
    const active = Math.min(m.nBaseline, m.nCandidate) >= burnIn;
    const mixture = { estimate: m.stat.estimate, variance: m.stat.variance, tau: m.tau, alternative: m.alternative };
    const logLr = logGridMixtureLikelihoodRatio(mixture);
    const prior = previous[m.cfg.name] ?? 1;
    const p = active ? alwaysValidGridPValue(mixture, prior) : prior;
    nextP[m.cfg.name] = p;
    const cs = confidenceSequence(m.stat.estimate, m.stat.variance, m.tau, alpha);
    return { logLr, p, active, cs };
  });
  // Metrics without data this look keep their earlier running minimum.
  for (const [name, p] of Object.entries(previous)) if (!(name in nextP) && names.has(name)) nextP[name] = p;

  const blockingIdx = prepared.map((m, i) => (m.blocking ? i : -1)).filter((i) => i >= 0);
  const familySize = blockingIdx.length;
  const adjustedBlocking = holmAdjust(
    blockingIdx.map((i) => seq[i]?.p ?? nextP[prepared[i]!.cfg.name] ?? 1),
    familySize,
  );
  const adjusted = new Map<number, number>();
  blockingIdx.forEach((i, k) => adjusted.set(i, adjustedBlocking[k]!));

  return {
    tests: seq,
    adjustedP: prepared.map((_, i) => adjusted.get(i) ?? seq[i]?.p ?? 1),
    familySize: prepared.map((m) => (m.blocking ? familySize : 1)),
    pValues: nextP,
  };
}

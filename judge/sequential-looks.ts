// The sequential test of one look, one per metric, which alone decides: the two-sided grid
// mixture mSPRT (statistics/sequential.ts; mixtures at τ, 4τ and 16τ, τ = 1.5 × tolerance on the
// test's scale, so gross regressions stop a canary early) and the confidence sequence that
// inverts it, both at one level: α/M for each of the M blocking metrics (Bonferroni), α for a
// non-blocking one. The hypothesis is the plan's: "no regression beyond the tolerance", the
// composite null lowerTolerance ≤ θ ≤ upperTolerance (one bound infinite for a directional
// metric). Its p-value is 1/Λ at the nearest tolerance bound when θ̂ lies beyond it, else 1, so
//   p ≤ level  ⇔  the interval lies wholly beyond the tolerance,
// look by look; the window keeps the running minimum of p and the running intersection of the
// intervals (both valid at every look by Ville's inequality), so the equivalence also holds for
// what a verdict shows. Burn-in looks are shown but neither decide nor enter the running values.
import type { JudgeState, SequenceState } from './judge-evidence';
import type { Prepared } from './prepared-metric';
import { bonferroniAlpha } from '../lib/multiplicity';
import { gridConfidenceRadius, logGridMixtureLikelihoodRatio } from './statistics/sequential';

/** One metric's sequential test at this look. */
export interface SequentialTest {
  /** log Λ at the tolerance bound the estimate lies beyond (0 when it lies within). */
  logLr: number;
  /** Always-valid p-value of "no regression beyond the tolerance": running minimum over active looks. */
  p: number;
  /** Past burn-in: the test may reject. */
  active: boolean;
  /** The test's level: α/M for a blocking metric, α otherwise. */
  level: number;
  /** Always-valid interval at 1 − level: running intersection over active looks. */
  cs: { lower: number; upper: number };
}

export interface SequentialLook {
  /** Per metric, in the config's order; null without data. */
  tests: (SequentialTest | null)[];
  /** A distribution metric: the index of the quantile that decides, and each quantile's test. */
  focus: (number | null)[];
  partTests: (SequentialTest[] | null)[];
  /** Bonferroni-adjusted p per metric, min(1, M·p) (the plain p for non-blocking metrics). */
  adjustedP: number[];
  /** M for blocking metrics, 1 for the others. */
  familySize: number[];
  sequences: JudgeState['sequences'];
}

/**
 * @param familySize M: the plan's blocking metrics. Fixed for the window (a metric with nothing to
 * measure at one look still counts), so each metric's level, and with it its running interval,
 * stays the same from look to look.
 */
export function sequentialLook(
  prepared: readonly Prepared[],
  /** Absent at a window's first look, and in states written before this test (see JudgeState). */
  previous: JudgeState['sequences'] | undefined,
  names: ReadonlySet<string>,
  burnIn: number,
  alpha: number,
  familySize: number,
): SequentialLook {
  const next: Record<string, SequenceState> = {};
  const focus: (number | null)[] = [];
  const partTests: (SequentialTest[] | null)[] = [];
  const tests = prepared.map((m): SequentialTest | null => {
    focus.push(null);
    partTests.push(null);
    if (m.status === 'no_data' || !m.stat) return null;
    const level = m.blocking ? bonferroniAlpha(alpha, familySize) : alpha;
    const active = Math.min(m.nBaseline, m.nCandidate) >= burnIn;
    if (!m.parts) return testOne(m.cfg.name, m, level, active, previous, next);
    // A distribution metric: one test per quantile at level / K, the metric's p = min_k K·p_k.
    const K = m.parts.length;
    const parts = m.parts.map((part) =>
      testOne(partKey(m.cfg.name, part.quantile), part, bonferroniAlpha(level, K), active, previous, next),
    );
    const margin = (t: SequentialTest, k: number) =>
      Math.max(t.cs.lower - m.parts![k]!.upperTolerance, m.parts![k]!.lowerTolerance - t.cs.upper);
    let best = 0;
    parts.forEach((t, k) => {
      const b = parts[best]!;
      if (t.p < b.p || (t.p === b.p && margin(t, k) > margin(b, best))) best = k;
    });
    focus[focus.length - 1] = best;
    partTests[partTests.length - 1] = parts;
    const decider = parts[best]!;
    const rejected = decider.p <= decider.level;
    // K·(level/K) may round off level: the deciding quantile's side wins, as in testOne.
    const scaled = Math.min(1, K * decider.p);
    const p = rejected ? Math.min(scaled, level) : scaled <= level ? Math.min(1, level * (1 + 1e-9)) : scaled;
    if (active) next[m.cfg.name] = { p };
    return { logLr: decider.logLr, p, active, level, cs: decider.cs };
  });
  // Metrics without data this look keep what they had.
  for (const [name, s] of Object.entries(previous ?? {}))
    if (!(name in next) && names.has(metricOfKey(name))) next[name] = s;

  return {
    tests,
    focus,
    partTests,
    adjustedP: prepared.map((m, i) => {
      const p = tests[i]?.p ?? next[m.cfg.name]?.p ?? 1;
      return m.blocking ? Math.min(1, familySize * p) : p;
    }),
    familySize: prepared.map((m) => (m.blocking ? familySize : 1)),
    sequences: next,
  };
}

/** A distribution metric's quantile keeps its running values under "metric@q". */
function partKey(name: string, quantile: number): string {
  return `${name}@${quantile}`;
}

function metricOfKey(key: string): string {
  const at = key.lastIndexOf('@');
  return at < 0 ? key : key.slice(0, at);
}

interface Tested {
  stat?: { estimate: number; variance: number };
  tau: number;
  upperTolerance: number;
  lowerTolerance: number;
}

/** One always-valid test against the tolerance at `level`, its running values kept under `key`. */
function testOne(
  key: string,
  m: Tested,
  level: number,
  active: boolean,
  previous: JudgeState['sequences'] | undefined,
  next: Record<string, SequenceState>,
): SequentialTest {
  const { estimate, variance } = m.stat!;
  const radius = gridConfidenceRadius(variance, m.tau, level);
  const bound = estimate > m.upperTolerance ? m.upperTolerance : estimate < m.lowerTolerance ? m.lowerTolerance : null;
  const logLr =
    bound === null
      ? 0
      : logGridMixtureLikelihoodRatio({ estimate, variance, tau: m.tau, alternative: 'two-sided', nullValue: bound });
  const csNow = { lower: estimate - radius, upper: estimate + radius };
  const beyond = csNow.lower > m.upperTolerance || csNow.upper < m.lowerTolerance;
  // p and the interval take different floating-point routes to the same boundary; within
  // rounding of it (~1e-12) the interval's side wins, so the two can never disagree.
  const pRaw = Math.min(1, Math.exp(-logLr));
  const pNow = beyond ? Math.min(pRaw, level) : pRaw <= level ? Math.min(1, level * (1 + 1e-9)) : pRaw;
  const prior = previous?.[key];
  if (!active) {
    if (prior) next[key] = prior;
    return { logLr, p: pNow, active, level, cs: csNow };
  }
  const p = Math.min(prior?.p ?? 1, pNow);
  const lower = Math.max(prior?.lower ?? Number.NEGATIVE_INFINITY, csNow.lower);
  const upper = Math.min(prior?.upper ?? Number.POSITIVE_INFINITY, csNow.upper);
  // Infinite ends (no information yet) are not stored: JSON has no ∞.
  const stored: SequenceState = { p };
  if (Number.isFinite(lower)) stored.lower = lower;
  if (Number.isFinite(upper)) stored.upper = upper;
  next[key] = stored;
  return { logLr, p, active, level, cs: { lower, upper } };
}

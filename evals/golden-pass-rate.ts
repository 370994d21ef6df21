// The plan's pass-rate floor for the golden eval: the candidate must reach `minPassRate` and lose
// no more than `maxRegression` against the baseline on the same items. Items with nothing to
// check are counted and reported, never scored as passes. Part of the golden verdict
// (golden-behavioral-verdict.ts), beside the paired behavioral metrics.
import type { MetricEvidence, VerdictOutcome } from '../judge/verdict';
import type { RolloutPlan } from '../plan/schema';
import type { ItemOutcome, Side } from './golden-eval-runner';

export interface SideSummary {
  items: number;
  scored: number;
  passed: number;
  errors: number;
  passRate: number | null;
}

export function summarize(outcomes: ItemOutcome[], side: Side): SideSummary {
  const mine = outcomes.filter((outcome) => outcome.side === side);
  const scored = mine.filter((outcome) => outcome.passed !== null);
  const passed = scored.filter((outcome) => outcome.passed).length;
  return {
    items: mine.length,
    scored: scored.length,
    passed,
    errors: mine.filter((outcome) => outcome.status === 'error').length,
    passRate: scored.length > 0 ? passed / scored.length : null,
  };
}

export interface PassRateCheck {
  evidence: MetricEvidence;
  /** 'inconclusive' when no item could be scored on both sides (and the floor holds). */
  outcome: VerdictOutcome;
  reason: string;
}

export function passRateCheck(outcomes: ItemOutcome[], config: RolloutPlan['stages']['goldenEval']): PassRateCheck {
  const baseline = summarize(outcomes, 'baseline');
  const candidate = summarize(outcomes, 'candidate');
  const delta =
    baseline.passRate !== null && candidate.passRate !== null ? candidate.passRate - baseline.passRate : null;
  const regressed = delta !== null && -delta > config.maxRegression;
  const belowFloor = candidate.passRate !== null && candidate.passRate < config.minPassRate;
  const evidence: MetricEvidence = {
    metric: 'goldenPassRate',
    direction: 'lower_is_worse',
    critical: true,
    baseline: baseline.passRate,
    candidate: candidate.passRate,
    delta,
    deltaKind: 'absolute',
    tolerance: config.maxRegression,
    test: 'threshold',
    samples: { baseline: baseline.scored, candidate: candidate.scored },
    // The floor is the candidate's own: it applies even when the baseline scored nothing.
    classification: regressed || belowFloor ? 'low' : delta === null ? 'no_data' : 'pass',
    message:
      candidate.passRate === null
        ? `golden pass rate: no scored candidate items (${candidate.items} run, ${candidate.errors} candidate errors)`
        : baseline.passRate === null
          ? `golden pass rate ${pct(candidate.passRate)} with no scored baseline items (${candidate.passed}/${candidate.scored}; ${candidate.errors} candidate errors)`
          : `golden pass rate ${pct(candidate.passRate)} vs baseline ${pct(baseline.passRate)} (${candidate.passed}/${candidate.scored} vs ${baseline.passed}/${baseline.scored}; ${candidate.errors} candidate errors)`,
  };
  const check = (outcome: VerdictOutcome, reason: string): PassRateCheck => ({ evidence, outcome, reason });
  // The floor comes first: a candidate that answered no item fails even when the baseline had
  // nothing scorable. Only a candidate at or above its floor can be "nothing to compare".
  if (belowFloor) return check('fail', `${evidence.message}: below the minimum ${pct(config.minPassRate)}`);
  if (delta === null) return check('inconclusive', `no golden item could be scored on both sides: ${evidence.message}`);
  if (regressed) return check('fail', `${evidence.message}: dropped more than ${pct(config.maxRegression)}`);
  return check('pass', evidence.message);
}

const pct = (value: number) => `${(value * 100).toFixed(1)}%`;

// One look at an A/B experiment's primary metric: what the evidence says and whether the
// experiment stops. Pure.
//
// - Before the planned size: the always-valid two-sided mixture test (sequential.ts, τ = the
//   minimum detectable effect) at the early looks' level. It may stop the experiment for a clear
//   harm (the rollout rolls back) or a clear win (a person decides sooner), never for "no
//   difference". Its p-value is a running minimum, taken only once each arm has `minTrials`, where
//   the normal approximation holds.
// - At the planned size: the fixed-horizon pooled two-proportion z test (z² is Pearson's χ² on
//   the 2×2 table) at the level the size was planned for, with Newcombe's interval.
// The two levels add up to the experiment's α (experiment-plan.ts).
import { deltaText, type DeltaFormat } from '../lib/delta-format';
import type { ExperimentStage } from '../plan/experiment-schema';
import type { ExperimentSamplePlan } from './experiment-plan';
import { newcombeInterval, twoProportionZTest } from './statistics/proportions';
import { alwaysValidGridPValue, gridConfidenceRadius, proportionDifference } from './statistics/sequential';
import type { MetricEvidence, Verdict } from './verdict';

export interface ArmTally {
  successes: number;
  trials: number;
}

export interface ExperimentTally {
  baseline: ArmTally;
  candidate: ArmTally;
}

export const EMPTY_TALLY: ExperimentTally = Object.freeze({
  baseline: Object.freeze({ successes: 0, trials: 0 }),
  candidate: Object.freeze({ successes: 0, trials: 0 }),
});

/**
 * continue: keep collecting; worse / better: significant (early or at the planned size);
 * no_difference: the planned size reached without a significant difference; out_of_time: the
 * longest duration passed short of the planned size, nothing significant.
 */
export type ExperimentDecision = 'continue' | 'worse' | 'better' | 'no_difference' | 'out_of_time';

export interface ExperimentLookInput {
  stage: string;
  metric: string;
  direction: ExperimentStage['direction'];
  minTrials: number;
  plan: ExperimentSamplePlan;
  tally: ExperimentTally;
  /** The previous look's always-valid p-value (1 at the first look). */
  alwaysValidP: number;
  /** The experiment's longest duration has passed. */
  outOfTime: boolean;
  at: string;
}

export interface ExperimentLook {
  decision: ExperimentDecision;
  /** Whether the decision came from the fixed-horizon test at the planned size. */
  atPlannedSize: boolean;
  alwaysValidP: number;
  verdict: Verdict;
}

const POINTS: DeltaFormat = { unit: 'points', digits: 1, sign: 'typographic' };
const RATE = (x: number) => `${(100 * x).toFixed(1)} %`;
const P = (p: number) => (p < 0.0001 ? '< 0.0001' : p.toFixed(4));
const COUNT = (n: number) => n.toLocaleString('en-US');
/** A test level as people write it (0.01, not 0.010000000000000002). */
const LEVEL = (alpha: number) => String(Number(alpha.toPrecision(3)));

export function lookAtExperiment(input: ExperimentLookInput): ExperimentLook {
  const { tally, plan, direction } = input;
  const { baseline: b, candidate: c } = tally;
  const sized = `${COUNT(c.trials)}/${COUNT(plan.candidate)} candidate and ${COUNT(b.trials)}/${COUNT(plan.baseline)} baseline trials`;
  if (c.trials === 0 || b.trials === 0) {
    const decision: ExperimentDecision = input.outOfTime ? 'out_of_time' : 'continue';
    const reason = `${input.metric}: no trials yet on ${c.trials === 0 ? 'the candidate' : 'the baseline'} (${sized})`;
    return {
      decision,
      atPlannedSize: false,
      alwaysValidP: input.alwaysValidP,
      verdict: verdictOf(input, 'inconclusive', reason, evidence(input, 'no_data', reason, null, undefined, undefined)),
    };
  }
  const better = (estimate: number) => (direction === 'higher_is_better' ? estimate > 0 : estimate < 0);
  const rates = `candidate ${RATE(c.successes / c.trials)} vs baseline ${RATE(b.successes / b.trials)}`;
  const effect = proportionDifference(c.successes, c.trials, b.successes, b.trials);
  const burnedIn = c.trials >= input.minTrials && b.trials >= input.minTrials;
  const tau = plan.minimumDetectableEffect;
  const alwaysValidP = burnedIn
    ? alwaysValidGridPValue(
        { estimate: effect.estimate, variance: effect.variance, tau, alternative: 'two-sided' },
        input.alwaysValidP,
      )
    : input.alwaysValidP;

  if (c.trials >= plan.candidate && b.trials >= plan.baseline) {
    const z = twoProportionZTest(c.successes, c.trials, b.successes, b.trials, 'two-sided');
    const level = plan.levels.final;
    const interval = newcombeInterval(c.successes, c.trials, b.successes, b.trials, 1 - level);
    const significant = z.pValue <= level;
    const decision: ExperimentDecision = !significant ? 'no_difference' : better(z.estimate) ? 'better' : 'worse';
    const test = `two-proportion z = ${z.z.toFixed(2)} (χ² = ${(z.z * z.z).toFixed(2)}), p ${P(z.pValue)} ${significant ? '≤' : '>'} ${LEVEL(level)}`;
    const said =
      decision === 'no_difference'
        ? `no significant difference at the planned size`
        : `the candidate is ${decision} at the planned size`;
    const reason = `${input.metric}: ${said}: ${deltaText(z.estimate, POINTS)} [${deltaText(interval.lower, POINTS)} … ${deltaText(interval.upper, POINTS)}], ${rates}; ${test}; ${sized}`;
    return lookOf(input, decision, true, alwaysValidP, reason, z.estimate, [interval.lower, interval.upper], {
      test: 'two-proportion z test (fixed horizon)',
      pValue: z.pValue,
    });
  }

  const radius = gridConfidenceRadius(effect.variance, tau, plan.levels.early);
  const interval: [number, number] = [effect.estimate - radius, effect.estimate + radius];
  const significant = burnedIn && alwaysValidP <= plan.levels.early;
  const decision: ExperimentDecision = significant
    ? better(effect.estimate)
      ? 'better'
      : 'worse'
    : input.outOfTime
      ? 'out_of_time'
      : 'continue';
  const look = burnedIn
    ? `always-valid p ${P(alwaysValidP)} ${significant ? '≤' : '>'} ${LEVEL(plan.levels.early)}`
    : `early looks start at ${input.minTrials} trials per arm`;
  const said =
    decision === 'better' || decision === 'worse'
      ? `the candidate is ${decision}, stopped early`
      : decision === 'out_of_time'
        ? `the longest duration passed short of the planned size, no significant difference`
        : 'collecting';
  const shownInterval = Number.isFinite(radius)
    ? ` [${deltaText(interval[0], POINTS)} … ${deltaText(interval[1], POINTS)}]`
    : '';
  const reason = `${input.metric}: ${said}: ${deltaText(effect.estimate, POINTS)}${shownInterval}, ${rates}; ${look}; ${sized}`;
  return lookOf(
    input,
    decision,
    false,
    alwaysValidP,
    reason,
    effect.estimate,
    Number.isFinite(radius) ? interval : undefined,
    burnedIn ? { test: 'always-valid mixture test (early look)', pValue: alwaysValidP } : undefined,
  );
}

/** A look's result: its verdict with the one metric's evidence, classified by the decision. */
function lookOf(
  input: ExperimentLookInput,
  decision: ExperimentDecision,
  atPlannedSize: boolean,
  alwaysValidP: number,
  reason: string,
  delta: number,
  interval: [number, number] | undefined,
  test: { test: string; pValue: number } | undefined,
): ExperimentLook {
  const classification = decision === 'worse' ? worseClass(input.direction) : 'pass';
  return {
    decision,
    atPlannedSize,
    alwaysValidP,
    verdict: verdictOf(
      input,
      outcomeOf(decision),
      reason,
      evidence(input, classification, reason, delta, interval, test),
    ),
  };
}

function outcomeOf(decision: ExperimentDecision): Verdict['outcome'] {
  if (decision === 'worse') return 'fail';
  if (decision === 'better') return 'pass';
  return 'inconclusive';
}

function worseClass(direction: ExperimentStage['direction']): MetricEvidence['classification'] {
  return direction === 'higher_is_better' ? 'low' : 'high';
}

function evidence(
  input: ExperimentLookInput,
  classification: MetricEvidence['classification'],
  message: string,
  delta: number | null,
  interval: [number, number] | undefined,
  test: { test: string; pValue: number } | undefined,
): MetricEvidence {
  const { baseline: b, candidate: c } = input.tally;
  return {
    metric: input.metric,
    direction: input.direction === 'higher_is_better' ? 'lower_is_worse' : 'higher_is_worse',
    critical: true,
    baseline: b.trials > 0 ? b.successes / b.trials : null,
    candidate: c.trials > 0 ? c.successes / c.trials : null,
    delta,
    deltaKind: 'absolute',
    tolerance: input.plan.minimumDetectableEffect,
    ...(interval && { interval }),
    ...test,
    samples: { baseline: b.trials, candidate: c.trials },
    classification,
    message,
  };
}

function verdictOf(
  input: ExperimentLookInput,
  outcome: Verdict['outcome'],
  reason: string,
  metric: MetricEvidence,
): Verdict {
  return { stage: input.stage, outcome, reason, metrics: [metric], at: input.at };
}

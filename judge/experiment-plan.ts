// Before an A/B experiment: how many trials each arm needs for the fixed-horizon two-proportion
// z test to detect the plan's minimum detectable effect with the plan's power, at the level left
// for it once the early looks took theirs. Shown by `rollout plan check`; the workflow waits for
// it. Pure.
import type { ExperimentStage } from '../plan/experiment-schema';
import { sampleSizeTwoProportions } from './statistics/power';

/**
 * The share of the experiment's α spent on the always-valid early looks (which may stop it for a
 * clear harm or a clear win); the rest is the final z test's. By the union bound the two together
 * keep the false-positive rate at α, however often the workflow looks.
 */
export const EARLY_LOOK_ALPHA_SHARE = 0.2;

export interface ExperimentLevels {
  /** The experiment's whole false-positive rate (two-sided). */
  alpha: number;
  /** The always-valid early looks'. */
  early: number;
  /** The fixed-horizon z test's at the planned size. */
  final: number;
}

export function experimentLevels(stage: Pick<ExperimentStage, 'alpha'>, guardrailAlpha: number): ExperimentLevels {
  const alpha = stage.alpha ?? guardrailAlpha;
  return { alpha, early: alpha * EARLY_LOOK_ALPHA_SHARE, final: alpha * (1 - EARLY_LOOK_ALPHA_SHARE) };
}

export interface ExperimentSamplePlan {
  baselineRate: number;
  /** The rate the test is powered to tell apart from the baseline's. */
  targetRate: number;
  minimumDetectableEffect: number;
  power: number;
  levels: ExperimentLevels;
  /** Trials per arm, rounded up. */
  candidate: number;
  baseline: number;
  /** At expectedTrialsPerMinute, when the plan gives it. */
  expectedMinutes: number | null;
}

/** The planned size; null when the stage lacks what it is planned from (a disabled stage). */
export function experimentSamplePlan(stage: ExperimentStage, guardrailAlpha: number): ExperimentSamplePlan | null {
  const { baselineRate, minimumDetectableEffect } = stage;
  if (baselineRate === undefined || minimumDetectableEffect === undefined) return null;
  const levels = experimentLevels(stage, guardrailAlpha);
  const targetRate = baselineRate + (stage.direction === 'higher_is_better' ? 1 : -1) * minimumDetectableEffect;
  const ratio = (100 - stage.share) / stage.share;
  const candidate = Math.ceil(
    sampleSizeTwoProportions({
      baselineRate,
      candidateRate: targetRate,
      alpha: levels.final,
      power: stage.power,
      sides: 2,
      ratio,
    }),
  );
  const baseline = Math.ceil(candidate * ratio);
  const perMinute = stage.expectedTrialsPerMinute;
  return {
    baselineRate,
    targetRate,
    minimumDetectableEffect,
    power: stage.power,
    levels,
    candidate,
    baseline,
    expectedMinutes: perMinute ? (candidate + baseline) / perMinute : null,
  };
}

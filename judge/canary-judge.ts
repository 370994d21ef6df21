// The statistical canary judge: one pure function from a window's cumulative canary-vs-baseline
// data (at one look) to a Verdict with its evidence. Called every check interval; looking that
// often does not inflate false alarms, because every decision rests on always-valid tests.
//
// One look, in four steps, each in its own module:
//   1. data preparation per metric kind, θ̂ and its variance on the test's scale
//      (prepare-metric.ts; latency, judged on its tail, in prepare-latency.ts, and across its
//      quantiles in prepare-distribution.ts);
//   2. one always-valid sequential test per metric, at α/M for each of the M blocking metrics,
//      whose interval and p-value both come from it (sequential-looks.ts);
//   3. each metric's evidence record, classification and text (metric-evidence.ts);
//   4. the Kayenta-style score and the outcome (canary-score.ts).
// Fixed-horizon tests (Newcombe, z test, Welch, Mann–Whitney + Hodges–Lehmann) are computed at
// confidence 1 − α for the evidence only; they are not valid under repeated looks and never
// decide.
//
// Pure and deterministic: no I/O, no clock, no randomness, no Node built-ins — safe to call in
// Temporal workflow code. `at` comes from the caller.
import { DEFAULT_TAU_MULTIPLIER, type JudgeInput, type JudgeResult, type RequestSplit } from './canary-input';
import { decide, scoreOf } from './canary-score';
import type { JudgeMetricEvidence, JudgeState, JudgeVerdict, SampleRatioEvidence } from './judge-evidence';
import { sampleRatioPValue } from './statistics/sample-ratio';
import { buildEvidence } from './metric-evidence';
import { focusOn } from './prepare-distribution';
import { prepareMetric } from './prepare-metric';
import type { Prepared } from './prepared-metric';
import { sequentialLook } from './sequential-looks';

export type {
  Counts,
  JudgeConfig,
  JudgeInput,
  JudgeResult,
  LatencyReference,
  MetricConfig,
  MetricData,
} from './canary-input';
export { DEFAULT_TAU_MULTIPLIER } from './canary-input';
export type { JudgeMetricEvidence, JudgeState, JudgeVerdict } from './judge-evidence';
export { latencyReferenceFromShadow } from './prepare-latency';
export type { SummaryStats } from './statistics/summary';

export function initialJudgeState(): JudgeState {
  return { sequences: {}, looks: 0 };
}

/** Judge one look of a canary window. Pure: same input, same output. */
export function judgeCanary(input: JudgeInput): JudgeResult {
  const { config } = input;
  const alpha = config.alpha;
  if (!(alpha > 0 && alpha < 1)) throw new RangeError(`alpha must be in (0, 1), got ${alpha}`);
  const burnIn = config.burnIn ?? Math.min(50, config.minSamples);
  const tauMultiplier = config.tauMultiplier ?? DEFAULT_TAU_MULTIPLIER;
  const names = new Set<string>();
  for (const m of config.metrics) {
    if (names.has(m.name)) throw new RangeError(`duplicate metric ${m.name}`);
    names.add(m.name);
  }

  const prepared: Prepared[] = config.metrics.map((cfg) =>
    prepareMetric(cfg, config, input.data[cfg.name], alpha, tauMultiplier),
  );
  const familySize = config.metrics.filter((m) => m.blocking ?? true).length;
  const look = sequentialLook(prepared, input.state?.sequences, names, burnIn, alpha, familySize);
  const metrics: JudgeMetricEvidence[] = prepared.map((m, i) => {
    const focus = look.focus[i];
    // A distribution metric is shown as the quantile that decides it.
    const shown = focus !== null && focus !== undefined ? focusOn(m, focus, look.partTests[i]!) : m;
    return buildEvidence(shown, look.tests[i] ?? null, look.adjustedP[i]!, look.familySize[i]!, alpha);
  });

  const scoreBreakdown = scoreOf(metrics, config);
  const decided = decide(metrics, scoreBreakdown, config);
  const srm = input.split ? sampleRatioCheck(input.split, input.state?.srmP, alpha) : undefined;
  // A split unlike the plan's compares unlike arms: no verdict stands, a person looks.
  const { outcome, reason } = srm?.mismatch ? { outcome: 'inconclusive' as const, reason: srmReason(srm) } : decided;
  const verdict: JudgeVerdict = {
    stage: input.stage,
    outcome,
    reason,
    metrics,
    at: input.at,
    scoreBreakdown,
  };
  if (scoreBreakdown.score !== null) verdict.score = scoreBreakdown.score;
  if (srm) verdict.sampleRatio = srm;
  const unjudged = Object.entries(config.unjudged ?? {});
  if (unjudged.length > 0) verdict.notes = unjudged.map(([name, why]) => `${name} not judged: ${why}`);
  const state: JudgeState = { sequences: look.sequences, looks: (input.state?.looks ?? 0) + 1 };
  if (srm) state.srmP = srm.pValue;
  return { verdict, state };
}

function sampleRatioCheck(split: RequestSplit, previous: number | undefined, alpha: number): SampleRatioEvidence {
  const requests = split.baseline + split.candidate;
  const pValue = sampleRatioPValue(split.candidate, requests, split.expectedCandidateShare, previous ?? 1);
  return {
    expectedCandidateShare: split.expectedCandidateShare,
    observedCandidateShare: requests > 0 ? split.candidate / requests : 0,
    requests,
    pValue,
    level: alpha,
    mismatch: pValue <= alpha,
  };
}

function srmReason(srm: SampleRatioEvidence): string {
  const share = (x: number) => `${+(100 * x).toFixed(1)} %`;
  return `SRM: planned ${share(srm.expectedCandidateShare)} candidate, observed ${share(srm.observedCandidateShare)} over ${srm.requests.toLocaleString('en-US')} requests; p = ${srm.pValue.toPrecision(2)} (always-valid, at α = ${srm.level}): the arms are not comparable, so no verdict; a person should check the routing`;
}

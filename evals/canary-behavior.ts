// The canary's behavioral check, at every check interval: the window's live answers (the
// gateway's answer samples) judged for changed phrasing and, when the plan configures one, by the
// LLM judge, with false alarms held at α over the whole window however often it looks.
//
// The check's α (guardrails.alpha) is split evenly (Bonferroni) between its metrics: phrasing and
// each judge criterion.
//
// Phrasing (phrasing-shift.ts) is a fixed-sample test of the window's answers so far, repeated at
// every look. Its share of α is spent over the looks: look k of a window planned for L looks tests
// at (1 − r)·α/L, and every look past the plan (a window extended, a paused rollout still judged)
// at r·α/(j(j+1)) for the j-th extra look, r = 10 %. The levels sum to at most α over any number of
// looks, so by the union bound the chance of any false finding in the window stays at most α,
// whatever the dependence between looks.
//
// Judge scores: in a canary the two arms answer different requests, so each judge call scores one
// candidate answer and one baseline answer, each against its own request, and the test compares
// the two arms' mean scores unpaired: the canary judge's always-valid test (the two-sided grid
// mixture mSPRT against the tolerance, statistics/sequential.ts) on the Welch mean difference of
// the running sums, with the confidence sequence that inverts it at the same level, so the
// interval and the p-value cannot disagree.
//
// Refusals, JSON shape and length are the canary judge's (judge/): they are shown beside these
// findings, never judged twice.
import { DEFAULT_TAU_MULTIPLIER } from '../judge/canary-input';
import { gridConfidenceRadius, logGridMixtureLikelihoodRatio, meanDifference } from '../judge/statistics/sequential';
import { mergeSummaries, summarize, type SummaryStats } from '../judge/statistics/summary';
import type { MetricEvidence, Verdict, VerdictOutcome } from '../judge/verdict';
import { bonferroniAlpha } from '../lib/multiplicity';
import type { RolloutPlan } from '../plan/schema';
import type { LlmJudgeVerdict } from './llm-judge';
import { formatDelta, type BehavioralMetricEvidence, type MetricSpec } from './metric-judgement';
import { judgePhrasing, PHRASING_METRIC } from './phrasing-metric';

export type CanaryBehaviorConfig = NonNullable<RolloutPlan['stages']['canary']['behavioral']>;
type Guardrails = RolloutPlan['guardrails'];

/** Share of a window's α kept for looks beyond its plan. */
export const EXTRA_LOOKS_RESERVE = 0.1;
/** Scores each side needs before a judge criterion may be decided (the plug-in variance needs a few). */
export const JUDGE_BURN_IN = 5;

/** The level of look `look` (1-based) of a window planned for `plannedLooks` looks, spending `alpha`. */
export function lookAlpha(alpha: number, look: number, plannedLooks: number): number {
  const planned = Math.max(1, Math.ceil(plannedLooks));
  if (look <= planned) return ((1 - EXTRA_LOOKS_RESERVE) * alpha) / planned;
  const extra = look - planned;
  return (EXTRA_LOOKS_RESERVE * alpha) / (extra * (extra + 1));
}

export interface CriterionSequence {
  baseline: SummaryStats;
  candidate: SummaryStats;
  /** Always-valid p-value of "no drop beyond the tolerance": running minimum over the looks past burn-in. */
  p: number;
  /** Running intersection of the confidence sequence (absent: unbounded). */
  lower?: number;
  upper?: number;
}

export interface CanaryBehaviorState {
  looks: number;
  judgeCalls: number;
  /** Judge calls that gave no score, by kind. */
  noScore: Record<string, number>;
  criteria: Record<string, CriterionSequence>;
  /** The first look that found an added phrase, and what: kept, so later looks keep showing it. */
  phrasingFound?: { look: number; summary: string };
}

export function initialCanaryBehaviorState(): CanaryBehaviorState {
  return { looks: 0, judgeCalls: 0, noScore: {}, criteria: {} };
}

export interface CanaryBehaviorLook {
  stage: string;
  at: string;
  config: CanaryBehaviorConfig;
  guardrails: Guardrails;
  plannedLooks: number;
  /** The window's answers so far, per side. */
  answers: { baseline: string[]; candidate: string[] };
  /** This look's judge calls. */
  judged: LlmJudgeVerdict[];
  /** The canary judge's evidence on refusals, JSON and length at this check, shown alongside. */
  alongside: MetricEvidence[];
  state: CanaryBehaviorState;
  notes?: string[];
}

export interface CanaryBehaviorVerdict extends Verdict {
  metrics: BehavioralMetricEvidence[];
  /** A regression that is not blocking: a person decides before the next stage. */
  review: boolean;
}

const EMPTY: SummaryStats = { n: 0, mean: 0, variance: 0 };

/** The judge criteria's names and the check's family size (phrasing and each criterion). */
function family(config: CanaryBehaviorConfig): { criteria: string[]; size: number } {
  const criteria = config.judge ? config.judge.criteria.map((c) => c.name) : [];
  return { criteria, size: (config.phrasing.enabled ? 1 : 0) + criteria.length };
}

export function judgeCanaryBehavior(look: CanaryBehaviorLook): {
  verdict: CanaryBehaviorVerdict;
  state: CanaryBehaviorState;
} {
  const { config, guardrails } = look;
  const { criteria, size } = family(config);
  const metricAlpha = bonferroniAlpha(guardrails.alpha, size);
  const lookNumber = look.state.looks + 1;
  const state: CanaryBehaviorState = {
    ...look.state,
    looks: lookNumber,
    noScore: { ...look.state.noScore },
    criteria: { ...look.state.criteria },
  };
  const metrics: BehavioralMetricEvidence[] = [];

  if (config.phrasing.enabled) {
    const level = lookAlpha(metricAlpha, lookNumber, look.plannedLooks);
    const spec: MetricSpec = {
      metric: PHRASING_METRIC,
      label: 'live answers with a phrase the baseline does not write (word runs, openings, closings)',
      direction: 'higher_is_worse',
      statistic: 'difference',
      unit: 'rate',
      tolerance: config.phrasing.tolerance,
      blocking: config.phrasing.blocking,
    };
    const evidence = judgePhrasing(
      spec,
      {
        baseline: look.answers.baseline,
        candidate: look.answers.candidate,
        expected: look.answers.baseline.length + look.answers.candidate.length,
        noScore: 0,
      },
      { confidence: 1 - level, minPairs: config.minAnswers, maxNoScoreShare: 1 },
    );
    const spending = `look ${lookNumber} of ${Math.ceil(look.plannedLooks)} planned at α ${level.toPrecision(2)} (α ${metricAlpha.toPrecision(2)} spent over the window's looks, union bound)`;
    evidence.test = `${evidence.test}; ${spending}`;
    evidence.message = `${evidence.message} [${spending}]`;
    if (evidence.change === 'regression' && !state.phrasingFound && evidence.summary)
      state.phrasingFound = { look: lookNumber, summary: evidence.summary };
    // A finding stands for the window: a later look at a smaller level does not take it back.
    if (evidence.change !== 'regression' && state.phrasingFound) {
      evidence.change = 'regression';
      evidence.classification = 'high';
      evidence.summary = `${state.phrasingFound.summary} (found at look ${state.phrasingFound.look})`;
    }
    metrics.push({
      ...evidence,
      decidedBy: 'phrasing: Fisher exact per phrase (Tarone–Bonferroni), α spent over the looks',
    });
  }

  for (const verdict of look.judged) {
    state.judgeCalls += 1;
    if (verdict.status !== 'scored') {
      state.noScore[verdict.kind] = (state.noScore[verdict.kind] ?? 0) + 1;
      continue;
    }
    for (const name of criteria) {
      const sequence = state.criteria[name] ?? { baseline: EMPTY, candidate: EMPTY, p: 1 };
      const b = verdict.baseline[name];
      const c = verdict.candidate[name];
      if (b === undefined || c === undefined) continue;
      state.criteria[name] = {
        ...sequence,
        baseline: mergeSummaries(sequence.baseline, summarize([b])),
        candidate: mergeSummaries(sequence.candidate, summarize([c])),
      };
    }
  }
  for (const name of criteria) {
    const { evidence, sequence } = judgeCriterion(name, state.criteria[name], metricAlpha, guardrails.judgeScore);
    if (sequence) state.criteria[name] = sequence;
    metrics.push(evidence);
  }

  const outcome = decide(metrics);
  const reason = reasonOf(metrics, look, outcome, state);
  return {
    verdict: {
      stage: look.stage,
      outcome: outcome.outcome,
      reason,
      metrics,
      at: look.at,
      review: outcome.review,
      ...(look.notes && look.notes.length > 0 ? { notes: look.notes } : {}),
    },
    state,
  };
}

function judgeCriterion(
  name: string,
  sequence: CriterionSequence | undefined,
  level: number,
  rail: Guardrails['judgeScore'],
): { evidence: BehavioralMetricEvidence; sequence: CriterionSequence | undefined } {
  const tolerance = rail.tolerance;
  const tau = DEFAULT_TAU_MULTIPLIER * Math.max(tolerance, 1e-6);
  const base: BehavioralMetricEvidence = {
    metric: `judge.${name}`,
    label: `LLM judge on live answers: ${name} (1–5), candidate mean − baseline mean`,
    direction: 'lower_is_worse',
    critical: rail.critical,
    blocking: rail.critical,
    baseline: null,
    candidate: null,
    delta: null,
    deltaKind: 'absolute',
    tolerance,
    test: `always-valid mean difference (grid mixture mSPRT against −${tolerance}, Welch variance, unpaired) at ${level.toPrecision(2)}`,
    samples: { baseline: sequence?.baseline.n ?? 0, candidate: sequence?.candidate.n ?? 0 },
    classification: 'no_data',
    change: 'no_data',
    status: 'insufficient',
    unit: 'score',
    expected: 0,
    noScore: 0,
    confidence: 1 - level,
    message: '',
  };
  if (!sequence || Math.min(sequence.baseline.n, sequence.candidate.n) < JUDGE_BURN_IN) {
    base.message = `judge.${name}: ${base.samples.candidate} candidate and ${base.samples.baseline} baseline answers scored (needs ${JUDGE_BURN_IN} each)`;
    return { evidence: base, sequence };
  }
  const { estimate, variance } = meanDifference(sequence.candidate, sequence.baseline);
  const radius = gridConfidenceRadius(variance, tau, level);
  const logLr =
    estimate < -tolerance
      ? logGridMixtureLikelihoodRatio({ estimate, variance, tau, alternative: 'two-sided', nullValue: -tolerance })
      : 0;
  const p = Math.min(sequence.p, Math.min(1, Math.exp(-logLr)));
  const lower = Math.max(sequence.lower ?? Number.NEGATIVE_INFINITY, estimate - radius);
  const upper = Math.min(sequence.upper ?? Number.POSITIVE_INFINITY, estimate + radius);
  const next: CriterionSequence = { ...sequence, p };
  if (Number.isFinite(lower)) next.lower = lower;
  if (Number.isFinite(upper)) next.upper = upper;
  // The interval decides: it lies below −tolerance exactly when p ≤ level (the same mixture inverted).
  const regression = upper < -tolerance;
  const improvement = lower > tolerance;
  const change = regression ? 'regression' : improvement ? 'improvement' : 'none';
  const evidence: BehavioralMetricEvidence = {
    ...base,
    baseline: sequence.baseline.mean,
    candidate: sequence.candidate.mean,
    delta: estimate,
    ...(Number.isFinite(lower) && Number.isFinite(upper) ? { interval: [lower, upper] as [number, number] } : {}),
    pValue: regression ? Math.min(p, level) : p,
    classification: regression ? 'low' : improvement ? 'high' : 'pass',
    change,
    status: 'ok',
    decidedBy: 'judge scores: always-valid mean difference (mSPRT grid mixture)',
  };
  const fmt = (x: number) => `${x >= 0 ? '+' : '−'}${Math.abs(x).toFixed(2)}`;
  evidence.message = `judge.${name}: candidate ${sequence.candidate.mean.toFixed(2)} vs baseline ${sequence.baseline.mean.toFixed(2)} (Δ ${fmt(estimate)}, always-valid ${fmt(lower)} … ${fmt(upper)}; tolerance −${tolerance}; p ${p.toPrecision(2)} at level ${level.toPrecision(2)}; ${sequence.candidate.n} + ${sequence.baseline.n} answers scored)${regression ? '; regression beyond tolerance' : ''}`;
  return { evidence, sequence: next };
}

function decide(metrics: BehavioralMetricEvidence[]): { outcome: VerdictOutcome; review: boolean } {
  const regressions = metrics.filter((m) => m.change === 'regression');
  if (regressions.some((m) => m.blocking)) return { outcome: 'fail', review: false };
  if (regressions.length > 0) return { outcome: 'inconclusive', review: true };
  const judged = metrics.some((m) => m.status === 'ok');
  return { outcome: judged ? 'pass' : 'inconclusive', review: false };
}

const alongsideText = (m: MetricEvidence) =>
  `${m.metric} ${m.classification}${m.delta === null ? '' : ` (Δ ${formatDelta(m.delta, { deltaKind: m.deltaKind, unit: 'rate' })})`}`;

const findingOf = (m: BehavioralMetricEvidence) => (m.summary ? `${m.metric}: ${m.summary}` : m.message);

function reasonOf(
  metrics: BehavioralMetricEvidence[],
  look: CanaryBehaviorLook,
  outcome: { outcome: VerdictOutcome; review: boolean },
  state: CanaryBehaviorState,
): string {
  const counts = `${look.answers.candidate.length} candidate and ${look.answers.baseline.length} baseline answers`;
  const regressions = metrics.filter((m) => m.change === 'regression');
  const head =
    outcome.outcome === 'fail'
      ? `live answers: blocking regression on ${counts}: ${regressions
          .filter((m) => m.blocking)
          .map(findingOf)
          .join('; ')}`
      : outcome.review
        ? `live answers differ from the baseline; needs review (${counts}): ${regressions.map(findingOf).join('; ')}`
        : outcome.outcome === 'pass'
          ? `live answers: no behavioral regression on ${counts} (${metrics.map((m) => m.metric).join(', ')})`
          : `live answers: not enough yet to judge (${counts}; phrasing needs ${look.config.minAnswers} answers to distinct requests each${look.config.judge ? `, the judge ${JUDGE_BURN_IN} scored each` : ''})`;
  const judge =
    look.config.judge && state.judgeCalls > 0
      ? `; ${state.judgeCalls} judge calls in the window${
          Object.keys(state.noScore).length > 0
            ? ` (${Object.entries(state.noScore)
                .map(([kind, n]) => `${n}× ${kind}`)
                .join(', ')} without a score)`
            : ''
        }`
      : '';
  const alongside =
    look.alongside.length > 0
      ? `; refusals, JSON and length (canary judge): ${look.alongside.map(alongsideText).join(', ')}`
      : '';
  return `${head}${judge}${alongside}`;
}

// The activities the rollout workflow calls, as one typed interface. The workflow imports only
// these types; the worker registers an implementation (createActivities). Every activity takes
// one input object and is idempotent, because Temporal may run it more than once.
import type { Verdict } from '../judge/verdict';
import type { CohortMatch } from '../lib/cohort-match';
import type { SegmentRule } from '../lib/segment-rule';
import type { CanaryBehaviorInput, CanaryBehaviorResult } from './canary-behavior';
import type { GatewayReadTarget } from './gateway-read-target';
import type { JudgeCanaryWindowInput, JudgeCanaryWindowResult } from './metrics/judge-canary-window';
import type { JudgeExperimentInput, JudgeExperimentResult } from './metrics/judge-experiment';
import type { JudgeTrafficWindowInput } from './metrics/judge-window-input';
import type { JudgeSeriesWindowInput, JudgeSeriesWindowResult } from './metrics/judge-series-window';
import type { RolloutPlan } from '../plan/schema';
import type { NormalizePlanInput } from './plan';
import type { WriteReportInput, WriteReportResult } from './rollout-report';

export type RouterConfig = RolloutPlan['router'];
export type BackendConfig = RolloutPlan['backends']['baseline'];

export interface TrafficState {
  weights: { baseline: number; candidate: number };
  shadow: { enabled: boolean; target: 'candidate' | 'baseline' | null; share: number };
  backends: string[];
  /**
   * Requests this rule matches are split by their own weights. Absent (or null) when the route has
   * none, as always on traffic layers without cohorts (only the gateway has them).
   */
  cohort?: { match: CohortMatch; weights: { baseline: number; candidate: number } } | null;
}

export interface RouteTarget {
  router: RouterConfig;
  route: string;
  /**
   * The plan's `stages.canary.segments.by`: the gateway router puts it on every definition of the
   * route it makes, so the gateway tags each record with its request's segment; other routers ignore
   * it (the plan allows segments on the gateway router only). Absent for plans without segments, so
   * their inputs are what they always were.
   */
  segmentation?: SegmentRule;
}

export interface PrepareRouteInput extends RouteTarget {
  baseline: BackendConfig;
  candidate: BackendConfig;
}

export interface SetCandidateWeightInput extends RouteTarget {
  /** Percent of live traffic for the candidate; the baseline gets the rest. */
  candidatePercent: number;
  /**
   * A cohort given its own candidate share (the rest to the baseline), set in the same change;
   * only the gateway router has cohorts. Absent: the route's cohort is left as it is (and cleared
   * when candidatePercent is 0).
   */
  cohort?: { match: CohortMatch; candidatePercent: number };
}

export interface MarkRolloutStageInput extends RouteTarget {
  rolloutId: string;
  /** The stage id, or the outcome once the rollout is over. */
  stage: string;
}

export interface SetShadowInput extends RouteTarget {
  enabled: boolean;
  /** Which backend receives the mirrored copies. */
  target: 'candidate' | 'baseline';
  share: number;
}

/** What the rollout wants the traffic layer to hold right now: the workflow's state is the truth. */
export interface DesiredTraffic {
  weights: TrafficState['weights'];
  shadow: TrafficState['shadow'];
  /** A cohort plan's cohort once exposed: put back with the weights if the layer lost or changed it. */
  cohort?: NonNullable<TrafficState['cohort']>;
}

/**
 * Re-asserts the desired traffic state at every check: a traffic layer that came back empty
 * (the route recreated from the plan's backends), restarted from an old config, or was edited by
 * hand is put back, and each correction is said in `corrections`.
 */
export interface ReconcileTrafficInput extends PrepareRouteInput {
  desired: DesiredTraffic;
}

export interface ReconcileTrafficResult {
  /** What the traffic layer held before any correction; null when the route was not defined. */
  found: TrafficState | null;
  /** What it holds now. */
  state: TrafficState;
  /** One sentence per correction made; empty when the layer already held the desired state. */
  corrections: string[];
}

/**
 * Compensation: the route back on the baseline at 100 % with mirroring off. Never fails for a
 * route that is gone (it is recreated from the plan, baseline at 100 %) or already restored.
 */
export type RestoreBaselineInput = PrepareRouteInput;

export interface RestoreBaselineResult {
  state: TrafficState;
  /** The layer already held the baseline at 100 % with mirroring off (say, a break-glass rollback put it there). */
  alreadyRestored: boolean;
  /** The route was missing and was recreated on the baseline. */
  recreated: boolean;
}

/**
 * Revert after promotion: the previous baseline's kept definition put back on the route with all
 * traffic on it and mirroring off, at once. Refused (RouteChangedSincePromotion) when the route's
 * weights or backends are no longer what promotion left; a route that is gone is recreated on the
 * baseline.
 */
export interface ReinstateBaselineInput extends PrepareRouteInput {
  promoted: { weights: TrafficState['weights']; backends: string[] };
}

export interface GoldenEvalInput {
  rolloutId: string;
  stage: string;
  config: RolloutPlan['stages']['goldenEval'];
  baseline: BackendConfig;
  candidate: BackendConfig;
  guardrails: RolloutPlan['guardrails'];
}

/**
 * The shadow soak's behavioral comparison, called at the end of the shadow window: the gateway's
 * shadow pairs for `route` recorded since `windowStartMs` (baseline and candidate answers to the
 * same request), compared metric by metric. The verdict is a Verdict with `report` (the Markdown
 * report's path): fail (2+ breached thresholds) → roll back, inconclusive (1 breach, or not enough
 * evidence) → human gate, pass → continue. Heartbeats; resumable.
 */
export interface ShadowCompareInput extends GatewayReadTarget {
  rolloutId: string;
  stage: string;
  /** Epoch ms: only pairs recorded from here on (the shadow window's start). */
  windowStartMs: number;
  /** plan.stages.shadow; its optional `compare` holds the comparison's settings. */
  config: RolloutPlan['stages']['shadow'];
  guardrails: RolloutPlan['guardrails'];
  pricing: { baseline: BackendConfig['pricing']; candidate: BackendConfig['pricing'] };
}

export type {
  WriteReportInput,
  WriteReportResult,
  CanaryBehaviorInput,
  CanaryBehaviorResult,
  JudgeCanaryWindowInput,
  JudgeCanaryWindowResult,
  JudgeSeriesWindowInput,
  JudgeSeriesWindowResult,
  JudgeTrafficWindowInput,
};

export interface RolloutEvent {
  rolloutId: string;
  name?: string;
  /** Who and what the rollout is about, so a sink needs no query to say it. */
  baselineModel?: string;
  candidateModel?: string;
  requestedBy?: string;
  type: string;
  message: string;
  stage?: string | null;
  by?: string;
  verdict?: Verdict;
  gate?: {
    id: string;
    before: string;
    reason: string;
    deadline: string;
    approvers: string[];
    /** A gate needing several approvers (plan approvals.required > 1): who has approved so far, and how many it needs. */
    approvedBy?: string[];
    required?: number;
  };
  /** The rollout report's link (a URL under ROLLOUT_REPORTS_URL or a file:// URL), once one is written. */
  report?: string;
  at: string;
}

export interface NotifyInput {
  notifications: RolloutPlan['notifications'];
  event: RolloutEvent;
}

export interface RolloutActivities {
  /** A local activity at the start: the plan validated and normalized, recorded in history. */
  normalizePlan(input: NormalizePlanInput): Promise<RolloutPlan>;
  prepareRoute(input: PrepareRouteInput): Promise<TrafficState>;
  setCandidateWeight(input: SetCandidateWeightInput): Promise<TrafficState>;
  setShadow(input: SetShadowInput): Promise<TrafficState>;
  stopShadow(input: RouteTarget): Promise<TrafficState>;
  restoreBaselineWeights(input: RouteTarget): Promise<TrafficState>;
  reconcileTraffic(input: ReconcileTrafficInput): Promise<ReconcileTrafficResult>;
  restoreBaseline(input: RestoreBaselineInput): Promise<RestoreBaselineResult>;
  retireBaseline(input: RouteTarget & { candidate: BackendConfig }): Promise<TrafficState>;
  reinstateBaseline(input: ReinstateBaselineInput): Promise<TrafficState>;
  /** Tells the traffic layer which stage the rollout is in (dashboards draw it); best effort. */
  markRolloutStage(input: MarkRolloutStageInput): Promise<TrafficState>;
  judgeTrafficWindow(input: JudgeTrafficWindowInput): Promise<Verdict>;
  judgeCanaryWindow(input: JudgeCanaryWindowInput): Promise<JudgeCanaryWindowResult>;
  /** The statistical judge on Prometheus series (any traffic layer), differenced per look. */
  judgeSeriesWindow(input: JudgeSeriesWindowInput): Promise<JudgeSeriesWindowResult>;
  /** An A/B experiment's look at its primary metric (stages.experiment). */
  judgeExperiment(input: JudgeExperimentInput): Promise<JudgeExperimentResult>;
  runGoldenEval(input: GoldenEvalInput): Promise<Verdict>;
  compareShadow(input: ShadowCompareInput): Promise<Verdict>;
  /** The canary's behavioral check on live answers, at every check (stages.canary.behavioral). */
  checkCanaryBehavior(input: CanaryBehaviorInput): Promise<CanaryBehaviorResult>;
  notify(input: NotifyInput): Promise<void>;
  /** The rollout report regenerated from Temporal and written under the reports dir (report/). */
  writeRolloutReport(input: WriteReportInput): Promise<WriteReportResult>;
}

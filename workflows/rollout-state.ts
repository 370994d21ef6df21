// The rollout's durable state: everything the status query shows and everything continue-as-new
// carries to the next run. Plain data only, so it serializes into the next run's input.
import type { SamplesCursor } from '../activities/canary-behavior';
import type { RecordsCursor } from '../activities/metrics/judge-canary-window';
import type { ExperimentCursor } from '../activities/metrics/judge-experiment';
import type { CanaryBehaviorState } from '../evals/canary-behavior';
import type { ExperimentTally } from '../judge/experiment-verdict';
import type { JudgeState, LatencyReference } from '../judge/canary-judge';
import type { SeriesSnapshot } from '../judge/series-window';
import type { Verdict } from '../judge/verdict';
import type { RolloutPlan } from '../plan/schema';
import type { StageKind } from './rollout-stages';

export type Outcome = 'promoted' | 'rolled_back' | 'aborted' | 'reverted';
/** 'promoted': promotion is done and the rollout waits out its revert window; 'reverting': the previous baseline is being put back. */
export type Phase =
  | 'starting'
  | 'observing'
  | 'evaluating'
  | 'awaiting_approval'
  | 'paused'
  | 'compensating'
  | 'promoted'
  | 'reverting'
  | 'finished';
export type StageStatus = 'pending' | 'running' | 'passed' | 'failed' | 'aborted' | 'skipped';

export interface StageRecord {
  id: string;
  kind: StageKind;
  status: StageStatus;
  candidateWeight: number;
  /** A cohort plan's candidate share inside the cohort (rollout-stages.ts); `candidateWeight` is everyone else's. */
  cohortWeight?: number;
  windowMs: number;
  startedAt?: string;
  endedAt?: string;
  /** Outcome of the verdict that closed the stage. */
  verdict?: Verdict['outcome'];
}

export interface TimelineEvent {
  at: string;
  type: string;
  message: string;
  by?: string;
  stage?: string;
}

export type GateReason = 'plan' | 'inconclusive' | 'needs_review' | 'experiment';

export interface Decision {
  decision: 'approved' | 'rejected';
  by: string;
  reason?: string;
  at: string;
  /** The plan's approver group through which `by` decided, when not an approver by name. */
  viaGroup?: string;
}

/** A decision as the rollout keeps it: which gate, and the evidence summary the approver saw. */
export type RecordedDecision = Decision & { gateId: string; before: string; evidence?: string };

export interface ApprovalGate {
  id: string;
  /** The stage that waits on the decision ('retire' for the final retirement). */
  before: string;
  reason: GateReason;
  openedAt: string;
  deadline: string;
  /** Evidence shown to the approvers (the verdict that led here, if any). */
  evidence?: Verdict;
  /** Set once the gate is decided: a rejection, or the approval that made up the plan's count. */
  decision?: Decision;
  /**
   * A gate needing more than one approver (plan approvals.required > 1): the distinct approvals so
   * far, in order, and how many it needs. Absent on single-approver gates.
   */
  approvals?: Decision[];
  required?: number;
}

/** After promotion: until when the rollout can be reverted, and what the traffic layer held once promoted. */
export interface RevertWindow {
  /** When promotion was done. */
  promotedAt: string;
  /** When the window closes. */
  until: string;
  /** The traffic layer's state promotion left (a revert refuses to act on a route changed since). */
  promotedTraffic: { weights: { baseline: number; candidate: number }; backends: string[] };
}

/** Who reverted a promoted rollout, and why. */
export interface RevertRecord {
  by: string;
  reason: string;
  at: string;
}

/** A compensation step, recorded before the forward step it undoes; all are idempotent. */
export type Undo = 'stop_shadow' | 'restore_baseline_weights';

export interface RolloutState {
  plan: RolloutPlan;
  requestedBy: string;
  stages: StageRecord[];
  stageIndex: number;
  phase: Phase;
  /** Observation time accumulated in the current window (survives continue-as-new). */
  windowElapsedMs: number;
  /** When the current window's evidence starts (an extension keeps accumulating from here). */
  windowStartedAtMs: number;
  /** The latest verdict in the current window; the one that decides at its end. */
  windowVerdict: Verdict | null;
  windowExtended: boolean;
  /** Whether the current stage's forward actions (weights, shadow) are already in place. */
  stageEntered: boolean;
  weights: { baseline: number; candidate: number };
  /** A cohort plan's weights inside the cohort, once its first step set them (`weights` is everyone else's). */
  cohortWeights?: { baseline: number; candidate: number };
  shadow: { enabled: boolean; target: 'candidate' | 'baseline' | null; share: number };
  saga: Undo[];
  verdicts: Verdict[];
  timeline: TimelineEvent[];
  gate: ApprovalGate | null;
  decisions: RecordedDecision[];
  rollbackRequest: { reason: string; by: string; at: string } | null;
  paused: { by: string; reason?: string; at: string } | null;
  metricFailures: number;
  /** While the stage's warm-up runs: when it ends (the window starts then). */
  warmUpUntil?: string;
  /** What the traffic layer itself held at the last check (read back, not assumed); absent before the first. */
  trafficLayer?: TrafficLayerReading;
  /** Compensation could not put traffic back (a permanent refusal by the traffic layer); absent when it did. */
  restoreFailure?: string;
  /** The statistical judge's memory: its running state within the window, and references. */
  judge?: {
    state: JudgeState | null;
    /** Gateway record seq the window's reads start after. */
    sinceSeq: number;
    /** Per gateway admin URL: the gateway process and seq the window's records begin at. */
    cursors?: Record<string, RecordsCursor>;
    /** The baseline's latency tail the current window judges p99 against. */
    latencyReference: LatencyReference | null;
    /** Measured by the shadow soak (series judge: at its first judged window); the reference from then on. */
    shadowLatencyReference?: LatencyReference;
    /** The same two for time to first token, when the traffic streams. */
    firstTokenReference?: LatencyReference;
    shadowFirstTokenReference?: LatencyReference;
    /** The series judge's previous look and running totals in the current window. */
    seriesSnapshot?: SeriesSnapshot;
    /** With live segments: each tracked segment's sequential state in the current window (at most maxSegments). */
    segmentStates?: Record<string, JudgeState>;
  };
  /** The canary's behavioral check in the current window (stages.canary.behavioral); absent when it does not run. */
  behavior?: {
    /** The window it belongs to (windowStartedAtMs): a new window starts it afresh. */
    windowStartedAtMs: number;
    state: CanaryBehaviorState | null;
    cursors: Record<string, SamplesCursor> | null;
    /** Its latest verdict, recorded with the stage's verdicts when the window ends. */
    verdict?: Verdict;
    /** The first non-blocking regression it found: a person decides before the next stage. */
    review?: Verdict;
    /** Why the latest check could not run, once said on the timeline (the same failure is not repeated every check). */
    failure?: string;
  };
  /** The A/B experiment's running tally of its primary metric (stages.experiment); absent before it starts. */
  experiment?: {
    tally: ExperimentTally;
    /** Per gateway admin URL: where the uncounted feedback begins; null at the first look (and for Prometheus metrics). */
    cursors: Record<string, ExperimentCursor> | null;
    /** The running minimum of the always-valid p-value. */
    alwaysValidP: number;
    /** The latest look's evidence. */
    verdict?: Verdict;
  };
  runs: number;
  outcome?: Outcome;
  reason?: string;
  /** Set at promotion when the plan keeps a revert window; absent before and on rollouts started without one. */
  revertWindow?: RevertWindow;
  /** The revert asked for (set by the revert Update, cleared again if the traffic layer refuses it). */
  revertRequest?: RevertRecord | null;
  /** Set once the previous baseline is back on the route. */
  reverted?: RevertRecord;
  /** The rollout report's link, once one is written (report/). */
  report?: string;
}

/** The traffic layer's own state, as read back at a check. */
export interface TrafficLayerReading {
  weights: { baseline: number; candidate: number };
  shadow: RolloutState['shadow'];
  at: string;
}

export interface RolloutResult {
  rolloutId: string;
  outcome: Outcome;
  reason: string;
  /** False only when compensation could not put traffic back on the baseline (see the timeline); absent on older results. */
  trafficRestored?: boolean;
  stages: StageRecord[];
  timeline: TimelineEvent[];
  verdicts: Verdict[];
  /** Every gate decision, with who, why and the evidence they saw; absent on older results. */
  decisions?: RecordedDecision[];
  /** A rollback someone asked for (who and why); absent when none was, and on older results. */
  rollbackRequest?: NonNullable<RolloutState['rollbackRequest']>;
  /** Until when a promoted rollout could be reverted; absent when it kept no revert window. */
  revertibleUntil?: string;
  /** Who reverted the promotion and why (outcome 'reverted'). */
  reverted?: RevertRecord;
  /** The rollout report's link; absent when none was written, and on older results. */
  report?: string;
}

/** What the `status` query returns. */
export interface RolloutStatus {
  rolloutId: string;
  name?: string;
  baselineModel: string;
  candidateModel: string;
  requestedBy: string;
  phase: Phase;
  stage: string | null;
  stages: StageRecord[];
  /** The weights and mirroring the rollout wants. */
  weights: RolloutState['weights'];
  /** The A/B experiment's latest look at its primary metric (null before the first); absent without an experiment. */
  experiment?: Verdict | null;
  /** A cohort plan's: who the cohort is, and the weights inside it once its first step set them. */
  cohort?: { describe: string; weights: RolloutState['weights'] | null };
  shadow: RolloutState['shadow'];
  /** What the traffic layer really held at the last check; null before the first check. */
  trafficLayer: TrafficLayerReading | null;
  gate: ApprovalGate | null;
  paused: RolloutState['paused'];
  rollbackRequest: RolloutState['rollbackRequest'];
  verdicts: Verdict[];
  decisions: RolloutState['decisions'];
  timeline: TimelineEvent[];
  windowElapsedMs: number;
  /** While the stage's warm-up runs (plan guardrails.warmUp): when it ends and judging starts. */
  warmUpUntil?: string;
  outcome?: Outcome;
  reason?: string;
  /** Phase 'promoted': until when `revert` is accepted. */
  revertibleUntil?: string;
  reverted?: RevertRecord;
  /** The rollout report's link, once one is written. */
  report?: string;
}

// Bounded so a long rollout's state (and each continue-as-new input) stays small.
export const MAX_VERDICTS = 30;
export const MAX_TIMELINE = 300;

export function pushBounded<T>(list: T[], item: T, max: number): void {
  list.push(item);
  if (list.length > max) list.splice(0, list.length - max);
}

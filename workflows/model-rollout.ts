// ModelRolloutWorkflow: ships a candidate model through shadow soak → golden eval → canary ramps →
// cutover with a bake window, pausing at approval gates, and compensating (traffic back to the
// baseline, shadow off, owners told) on any breach, rejection, timeout, rollback or cancellation.
// After promotion it stays open for the plan's revert window, in which a `revert` Update puts the
// previous baseline back on the route at once.
import {
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  ContinueAsNew,
  allHandlersFinished,
  condition,
  continueAsNew,
  deprecatePatch,
  isCancellation,
  log,
  patched,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  upsertSearchAttributes,
  uuid4,
  workflowInfo,
} from '@temporalio/workflow';
import type { RolloutActivities, RolloutEvent, RouteTarget, TrafficState } from '../activities/contract';
import type { Verdict } from '../judge/verdict';
import { configurationLines } from '../plan/backend-config-schema';
import { describeCohort, type CohortMatch } from '../lib/cohort-match';
import { describeSegmentRule } from '../lib/segment-rule';
import { HISTORY_EVENT_LIMIT, LEGACY_HISTORY_EVENT_LIMIT } from './history-limit';
import { formatDuration } from '../plan/duration';
import { resolveMetrics } from '../plan/metrics-schema';
import { gatewayAdminUrls, routeTargetOf, type RolloutPlan } from '../plan/schema';
import type { SeriesSelection } from '../plan/series-dialects';
import {
  BEHAVIOR,
  COMPENSATION,
  LOCAL_COMPENSATION,
  EVAL,
  MARK,
  METRICS,
  NOTIFY,
  PLAN,
  RECONCILE,
  REPORT,
  TRAFFIC,
} from './activity-options';
import { parsePlanOrFail } from './plan-input';
import { checkUpdateFields, MAX_BY_CHARS, MAX_ID_CHARS, MAX_REASON_CHARS, messageFields } from './message-input';
import {
  approveUpdate,
  pauseSignal,
  rejectUpdate,
  resumeSignal,
  revertUpdate,
  rollbackSignal,
  statusQuery,
  type DecisionReceipt,
  type DecisionRequest,
  type RevertReceipt,
  type RevertRequest,
} from './model-rollout-messages';
import { validateRevert } from './rollout-revert';
import { RolloutHalted } from './rollout-halt';
import { answerWhileStarting } from './rollout-starting';
import { cohortJudging, stagesOf, type StageSpec } from './rollout-stages';
import {
  MAX_TIMELINE,
  MAX_VERDICTS,
  pushBounded,
  type ApprovalGate,
  type Decision,
  type GateReason,
  type Phase,
  type RevertRecord,
  type RevertWindow,
  type RolloutResult,
  type RolloutState,
  type RolloutStatus,
  type Undo,
} from './rollout-state';
import { BASELINE_MODEL, CANDIDATE_MODEL, ROLLOUT_OUTCOME, ROLLOUT_STAGE } from './search-attributes';
import { FailureType } from './failure-types';

export * from './model-rollout-messages';

export interface ModelRolloutInput {
  /** The plan as written (YAML parsed to an object, or JSON); validated by the workflow itself. */
  plan: unknown;
  /** Who started the rollout; defaults to the plan's rollout.requestedBy. */
  requestedBy?: string;
  /** Continue-as-new after this many history events (Temporal's own suggestion also counts). */
  historyEventLimit?: number;
  /** Set only by continue-as-new: the state carried from the previous run. */
  resume?: RolloutState;
}

// One proxy per option set, typed to just the activities that run with it, so an activity called
// through the wrong proxy (with the wrong timeouts and retries) does not compile. stopShadow is in
// two: moving forward (TRAFFIC) and undoing (COMPENSATION, retried until it succeeds).
const traffic =
  proxyActivities<
    Pick<RolloutActivities, 'prepareRoute' | 'setCandidateWeight' | 'setShadow' | 'stopShadow' | 'retireBaseline'>
  >(TRAFFIC);
const compensation =
  proxyActivities<
    Pick<RolloutActivities, 'restoreBaselineWeights' | 'stopShadow' | 'restoreBaseline' | 'reinstateBaseline'>
  >(COMPENSATION);
const metrics =
  proxyActivities<
    Pick<RolloutActivities, 'judgeCanaryWindow' | 'judgeTrafficWindow' | 'judgeSeriesWindow' | 'judgeExperiment'>
  >(METRICS);
const evals = proxyActivities<Pick<RolloutActivities, 'runGoldenEval' | 'compareShadow'>>(EVAL);
const behavior = proxyActivities<Pick<RolloutActivities, 'checkCanaryBehavior'>>(BEHAVIOR);
const notifier = proxyActivities<Pick<RolloutActivities, 'notify'>>(NOTIFY);
const reporter = proxyActivities<Pick<RolloutActivities, 'writeRolloutReport'>>(REPORT);
const reconciler = proxyActivities<Pick<RolloutActivities, 'reconcileTraffic'>>(RECONCILE);
const marker = proxyActivities<Pick<RolloutActivities, 'markRolloutStage'>>(MARK);
const planCheck = proxyLocalActivities<Pick<RolloutActivities, 'normalizePlan'>>(PLAN);
const localCompensation = proxyLocalActivities<Pick<RolloutActivities, 'restoreBaseline'>>(LOCAL_COMPENSATION);
/** Compensation's traffic step became a local activity (LOCAL_COMPENSATION). */
const RESTORE_IN_WORKFLOW_TASK = 'restore-in-workflow-task';

/** The history limit came down to HISTORY_EVENT_LIMIT (workflows/history-limit.ts). */
const SHORTER_HISTORIES = 'history-under-5000-events';

/** Signals' junk fields dropped and long ones cut (Rollout.keptString). */
const SIGNAL_INPUT_CHECKS = 'signal-input-checks';
/** An observation window advances by its timers' durations, not by workflow-clock deltas. */
const WINDOW_COUNTS_SLICES = 'window-counts-slices';

/** Phases after the rollout itself is over, in which stage signals (rollback, pause) have nothing to act on. */
const PAST_ROLLOUT: readonly Phase[] = ['promoted', 'reverting', 'finished'];

export async function ModelRolloutWorkflow(input: ModelRolloutInput): Promise<RolloutResult> {
  const state = input.resume ?? initialState(input, await planOf(input));
  const rollout = new Rollout(state, input.historyEventLimit, input);
  rollout.registerHandlers();
  return rollout.run();
}

/**
 * The plan this run holds, parsed once by a local activity whose result is recorded in history:
 * a replay reads it back rather than parsing again with whatever plan/ code the worker has now.
 * (Continue-as-new carries it in `resume`.)
 */
async function planOf(input: ModelRolloutInput): Promise<RolloutPlan> {
  if (!patched('plan-normalized-once')) return parsePlanOrFail(input.plan);
  answerWhileStarting(input);
  try {
    return await planCheck.normalizePlan({ plan: input.plan });
  } catch (error) {
    // The run fails with InvalidPlan itself, as it did when the workflow parsed the plan.
    if (
      error instanceof ActivityFailure &&
      error.cause instanceof ApplicationFailure &&
      error.cause.type === FailureType.InvalidPlan
    )
      throw error.cause;
    throw error;
  }
}

function initialState(input: ModelRolloutInput, plan: RolloutPlan): RolloutState {
  return {
    plan,
    requestedBy: input.requestedBy ?? plan.rollout.requestedBy ?? 'unknown',
    stages: stagesOf(plan).map((spec) => ({
      id: spec.id,
      kind: spec.kind,
      status: 'pending',
      candidateWeight: spec.candidateWeight,
      ...(spec.cohortWeight !== undefined && { cohortWeight: spec.cohortWeight }),
      windowMs: spec.windowMs,
    })),
    stageIndex: 0,
    phase: 'starting',
    windowElapsedMs: 0,
    windowStartedAtMs: 0,
    windowVerdict: null,
    windowExtended: false,
    stageEntered: false,
    weights: { baseline: 100, candidate: 0 },
    shadow: { enabled: false, target: null, share: 0 },
    saga: [],
    verdicts: [],
    timeline: [],
    gate: null,
    decisions: [],
    rollbackRequest: null,
    paused: null,
    metricFailures: 0,
    judge: { state: null, sinceSeq: 0, latencyReference: null },
    runs: 0,
  };
}

class Rollout {
  private readonly plan: RolloutPlan;
  private readonly specs: StageSpec[];
  private readonly target: RouteTarget;

  constructor(
    private readonly state: RolloutState,
    /** A test's own limit; absent: the one for this rollout's version (historyEventLimit()). */
    private readonly explicitHistoryEventLimit: number | undefined,
    private readonly input: ModelRolloutInput,
  ) {
    this.plan = state.plan;
    this.specs = stagesOf(state.plan);
    // Only a plan with live segments (a field no older plan has) adds its rule: every other plan's
    // traffic inputs stay what they were.
    this.target = routeTargetOf(state.plan);
  }

  // ---- messages ---------------------------------------------------------------------------

  registerHandlers(): void {
    setHandler(statusQuery, () => this.status());
    setHandler(approveUpdate, (request) => this.decide('approved', request), {
      validator: (request) => this.validateDecision('approved', request),
    });
    setHandler(rejectUpdate, (request) => this.decide('rejected', request), {
      validator: (request) => this.validateDecision('rejected', request),
    });
    setHandler(revertUpdate, (request) => this.revert(request), {
      validator: (request) => validateRevert(this.state, request),
    });
    // Signals arrive unchecked (the `temporal` CLI sends any JSON) and a signal handler that throws
    // fails the workflow task over and over: the fields are read through messageFields, never
    // destructured from the argument (null or nothing would throw).
    setHandler(rollbackSignal, (request) => {
      const { reason, by } = messageFields(request);
      if (this.state.phase === 'finished' || this.state.rollbackRequest) return;
      const who = typeof by === 'string' && by ? this.keptString(by, MAX_BY_CHARS) : 'unknown';
      if (PAST_ROLLOUT.includes(this.state.phase)) {
        // Promoted: a rollback has nothing left to undo; putting the old model back is a revert.
        this.record('rollback_ignored', `rollback by ${who} ignored: the rollout is promoted; revert it instead`, who);
        return;
      }
      const why =
        typeof reason === 'string' && reason.trim()
          ? this.keptString(reason.trim(), MAX_REASON_CHARS)
          : 'no reason given';
      this.state.rollbackRequest = { reason: why, by: who, at: now() };
      this.record('rollback_requested', `rollback requested by ${who}: ${why}`, who);
    });
    setHandler(pauseSignal, (request) => {
      const fields = messageFields(request);
      if (PAST_ROLLOUT.includes(this.state.phase) || this.state.paused) return;
      const by = this.keptSignalBy(fields.by);
      const reason = this.keptOptionalText(fields.reason, MAX_REASON_CHARS);
      this.state.paused = { by, reason, at: now() };
      this.record('paused', `paused by ${by}${reason ? `: ${reason}` : ''}`, by);
    });
    setHandler(resumeSignal, (request) => {
      const fields = messageFields(request);
      if (!this.state.paused) return;
      const by = this.keptSignalBy(fields.by);
      this.state.paused = null;
      this.record('resumed', `resumed by ${by}`, by);
    });
  }

  // A signal's text fields as the run keeps them. A string within bounds is kept as sent, as
  // always. Anything else (a number, an object, a megabyte) was kept raw before
  // 'signal-input-checks' ("paused by 42", an object in the status) and a run recorded so replays
  // as it ran; from the patch on, a long string is cut and what is not a string is dropped.
  // (Null or no argument at all threw before, failing every workflow task: no such run completed,
  // so messageFields reads those without a patch.)

  private keptString(value: string, max: number): string {
    if (value.length <= max) return value;
    return patched(SIGNAL_INPUT_CHECKS) ? `${value.slice(0, max)}…` : value;
  }

  /** An optional text field (the pause's reason). */
  private keptOptionalText(value: unknown, max: number): string | undefined {
    if (value === undefined) return undefined;
    if (typeof value === 'string') return this.keptString(value, max);
    return patched(SIGNAL_INPUT_CHECKS) ? undefined : (value as string);
  }

  /** A pause or resume signal's `by`: who sent it, or 'unknown' when the signal does not say. */
  private keptSignalBy(by: unknown): string {
    if (typeof by === 'string') return this.keptString(by, MAX_BY_CHARS);
    return patched(SIGNAL_INPUT_CHECKS) ? 'unknown' : (by as string);
  }

  private validateDecision(decision: 'approved' | 'rejected', request: DecisionRequest): void {
    // Types first: the update handler trusts them, and a handler that throws fails the workflow task.
    checkUpdateFields(
      request,
      { by: MAX_BY_CHARS, reason: MAX_REASON_CHARS, gateId: MAX_ID_CHARS, viaGroup: MAX_ID_CHARS },
      '{"by": "alice", "gateId": "…"}',
    );
    const { gate } = this.state;
    const by = typeof request?.by === 'string' ? request.by.trim() : '';
    if (!by) throw ApplicationFailure.nonRetryable('`by` (who decides) is required', FailureType.InvalidDecision);
    if (PAST_ROLLOUT.includes(this.state.phase))
      throw ApplicationFailure.nonRetryable(
        `rollout ${this.plan.rollout.id} has finished (${this.state.outcome})`,
        FailureType.RolloutFinished,
      );
    if (!gate)
      throw ApplicationFailure.nonRetryable(
        `rollout ${this.plan.rollout.id} is not waiting for approval (stage ${this.currentStageId() ?? 'none'})`,
        FailureType.NoOpenGate,
      );
    if (gate.decision)
      throw ApplicationFailure.nonRetryable(
        `gate ${gate.id} was already ${gate.decision.decision} by ${gate.decision.by}`,
        FailureType.GateAlreadyDecided,
      );
    if (request.gateId && request.gateId !== gate.id)
      throw ApplicationFailure.nonRetryable(
        `gate ${request.gateId} is no longer open (the open gate is ${gate.id}, before ${gate.before})`,
        FailureType.StaleGate,
      );
    const approvers = this.plan.approvals.approvers;
    const entitled =
      approvers.includes(by) ||
      (typeof request.viaGroup === 'string' && approvers.includes(`group:${request.viaGroup}`));
    if (!entitled) {
      throw ApplicationFailure.nonRetryable(
        `${by} is not an approver of rollout ${this.plan.rollout.id} (approvers: ${this.plan.approvals.approvers.join(', ')})`,
        FailureType.UnauthorizedApprover,
      );
    }
    if (decision === 'approved' && gate.approvals?.some((approval) => approval.by === by))
      throw ApplicationFailure.nonRetryable(
        `${by} has already approved gate ${gate.id}; it needs ${this.stillNeeded(gate)} more from other approvers`,
        FailureType.AlreadyApproved,
      );
    if (decision === 'approved' && !this.plan.approvals.allowSelfApproval && by === this.state.requestedBy) {
      throw ApplicationFailure.nonRetryable(
        `${by} requested this rollout and may not approve it`,
        FailureType.SelfApprovalForbidden,
      );
    }
    if (decision === 'rejected' && !request.reason?.trim())
      throw ApplicationFailure.nonRetryable('a reason is required to reject', FailureType.ReasonRequired);
  }

  private decide(decision: 'approved' | 'rejected', request: DecisionRequest): DecisionReceipt {
    const gate = this.state.gate!;
    const by = request.by.trim();
    const viaGroup =
      typeof request.viaGroup === 'string' && !this.plan.approvals.approvers.includes(by)
        ? request.viaGroup
        : undefined;
    const made: Decision = {
      decision,
      by,
      reason: request.reason?.trim() || undefined,
      at: now(),
      ...(viaGroup && { viaGroup }),
    };
    const receipt: DecisionReceipt = { gateId: gate.id, before: gate.before, decision, by };
    if (gate.approvals && gate.required) {
      receipt.required = gate.required;
      if (decision === 'approved') {
        gate.approvals.push(made);
        receipt.approvedBy = gate.approvals.map((approval) => approval.by);
        if (gate.approvals.length < gate.required) {
          this.record('gate_approval', this.approvalProgress(gate, by), by, gate.before);
          return receipt;
        }
      } else receipt.approvedBy = gate.approvals.map((approval) => approval.by);
    }
    gate.decision = made;
    return receipt;
  }

  /** One approval on a gate that stays open, as the timeline and the owners see it. */
  private approvalProgress(gate: ApprovalGate, by: string): string {
    return `approved by ${by} before ${gate.before} (${gate.approvals?.length ?? 0} of ${gate.required}; ${this.stillNeeded(gate)} more needed)`;
  }

  /** How many more approvals an open multi-approver gate needs. */
  private stillNeeded(gate: ApprovalGate): number {
    return Math.max(0, (gate.required ?? 1) - (gate.approvals?.length ?? 0));
  }

  // ---- the rollout ------------------------------------------------------------------------

  async run(): Promise<RolloutResult> {
    let promotedTraffic: RevertWindow['promotedTraffic'];
    try {
      if (this.state.runs === 0 && this.state.stageIndex === 0 && !this.state.stageEntered) await this.begin();
      for (; this.state.stageIndex < this.specs.length; this.state.stageIndex++) {
        await this.runStage(this.specs[this.state.stageIndex]!);
      }
      promotedTraffic = await this.retire();
      // Rollouts started before the revert window ended here, at promotion.
      if (!patched('revert-window')) return await this.finish('promoted', this.promotionReason());
    } catch (error) {
      if (error instanceof ContinueAsNew) throw error;
      const halt = this.haltFrom(error);
      // Even a cancelled workflow must put traffic back and report: none of this may be cancelled.
      return CancellationScope.nonCancellable(async () => {
        await this.compensate(halt);
        return this.finish(halt.outcome, halt.reason);
      });
    }
    return this.holdForRevert(promotedTraffic);
  }

  private promotionReason(): string {
    return `${this.plan.backends.candidate.model} promoted to 100% of traffic`;
  }

  private async begin(): Promise<void> {
    upsertSearchAttributes([
      { key: CANDIDATE_MODEL, value: this.plan.backends.candidate.model },
      { key: BASELINE_MODEL, value: this.plan.backends.baseline.model },
    ]);
    this.record(
      'started',
      // Only plans with a configuration bundle (a field older runs' plans cannot hold) add to the line.
      [
        `rollout of ${this.plan.backends.candidate.model} (baseline ${this.plan.backends.baseline.model}) requested by ${this.state.requestedBy}`,
        ...configurationLines(this.plan.backends),
      ].join('; '),
      this.state.requestedBy,
    );
    // The rollout starts from a known state: both backends on the route, all traffic on the baseline.
    this.state.saga.push('restore_baseline_weights');
    await traffic.prepareRoute({
      ...this.target,
      baseline: this.plan.backends.baseline,
      candidate: this.plan.backends.candidate,
    });
    await traffic.setCandidateWeight({ ...this.target, candidatePercent: 0 });
  }

  private async runStage(spec: StageSpec): Promise<void> {
    const record = this.state.stages[this.state.stageIndex]!;
    if (!this.state.stageEntered) {
      if (spec.approvalBefore) await this.gate(spec.id, 'plan');
      await this.waitWhilePaused();
      await this.enterStage(spec);
    }
    const verdict =
      spec.kind === 'golden_eval'
        ? await this.runGoldenEval(spec)
        : spec.kind === 'experiment'
          ? await this.runExperiment(spec)
          : await this.observe(spec);
    if (spec.kind === 'shadow') await this.compareShadowAnswers(spec);
    await this.reviewBehavior();
    record.status = 'passed';
    record.verdict = verdict?.outcome;
    record.endedAt = now();
    await this.leaveStage(spec);
    this.record('stage_passed', `${spec.id} passed${verdict ? `: ${verdict.reason}` : ''}`, undefined, spec.id);
    await this.writeReport();
    await this.tellStageChange({
      type: 'stage_passed',
      message: `${spec.id} passed${verdict ? `: ${verdict.reason}` : ''}`,
      stage: spec.id,
      verdict,
    });
  }

  /** Stage changes reach the owners too (the Slack thread). The patch is being phased out (README: Versioning). */
  private async tellStageChange(event: Omit<RolloutEvent, 'rolloutId' | 'at' | 'name'>): Promise<void> {
    deprecatePatch('notify-stage-changes');
    await this.tell(event);
  }

  private async enterStage(spec: StageSpec): Promise<void> {
    const record = this.state.stages[this.state.stageIndex]!;
    record.status = 'running';
    record.startedAt = now();
    this.state.phase = spec.kind === 'golden_eval' ? 'evaluating' : 'observing';
    upsertSearchAttributes([{ key: ROLLOUT_STAGE, value: spec.id }]);
    await this.markStage(spec.id);
    if (spec.kind === 'shadow') {
      await this.startShadow('candidate', this.plan.stages.shadow.share);
    } else if (spec.kind === 'canary' || spec.kind === 'experiment' || spec.kind === 'cutover') {
      await this.setCandidateWeight(spec.candidateWeight, spec.cohortWeight);
      // During the bake the old backend stays warm on mirrored traffic, which also gives the
      // judge a live baseline to compare the candidate against.
      // (A router that cannot mirror, like HAProxy, has no live baseline in the bake: its verdicts
      // stay inconclusive and the plan's onInconclusive policy brings in a human.)
      if (spec.kind === 'cutover' && this.plan.stages.shadow.enabled)
        await this.startShadow('baseline', this.plan.stages.shadow.share);
    }
    if (spec.kind !== 'golden_eval') await this.warmUp(spec);
    this.state.windowElapsedMs = 0;
    this.state.windowStartedAtMs = Date.now();
    this.state.windowVerdict = null;
    this.state.windowExtended = false;
    this.state.metricFailures = 0;
    this.resetJudgeWindow();
    this.state.stageEntered = true;
    this.record('stage_started', describeStage(spec), undefined, spec.id);
    await this.tellStageChange({ type: 'stage_started', message: describeStage(spec), stage: spec.id });
  }

  /**
   * The plan's warm-up after a traffic change: cold caches and new replicas answer slowly at
   * first, so the window (and every request the judge reads) starts after it. A rollback still
   * ends it at once. Plans without a warm-up (all rollouts started before it existed) skip it.
   */
  private async warmUp(spec: StageSpec): Promise<void> {
    const warmUpMs = this.plan.guardrails.warmUp;
    if (!warmUpMs) return;
    this.state.warmUpUntil = new Date(Date.now() + warmUpMs).toISOString();
    this.record(
      'warm_up',
      `${spec.id}: the first ${formatDuration(warmUpMs)} after the traffic change are left out of judging (warm-up until ${this.state.warmUpUntil.slice(11, 19)})`,
      undefined,
      spec.id,
    );
    const rollback = await condition(() => this.state.rollbackRequest !== null, warmUpMs);
    delete this.state.warmUpUntil;
    if (rollback) throw this.rollbackHalt();
  }

  private async leaveStage(spec: StageSpec): Promise<void> {
    if (spec.kind === 'shadow') await this.stopShadow();
    this.state.stageEntered = false;
  }

  /** Returns what the traffic layer holds once promoted, which a revert expects to find. */
  private async retire(): Promise<RevertWindow['promotedTraffic']> {
    if (this.plan.approvals.requiredBefore.includes('retire')) await this.gate('retire', 'plan');
    await this.waitWhilePaused();
    await this.stopShadow();
    let promoted: TrafficState | null = null;
    if (this.plan.stages.cutover.retireBaseline) {
      promoted = await traffic.retireBaseline({ ...this.target, candidate: this.plan.backends.candidate });
      this.record('baseline_retired', `${this.plan.backends.baseline.model} retired from route ${this.target.route}`);
    }
    // Promotion is final for the saga: nothing is left to compensate (a revert is asked for, never automatic).
    this.state.saga = [];
    return promoted
      ? { weights: promoted.weights, backends: promoted.backends }
      : { weights: this.state.weights, backends: ['baseline', 'candidate'] };
  }

  // ---- after promotion: the revert window ---------------------------------------------------

  /**
   * Promoted: the status and the notification say so at once (`rollout run --wait` returns here),
   * and for the plan's revert window a `revert` Update can put the previous baseline back. Cancelling
   * the workflow ends the window early; the promotion stands.
   */
  private async holdForRevert(promotedTraffic: RevertWindow['promotedTraffic']): Promise<RolloutResult> {
    // A plan normalized before plans had a revert window has none: such a rollout ends at promotion.
    const windowMs = this.plan.stages.cutover.revertWindow ?? 0;
    if (windowMs <= 0) return this.finish('promoted', this.promotionReason());
    const deadline = Date.now() + windowMs;
    const until = new Date(deadline).toISOString();
    this.state.revertWindow = { promotedAt: now(), until, promotedTraffic };
    this.state.revertRequest = null;
    await this.announce('promoted', `${this.promotionReason()}; revertible until ${until}`, 'promoted');
    try {
      for (;;) {
        const left = deadline - Date.now();
        if (!this.state.revertRequest && left > 0) await condition(() => Boolean(this.state.revertRequest), left);
        // A revert accepted within the window is carried out even if the window ends meanwhile.
        if (!this.state.revertRequest) break;
        if (await CancellationScope.nonCancellable(() => this.reinstateBaseline())) {
          const { by, reason } = this.state.reverted!;
          return await CancellationScope.nonCancellable(() =>
            this.finish(
              'reverted',
              `reverted by ${by}: ${reason}; ${this.plan.backends.baseline.model} back on route ${this.target.route} at 100 %`,
            ),
          );
        }
      }
    } catch (error) {
      if (!isCancellation(error)) throw error;
    }
    return CancellationScope.nonCancellable(async () => {
      if (this.state.revertRequest) {
        // Cancelled with a revert asked for but not carried out: its Update is told, not left waiting.
        this.revertRefusal = { type: FailureType.RevertWindowClosed, message: 'the rollout was cancelled' };
        this.state.revertRequest = null;
      }
      this.record('revert_window_closed', `revert window closed; ${this.plan.backends.candidate.model} stays promoted`);
      this.state.phase = 'finished';
      return this.result();
    });
  }

  /** The revert Update: resolves once the previous baseline is back on the route, or fails with the traffic layer's refusal. */
  private async revert(request: RevertRequest): Promise<RevertReceipt> {
    const asked: RevertRecord = { by: request.by.trim(), reason: request.reason.trim(), at: now() };
    this.state.revertRequest = asked;
    this.record('revert_requested', `revert requested by ${asked.by}: ${asked.reason}`, asked.by);
    await condition(() => this.state.reverted === asked || this.state.revertRequest !== asked);
    if (this.state.reverted !== asked) {
      const refusal = this.revertRefusal!;
      throw ApplicationFailure.nonRetryable(`revert refused: ${refusal.message}`, refusal.type);
    }
    return {
      ...asked,
      baselineModel: this.plan.backends.baseline.model,
      route: this.target.route,
    };
  }

  /** Why the last revert was refused; read by the revert Update that asked for it. */
  private revertRefusal?: { type: string; message: string };

  /** The revert's traffic move, no analysis: true once the baseline is back; false (and said) when the traffic layer refused. */
  private async reinstateBaseline(): Promise<boolean> {
    const asked = this.state.revertRequest!;
    this.state.phase = 'reverting';
    try {
      const state = await compensation.reinstateBaseline({
        ...this.target,
        baseline: this.plan.backends.baseline,
        candidate: this.plan.backends.candidate,
        promoted: this.state.revertWindow!.promotedTraffic,
      });
      this.state.weights = state.weights;
      this.state.shadow = state.shadow;
      this.state.trafficLayer = { weights: state.weights, shadow: state.shadow, at: now() };
      this.state.reverted = asked;
      return true;
    } catch (error) {
      if (!(error instanceof ActivityFailure)) throw error;
      const message = failureMessage(error);
      this.revertRefusal = {
        type: error.cause instanceof ApplicationFailure && error.cause.type ? error.cause.type : 'RevertFailed',
        message,
      };
      this.state.revertRequest = null;
      this.state.phase = 'promoted';
      const text = `revert by ${asked.by} refused by the traffic layer: ${message}; ${this.plan.backends.candidate.model} stays promoted`;
      this.record('revert_failed', text, asked.by);
      await this.tell({ type: 'revert_failed', message: text, by: asked.by });
      return false;
    }
  }

  // ---- observation windows ------------------------------------------------------------------

  /** Holds the stage for its window, judging every check interval; returns the passing verdict. */
  private async observe(spec: StageSpec): Promise<Verdict | undefined> {
    const interval = this.plan.stages.canary.checkInterval;
    for (;;) {
      while (this.state.windowElapsedMs < spec.windowMs) {
        const slice = Math.min(interval, spec.windowMs - this.state.windowElapsedMs);
        const sliceStart = Date.now();
        if (await condition(() => this.state.rollbackRequest !== null, slice)) throw this.rollbackHalt();
        // A paused rollout keeps being judged, but its window does not advance. The window advances
        // by the slice its timer waited: workflow time read across a crash is not the same on
        // replay (a workflow task that timed out with a killed worker is stamped with its first
        // attempt's start on the new worker, its last attempt's on a later replay), so a window
        // counted in clock deltas ended at different checks and the run could never replay.
        if (!this.state.paused)
          this.state.windowElapsedMs += patched(WINDOW_COUNTS_SLICES) ? slice : Date.now() - sliceStart;
        const verdict = await this.check(spec);
        if (verdict?.outcome === 'fail') throw new RolloutHalted('breach', `${spec.id}: ${verdict.reason}`);
        await this.continueAsNewIfHistoryIsLong();
      }
      const final = this.state.windowVerdict;
      if (final?.outcome === 'pass') return final;
      const why = final ? final.reason : 'no verdict could be reached in the window';
      const policy = this.plan.guardrails.onInconclusive;
      if (policy === 'extend_then_ask' && !this.state.windowExtended) {
        this.state.windowExtended = true;
        this.state.windowElapsedMs = 0;
        // The extension keeps the evidence so far; the always-valid test simply keeps looking.
        this.record(
          'window_extended',
          `${spec.id} inconclusive (${why}); watching one more window`,
          undefined,
          spec.id,
        );
        await this.tellStageChange({
          type: 'window_extended',
          message: `${spec.id} inconclusive (${why}); watching one more window`,
          stage: spec.id,
          verdict: final ?? undefined,
        });
        continue;
      }
      if (policy === 'rollback')
        throw new RolloutHalted('breach', `${spec.id} inconclusive at the end of its window: ${why}`);
      await this.gate(this.state.stages[this.state.stageIndex + 1]?.id ?? 'retire', 'inconclusive', final ?? undefined);
      return final ?? undefined;
    }
  }

  /**
   * One check: the traffic layer re-asserted to the rollout's state, then the window judged. A
   * rollback request cuts the check short. Rollouts started before checks re-asserted traffic only judge.
   */
  private async check(spec: StageSpec): Promise<Verdict | null> {
    if (!patched('reassert-traffic')) return this.judgeWindow(spec);
    return this.untilRollback(async () => {
      if (!(await this.reassertTraffic(spec))) return null;
      const verdict = await this.judgeWindow(spec);
      if (verdict?.outcome === 'fail') return verdict;
      const behavioral = await this.checkBehavior(spec);
      return behavioral?.outcome === 'fail' ? behavioral : verdict;
    });
  }

  /**
   * The canary's behavioral check on live answers (stages.canary.behavioral), after the judge at
   * every check of a canary step (and the bake): a blocking regression fails the check, a
   * non-blocking one is kept for a person at the window's end. Rollouts without it (all those
   * started before it existed) never reach the patch.
   */
  private async checkBehavior(spec: StageSpec): Promise<Verdict | null> {
    const config = this.plan.stages.canary.behavioral;
    if (!config?.enabled || this.plan.router.kind !== 'gateway') return null;
    if (spec.kind !== 'canary' && spec.kind !== 'experiment' && !(spec.kind === 'cutover' && config.bake)) return null;
    if (!patched('canary-behavioral-checks')) return null;
    const windowStartedAtMs = this.state.windowStartedAtMs;
    if (this.state.behavior?.windowStartedAtMs !== windowStartedAtMs)
      this.state.behavior = { windowStartedAtMs, state: null, cursors: null };
    const memory = this.state.behavior;
    const interval = this.plan.stages.canary.checkInterval;
    const extensions = this.plan.guardrails.onInconclusive === 'extend_then_ask' ? 2 : 1;
    let result;
    try {
      result = await behavior.checkCanaryBehavior({
        rolloutId: this.plan.rollout.id,
        stage: spec.id,
        adminUrl: this.gatewayAdminUrl(),
        ...this.gatewayReadAccess(),
        route: this.target.route,
        windowStartMs: windowStartedAtMs,
        config,
        guardrails: this.plan.guardrails,
        plannedLooks: Math.ceil(spec.windowMs / interval) * extensions,
        state: memory.state,
        cursors: memory.cursors,
        alongside: answerGuardrails(this.state.windowVerdict),
      });
    } catch (error) {
      if (!(error instanceof ActivityFailure) || isCancellation(error)) throw error;
      const why = failureMessage(error);
      // A check that cannot run (a gateway token missing, the gateway down) fails the same way at
      // every check: said once per window until it changes or a check runs again.
      const repeated = why === memory.failure && patched('behavior-failure-said-once');
      memory.failure = why;
      if (!repeated) this.record('behavior_check_failed', `live answers not checked: ${why}`, undefined, spec.id);
      return null;
    }
    memory.failure = undefined;
    memory.state = result.state;
    memory.cursors = result.cursors;
    const { review, ...verdict } = result.verdict;
    memory.verdict = verdict;
    if (review && !memory.review) {
      memory.review = verdict;
      this.record('behavior_differs', verdict.reason, undefined, spec.id);
    }
    if (verdict.outcome === 'fail') {
      pushBounded(this.state.verdicts, verdict, MAX_VERDICTS);
      await this.tell({ type: 'verdict', message: `${spec.id} failed: ${verdict.reason}`, stage: spec.id, verdict });
    }
    return verdict;
  }

  /** At the window's end: the behavioral check's last verdict joins the stage's, and a finding that does not block asks a person. */
  private async reviewBehavior(): Promise<void> {
    const memory = this.state.behavior;
    if (!memory || memory.windowStartedAtMs !== this.state.windowStartedAtMs || !memory.verdict) return;
    const { verdict, review } = memory;
    delete this.state.behavior;
    pushBounded(this.state.verdicts, verdict, MAX_VERDICTS);
    if (review) await this.gate(this.state.stages[this.state.stageIndex + 1]?.id ?? 'retire', 'needs_review', review);
  }

  /** A cohort plan's cohort, once its first step exposed it: part of what the traffic layer must hold. */
  private desiredCohort(): { cohort?: { match: CohortMatch; weights: RolloutState['weights'] } } {
    const match = this.plan.stages.canary.cohort?.match;
    return match && this.state.cohortWeights ? { cohort: { match, weights: this.state.cohortWeights } } : {};
  }

  /** The traffic layer brought back to what the rollout wants; false when it could not be read (a failed check). */
  private async reassertTraffic(spec: StageSpec): Promise<boolean> {
    try {
      const result = await reconciler.reconcileTraffic({
        ...this.target,
        baseline: this.plan.backends.baseline,
        candidate: this.plan.backends.candidate,
        desired: { weights: this.state.weights, shadow: this.state.shadow, ...this.desiredCohort() },
      });
      this.state.trafficLayer = { weights: result.state.weights, shadow: result.state.shadow, at: now() };
      if (result.corrections.length > 0) {
        const message = `traffic layer corrected: ${result.corrections.join('; ')}`;
        this.record('traffic_corrected', message, undefined, spec.id);
        await this.tell({ type: 'traffic_corrected', message, stage: spec.id });
      }
      return true;
    } catch (error) {
      if (!(error instanceof ActivityFailure)) throw error;
      this.countMetricFailure(spec, `traffic layer unreachable: ${failureMessage(error)}`);
      return false;
    }
  }

  /** A check that saw nothing: after maxMetricFailures in a row the canary cannot be observed, which is a breach. */
  private countMetricFailure(spec: StageSpec, cause: string): void {
    this.state.metricFailures += 1;
    this.record(
      'metrics_unavailable',
      `metrics read failed (${this.state.metricFailures}/${this.plan.guardrails.maxMetricFailures}): ${cause}`,
      undefined,
      spec.id,
    );
    if (this.state.metricFailures >= this.plan.guardrails.maxMetricFailures) {
      throw new RolloutHalted(
        'breach',
        `${spec.id}: the canary cannot be observed (${this.state.metricFailures} failed metric reads; last: ${cause})`,
      );
    }
  }

  private async judgeWindow(spec: StageSpec): Promise<Verdict | null> {
    const mode = spec.kind === 'shadow' ? 'shadow' : spec.kind === 'cutover' ? 'bake' : 'canary';
    let verdict: Verdict;
    const window = {
      rolloutId: this.plan.rollout.id,
      stage: spec.id,
      mode,
      route: this.target.route,
      windowStartMs: this.state.windowStartedAtMs,
      guardrails: this.plan.guardrails,
      pricing: { baseline: this.plan.backends.baseline.pricing, candidate: this.plan.backends.candidate.pricing },
    } as const;
    try {
      const series = this.seriesSelection();
      if (series) {
        verdict = await this.judgeSeries(window, series);
      } else if (this.usesStatisticalJudge()) {
        const judge = this.judgeMemory();
        const result = await metrics.judgeCanaryWindow({
          ...window,
          adminUrl: this.gatewayAdminUrl(),
          ...this.gatewayReadAccess(),
          sinceSeq: judge.sinceSeq,
          cursors: judge.cursors ?? null,
          judgeState: judge.state,
          latencyReference: judge.latencyReference,
          firstTokenReference: judge.firstTokenReference ?? null,
          ...this.expectedSplit(spec),
          ...(cohortJudging(spec) && { cohort: cohortJudging(spec)! }),
          ...this.segmentJudging(mode, judge),
        });
        judge.state = result.judgeState;
        if (result.segmentStates) judge.segmentStates = result.segmentStates;
        judge.sinceSeq = result.sinceSeq;
        // Results recorded before the judge read gateways by process have no cursors.
        if (result.cursors) judge.cursors = result.cursors;
        // The shadow soak measures the baseline's tails; the stages after it judge against them.
        // (Results recorded before time to first token was measured have no such field.)
        if (spec.kind === 'shadow' && result.measuredLatencyReference)
          judge.shadowLatencyReference = result.measuredLatencyReference;
        if (spec.kind === 'shadow' && result.measuredFirstTokenReference)
          judge.shadowFirstTokenReference = result.measuredFirstTokenReference;
        verdict = result.verdict;
      } else {
        verdict = await metrics.judgeTrafficWindow({ ...window, prometheusUrl: this.plan.prometheus.url });
      }
    } catch (error) {
      if (!(error instanceof ActivityFailure)) throw error;
      this.countMetricFailure(spec, failureMessage(error));
      return null;
    }
    this.state.metricFailures = 0;
    this.state.windowVerdict = verdict;
    pushBounded(this.state.verdicts, verdict, MAX_VERDICTS);
    if (verdict.outcome === 'fail')
      await this.tell({ type: 'verdict', message: `${spec.id} failed: ${verdict.reason}`, stage: spec.id, verdict });
    return verdict;
  }

  /**
   * A plan with live segments (stages.canary.segments, a field no older plan has): the canary's
   * live windows are also judged per segment, each tracked segment keeping its own state.
   */
  private segmentJudging(
    mode: 'shadow' | 'canary' | 'bake',
    judge: NonNullable<RolloutState['judge']>,
  ): Pick<Parameters<RolloutActivities['judgeCanaryWindow']>[0], 'segments' | 'segmentStates'> {
    const segments = this.plan.stages.canary.segments;
    if (!segments || mode !== 'canary') return {};
    return {
      segments: {
        maxSegments: segments.maxSegments,
        minRequests: segments.minRequests ?? this.plan.guardrails.minRequests,
        describe: describeSegmentRule(segments.by),
      },
      segmentStates: judge.segmentStates ?? null,
    };
  }

  /**
   * In a canary step, the candidate's share the judge checks the observed split against (sample
   * ratio mismatch). Rollouts started before the check judge as they did.
   */
  private expectedSplit(spec: StageSpec): { expectedCandidateShare?: number } {
    // An experiment (a kind no older rollout has) is split at its fixed share.
    if (spec.kind === 'experiment') return { expectedCandidateShare: spec.candidateWeight / 100 };
    if (spec.kind !== 'canary' || !patched('sample-ratio-check')) return {};
    // A cohort plan: inside the cohort its step's weight is the planned split; with the whole
    // cohort on the candidate, or the cohort pinned beside a random share, no split was planned.
    const judging = cohortJudging(spec);
    if (judging === 'cohort_baseline') return { expectedCandidateShare: spec.cohortWeight! / 100 };
    if (judging) return {};
    return { expectedCandidateShare: spec.candidateWeight / 100 };
  }

  /** The golden eval, or the replay of captured traffic (the same activity on its own dataset). */
  private async runGoldenEval(spec: StageSpec): Promise<Verdict> {
    const replay = spec.id === 'replay';
    const what = replay ? 'replay' : 'golden eval';
    const verdict = await this.untilRollback(() =>
      evals.runGoldenEval({
        rolloutId: this.plan.rollout.id,
        stage: spec.id,
        config: replay ? this.plan.stages.replay : this.plan.stages.goldenEval,
        baseline: this.plan.backends.baseline,
        candidate: this.plan.backends.candidate,
        guardrails: this.plan.guardrails,
      }),
    );
    pushBounded(this.state.verdicts, verdict, MAX_VERDICTS);
    await this.tell({
      type: 'verdict',
      message: `${what}: ${verdict.outcome}: ${verdict.reason}`,
      stage: spec.id,
      verdict,
    });
    if (verdict.outcome === 'fail') throw new RolloutHalted('breach', `${what}: ${verdict.reason}`);
    // Different but not worse, or not enough evidence: a human looks at the evidence.
    if (verdict.outcome === 'inconclusive')
      await this.gate(this.state.stages[this.state.stageIndex + 1]?.id ?? 'retire', 'needs_review', verdict);
    return verdict;
  }

  /**
   * The statistical judge reads the gateway's per-request records; HAProxy has none, and a plan
   * may ask for plain thresholds. The patch that kept older rollouts on thresholds is being phased
   * out (README: Versioning).
   */
  private usesStatisticalJudge(): boolean {
    if (this.plan.guardrails.judge !== 'statistical' || this.plan.router.kind !== 'gateway') return false;
    deprecatePatch('statistical-judge');
    return true;
  }

  /**
   * The statistical judge on Prometheus series (plan metrics.source 'prometheus', the default off
   * the gateway router): any traffic layer. Rollouts started before it existed keep their path.
   */
  private seriesSelection(): SeriesSelection | null {
    if (this.plan.guardrails.judge !== 'statistical') return null;
    const resolved = resolveMetrics(this.plan);
    return resolved.source === 'prometheus' && patched('series-statistical-judge') ? resolved.selection : null;
  }

  private async judgeSeries(
    window: Omit<
      Parameters<RolloutActivities['judgeSeriesWindow']>[0],
      'prometheusUrl' | 'series' | 'judgeState' | 'snapshot' | 'latencyReference' | 'firstTokenReference'
    >,
    series: SeriesSelection,
  ): Promise<Verdict> {
    const judge = this.judgeMemory();
    const result = await metrics.judgeSeriesWindow({
      ...window,
      prometheusUrl: this.plan.prometheus.url,
      series,
      judgeState: judge.state,
      snapshot: judge.seriesSnapshot ?? null,
      latencyReference: judge.latencyReference,
      firstTokenReference: judge.firstTokenReference ?? null,
    });
    judge.state = result.judgeState;
    judge.seriesSnapshot = result.snapshot;
    // A reference measured at this look (before the window, or in it) holds for the rest of the rollout.
    if (result.measuredLatencyReference)
      judge.latencyReference = judge.shadowLatencyReference = result.measuredLatencyReference;
    if (result.measuredFirstTokenReference)
      judge.firstTokenReference = judge.shadowFirstTokenReference = result.measuredFirstTokenReference;
    return result.verdict;
  }

  /** Every gateway the judge reads, and where the worker finds their admin token. */
  private gatewayReadAccess(): { replicas?: string[]; adminTokenEnv?: string } {
    const { router } = this.plan;
    if (router.kind !== 'gateway') return {};
    return { replicas: gatewayAdminUrls(router), ...this.gatewayTokenEnv() };
  }

  /** Where the worker finds the gateway's admin token, when the plan names the variable. */
  private gatewayTokenEnv(): { adminTokenEnv?: string } {
    const { router } = this.plan;
    return router.kind === 'gateway' && router.adminTokenEnv ? { adminTokenEnv: router.adminTokenEnv } : {};
  }

  private gatewayAdminUrl(): string {
    return this.plan.router.kind === 'gateway' ? this.plan.router.adminUrl : '';
  }

  private judgeMemory(): NonNullable<RolloutState['judge']> {
    this.state.judge ??= { state: null, sinceSeq: 0, latencyReference: null };
    return this.state.judge;
  }

  /** A new window starts a new sequential test; the shadow's tail references carry over. */
  private resetJudgeWindow(): void {
    const judge = this.judgeMemory();
    if (judge.shadowLatencyReference) judge.latencyReference = judge.shadowLatencyReference;
    if (judge.shadowFirstTokenReference) judge.firstTokenReference = judge.shadowFirstTokenReference;
    judge.state = null;
    judge.sinceSeq = 0;
    delete judge.cursors;
    delete judge.seriesSnapshot;
    delete judge.segmentStates;
  }

  /**
   * After the shadow window: what the candidate answered against what the baseline answered to
   * the same requests (length, refusals, schema adherence, similarity, judge scores). Two or more
   * breached thresholds roll back; one asks a human. Needs the gateway's shadow pairs. The patch
   * that let older rollouts skip it is being phased out (README: Versioning).
   */
  private async compareShadowAnswers(spec: StageSpec): Promise<void> {
    // Opt-in (stages.shadow.compare): it needs enough mirrored pairs, which short soaks lack.
    if (this.plan.router.kind !== 'gateway' || !this.plan.stages.shadow.compare) return;
    deprecatePatch('shadow-behavioral-compare');
    const verdict = await this.untilRollback(() =>
      evals.compareShadow({
        rolloutId: this.plan.rollout.id,
        stage: spec.id,
        adminUrl: this.gatewayAdminUrl(),
        ...this.gatewayReadAccess(),
        route: this.target.route,
        windowStartMs: this.state.windowStartedAtMs,
        config: this.plan.stages.shadow,
        guardrails: this.plan.guardrails,
        pricing: { baseline: this.plan.backends.baseline.pricing, candidate: this.plan.backends.candidate.pricing },
      }),
    );
    pushBounded(this.state.verdicts, verdict, MAX_VERDICTS);
    await this.tell({
      type: 'verdict',
      message: `shadow answers: ${verdict.outcome}: ${verdict.reason}`,
      stage: spec.id,
      verdict,
    });
    if (verdict.outcome === 'fail') throw new RolloutHalted('breach', `shadow answers: ${verdict.reason}`);
    if (verdict.outcome === 'inconclusive')
      await this.gate(this.state.stages[this.state.stageIndex + 1]?.id ?? 'retire', 'needs_review', verdict);
  }

  /** Runs a long activity, cancelling it at once if a rollback is requested meanwhile. */
  private async untilRollback<T>(work: () => Promise<T>): Promise<T> {
    const scope = new CancellationScope();
    // The watcher lives in its own scope, cancelled once the work is done, so it never outlives
    // the work (a pending condition would otherwise reject on a later workflow cancellation).
    const watcherScope = new CancellationScope();
    const watcher = watcherScope
      .run(() => condition(() => this.state.rollbackRequest !== null))
      .then(
        () => scope.cancel(),
        () => undefined,
      );
    try {
      return await scope.run(work);
    } catch (error) {
      if (isCancellation(error) && this.state.rollbackRequest) throw this.rollbackHalt();
      throw error;
    } finally {
      watcherScope.cancel();
      await watcher;
    }
  }

  // ---- the A/B experiment ----------------------------------------------------------------------

  /**
   * The experiment (stages.experiment): the fixed split held while the guardrails are judged at
   * every check as in a canary step, and the primary metric looked at after them. A significant
   * harm rolls back at once; a clear win, the planned size or the longest duration ends it at a
   * gate where a person ships the candidate (the cutover follows) or keeps the baseline (rejects).
   */
  private async runExperiment(spec: StageSpec): Promise<Verdict> {
    const interval = this.plan.stages.canary.checkInterval;
    for (;;) {
      const slice = Math.min(interval, spec.windowMs - this.state.windowElapsedMs);
      if (slice > 0 && (await condition(() => this.state.rollbackRequest !== null, slice))) throw this.rollbackHalt();
      if (!this.state.paused) this.state.windowElapsedMs += Math.max(0, slice);
      const guardrails = await this.check(spec);
      if (guardrails?.outcome === 'fail') throw new RolloutHalted('breach', `${spec.id}: ${guardrails.reason}`);
      const look = await this.untilRollback(() =>
        this.lookAtExperiment(spec, this.state.windowElapsedMs >= spec.windowMs),
      );
      if (look) {
        if (look.decision === 'worse') throw new RolloutHalted('breach', `${spec.id}: ${look.verdict.reason}`);
        if (look.decision !== 'continue') {
          await this.gate(this.state.stages[this.state.stageIndex + 1]?.id ?? 'retire', 'experiment', look.verdict);
          return look.verdict;
        }
      }
      await this.continueAsNewIfHistoryIsLong();
    }
  }

  /** One look at the primary metric; null when it could not be read (a failed metrics read). */
  private async lookAtExperiment(
    spec: StageSpec,
    outOfTime: boolean,
  ): Promise<Awaited<ReturnType<RolloutActivities['judgeExperiment']>>['look'] | null> {
    const memory = (this.state.experiment ??= {
      tally: { baseline: { successes: 0, trials: 0 }, candidate: { successes: 0, trials: 0 } },
      cursors: null,
      alwaysValidP: 1,
    });
    let result;
    try {
      result = await metrics.judgeExperiment({
        rolloutId: this.plan.rollout.id,
        stage: spec.id,
        adminUrl: this.gatewayAdminUrl(),
        ...this.gatewayReadAccess(),
        route: this.target.route,
        prometheusUrl: this.plan.prometheus.url,
        experiment: this.plan.stages.experiment,
        guardrailAlpha: this.plan.guardrails.alpha,
        windowStartMs: this.state.windowStartedAtMs,
        tally: memory.tally,
        cursors: memory.cursors,
        alwaysValidP: memory.alwaysValidP,
        outOfTime,
      });
    } catch (error) {
      if (!(error instanceof ActivityFailure)) throw error;
      this.countMetricFailure(spec, `experiment metric: ${failureMessage(error)}`);
      return null;
    }
    this.state.metricFailures = 0;
    memory.tally = result.tally;
    memory.cursors = result.cursors;
    memory.alwaysValidP = result.look.alwaysValidP;
    memory.verdict = result.look.verdict;
    if (result.look.decision !== 'continue') {
      pushBounded(this.state.verdicts, result.look.verdict, MAX_VERDICTS);
      await this.tell({
        type: 'verdict',
        message: `${spec.id}: ${result.look.verdict.reason}`,
        stage: spec.id,
        verdict: result.look.verdict,
      });
    }
    return result.look;
  }

  // ---- gates, pauses, rollbacks -------------------------------------------------------------

  private async gate(before: string, reason: GateReason, evidence?: Verdict): Promise<void> {
    const { timeout, onTimeout, approvers } = this.plan.approvals;
    // Plans recorded before approvals.required existed hold no value: one approver, as they ran.
    // No patch guards the multi-approver path: only a run whose recorded plan asks for more than
    // one takes it, and no earlier release could start such a run (its schema refused the field).
    const required = this.plan.approvals.required ?? 1;
    const gate: ApprovalGate = {
      id: uuid4(),
      before,
      reason,
      openedAt: now(),
      deadline: new Date(Date.now() + timeout).toISOString(),
      evidence,
      ...(required > 1 && { approvals: [], required }),
    };
    this.state.gate = gate;
    const previousPhase = this.state.phase;
    this.state.phase = 'awaiting_approval';
    const why =
      reason === 'plan'
        ? 'the plan requires approval'
        : reason === 'inconclusive'
          ? 'the window ended without a clear verdict'
          : reason === 'experiment'
            ? 'the experiment ended: ship the candidate, or reject to keep the baseline'
            : 'the candidate differs from the baseline';
    this.record('gate_opened', `approval needed before ${before}: ${why}`, undefined, before);
    await this.writeReport();
    await this.tell({
      type: 'gate_opened',
      message: `approval needed before ${before}: ${why}`,
      stage: before,
      verdict: evidence,
      gate: this.gateFacts(gate, approvers),
    });
    const decided = await this.awaitDecision(gate, approvers, timeout);
    this.state.gate = null;
    this.state.phase = previousPhase;
    if (this.state.rollbackRequest) throw this.rollbackHalt();
    if (!decided) {
      this.record(
        'gate_timed_out',
        `no decision before ${before} within the approval timeout; policy: ${onTimeout}`,
        undefined,
        before,
      );
      if (onTimeout === 'abort')
        throw new RolloutHalted(
          'approval_timeout',
          `no approval before ${before} within ${Math.round(timeout / 60_000)} min`,
        );
      return;
    }
    const decision = gate.decision!;
    // Every approval is in the audit trail; a rejection after some approvals follows them.
    const made =
      decision.decision === 'approved' && gate.approvals ? gate.approvals : [...(gate.approvals ?? []), decision];
    for (const each of made)
      this.state.decisions.push({
        ...each,
        gateId: gate.id,
        before,
        // What the approver was shown: the audit trail keeps it beside the decision.
        ...(gate.evidence && { evidence: gate.evidence.reason }),
      });
    const deciders =
      decision.decision === 'approved' && gate.approvals ? gate.approvals.map((a) => a.by).join(' and ') : decision.by;
    const text = `${decision.decision} by ${deciders} before ${before}${decision.reason ? `: ${decision.reason}` : ''}`;
    this.record(`gate_${decision.decision}`, text, decision.by, before);
    await this.tell({
      type: `gate_${decision.decision}`,
      message: text,
      stage: before,
      by: decision.by,
      gate: this.gateFacts(gate, approvers),
    });
    if (decision.decision === 'rejected')
      throw new RolloutHalted(
        'rejected',
        `rejected by ${decision.by} before ${before}: ${decision.reason}`,
        decision.by,
      );
  }

  /** The gate as events carry it to the sinks; a multi-approver gate says who has approved. */
  private gateFacts(gate: ApprovalGate, approvers: string[]): NonNullable<RolloutEvent['gate']> {
    return {
      id: gate.id,
      before: gate.before,
      reason: gate.reason,
      deadline: gate.deadline,
      approvers,
      ...(gate.approvals && gate.required && { approvedBy: gate.approvals.map((a) => a.by), required: gate.required }),
    };
  }

  /**
   * Waits for the gate's decision, a rollback or the approval timeout; true when decided. A gate
   * needing several approvers tells the owners of each approval while it stays open (the deadline
   * is the gate's, however many wake-ups). A single-approver gate waits exactly as it always has.
   */
  private async awaitDecision(gate: ApprovalGate, approvers: string[], timeout: number): Promise<boolean> {
    const settled = () => gate.decision !== undefined || this.state.rollbackRequest !== null;
    if (!gate.approvals) return condition(settled, timeout);
    const deadline = Date.parse(gate.deadline);
    let told = 0;
    for (;;) {
      const remaining = deadline - Date.now();
      if (remaining <= 0) return false;
      const woke = await condition(() => settled() || gate.approvals!.length > told, remaining);
      if (!woke) return false;
      if (settled()) return gate.decision !== undefined;
      const last = gate.approvals[gate.approvals.length - 1]!;
      told = gate.approvals.length;
      await this.tell({
        type: 'gate_approval',
        message: this.approvalProgress(gate, last.by),
        stage: gate.before,
        by: last.by,
        gate: this.gateFacts(gate, approvers),
      });
    }
  }

  private async waitWhilePaused(): Promise<void> {
    if (!this.state.paused) return;
    const previousPhase = this.state.phase;
    this.state.phase = 'paused';
    await condition(() => !this.state.paused || this.state.rollbackRequest !== null);
    this.state.phase = previousPhase;
    if (this.state.rollbackRequest) throw this.rollbackHalt();
  }

  private rollbackHalt(): RolloutHalted {
    const request = this.state.rollbackRequest!;
    return new RolloutHalted(
      'rollback_requested',
      `rollback requested by ${request.by}: ${request.reason}`,
      request.by,
    );
  }

  private haltFrom(error: unknown): RolloutHalted {
    if (error instanceof RolloutHalted) return error;
    if (isCancellation(error)) return new RolloutHalted('cancelled', 'the rollout workflow was cancelled');
    if (error instanceof ActivityFailure)
      return new RolloutHalted('activity_failed', `${error.activityType} failed: ${failureMessage(error)}`);
    log.error('unexpected error in rollout; compensating', { error: String(error) });
    return new RolloutHalted(
      'internal_error',
      `internal error: ${error instanceof Error ? error.message : String(error)}`,
    );
  }

  // ---- traffic and compensation --------------------------------------------------------------

  private addUndo(undo: Undo): void {
    if (!this.state.saga.includes(undo)) this.state.saga.push(undo);
  }

  /** `cohortPercent`: a cohort plan's share inside the cohort, set with the rest in one change. */
  private async setCandidateWeight(percent: number, cohortPercent?: number): Promise<void> {
    // Recorded before the move: a timed-out call may still have moved traffic.
    this.addUndo('restore_baseline_weights');
    const match = this.plan.stages.canary.cohort?.match;
    const cohort = match && cohortPercent !== undefined ? { match, candidatePercent: cohortPercent } : undefined;
    const result = await traffic.setCandidateWeight({
      ...this.target,
      candidatePercent: percent,
      ...(cohort && { cohort }),
    });
    this.state.weights = result.weights;
    if (cohort)
      this.state.cohortWeights = result.cohort?.weights ?? {
        baseline: 100 - cohortPercent!,
        candidate: cohortPercent!,
      };
  }

  private async startShadow(target: 'candidate' | 'baseline', share: number): Promise<void> {
    this.addUndo('stop_shadow');
    const result = await traffic.setShadow({ ...this.target, enabled: true, target, share });
    this.state.shadow = result.shadow;
  }

  private async stopShadow(): Promise<void> {
    if (!this.state.saga.includes('stop_shadow') && !this.state.shadow.enabled) return;
    const result = await traffic.stopShadow(this.target);
    this.state.shadow = result.shadow;
    this.state.saga = this.state.saga.filter((undo) => undo !== 'stop_shadow');
  }

  /** Runs the saga's undos, newest first; each retries until it succeeds. */
  private async compensate(halt: RolloutHalted): Promise<void> {
    this.state.phase = 'compensating';
    this.state.gate = null;
    const running = this.state.stages[this.state.stageIndex];
    if (running && running.status === 'running') {
      running.status = halt.outcome === 'aborted' ? 'aborted' : 'failed';
      running.endedAt = now();
    }
    // A rollback request is already on the timeline from its signal.
    this.record(halt.kind === 'rollback_requested' ? 'compensating' : halt.kind, halt.reason, halt.by, running?.id);
    if (patched('restore-recreates-route')) await this.restoreBaseline();
    else {
      for (const undo of [...this.state.saga].reverse()) {
        if (undo === 'restore_baseline_weights') {
          const result = await compensation.restoreBaselineWeights(this.target);
          this.state.weights = result.weights;
        } else {
          const result = await compensation.stopShadow(this.target);
          this.state.shadow = result.shadow;
        }
      }
    }
    this.state.saga = [];
    // A failed restore was said on the timeline already; the rollout still ends rolled back or aborted.
    if (!this.state.restoreFailure && (halt.outcome === 'rolled_back' || this.state.weights.candidate === 0)) {
      this.record('compensated', `traffic restored to ${this.plan.backends.baseline.model}; shadow off`);
    }
    const restored = this.state.restoreFailure
      ? `traffic NOT restored (${this.state.restoreFailure})`
      : `traffic restored to ${this.plan.backends.baseline.model}, shadow off`;
    await this.tellStageChange({ type: 'compensated', message: `${halt.reason}; ${restored}`, by: halt.by });
  }

  /**
   * Compensation's traffic step, which cannot fail the workflow: a route that is gone is recreated
   * on the baseline, transient errors are retried until the traffic layer answers (COMPENSATION has
   * no attempt limit), a layer already restored (a break-glass rollback got there first) counts as
   * done, and a permanent refusal is recorded rather than thrown.
   */
  private async restoreBaseline(): Promise<void> {
    if (this.state.saga.length === 0) return;
    try {
      const restore = patched(RESTORE_IN_WORKFLOW_TASK)
        ? localCompensation.restoreBaseline
        : compensation.restoreBaseline;
      const result = await restore({
        ...this.target,
        baseline: this.plan.backends.baseline,
        candidate: this.plan.backends.candidate,
      });
      this.state.weights = result.state.weights;
      // Restored: nobody is on the candidate, cohort included (the gateway drops the cohort then).
      if (this.state.cohortWeights) this.state.cohortWeights = { baseline: 100, candidate: 0 };
      this.state.shadow = result.state.shadow;
      this.state.trafficLayer = { weights: result.state.weights, shadow: result.state.shadow, at: now() };
      if (result.recreated)
        this.record(
          'route_recreated',
          `route ${this.target.route} was gone from the traffic layer; recreated with ${this.plan.backends.baseline.model} at 100 %`,
        );
      if (result.alreadyRestored)
        this.record(
          'already_restored',
          `the traffic layer already had ${this.plan.backends.baseline.model} at 100 % with mirroring off (restored directly when the rollback was requested)`,
        );
    } catch (error) {
      // A local activity's refusal reaches the workflow as the activity's own ApplicationFailure,
      // not wrapped in an ActivityFailure as a remote one is.
      if (!(error instanceof ActivityFailure) && !(error instanceof ApplicationFailure)) throw error;
      this.state.restoreFailure = failureMessage(error);
      this.record(
        'restore_failed',
        `traffic could NOT be put back on ${this.plan.backends.baseline.model}: ${this.state.restoreFailure}; put it back by hand`,
      );
      await this.tell({
        type: 'restore_failed',
        message: `traffic could NOT be put back on ${this.plan.backends.baseline.model}: ${this.state.restoreFailure}`,
      });
    }
  }

  private async finish(outcome: RolloutResult['outcome'], reason: string): Promise<RolloutResult> {
    await this.announce(outcome, reason);
    return this.result();
  }

  /** The outcome in the state, the search attributes, the timeline and the owners' channel. */
  private async announce(outcome: RolloutResult['outcome'], reason: string, phase: Phase = 'finished'): Promise<void> {
    this.state.phase = phase;
    this.state.outcome = outcome;
    this.state.reason = reason;
    upsertSearchAttributes([
      { key: ROLLOUT_OUTCOME, value: outcome },
      { key: ROLLOUT_STAGE, value: outcome },
    ]);
    this.record(outcome, reason, this.state.reverted?.by);
    await this.markStage(outcome);
    await this.writeReport();
    await this.tell({ type: outcome, message: reason, ...(this.state.reverted ? { by: this.state.reverted.by } : {}) });
  }

  /**
   * The traffic layer learns the stage too (RolloutStage's value), so dashboards over it can draw
   * stages. Best effort: a marker that cannot be set never holds the rollout up. Rollouts started
   * before markers existed set none.
   */
  private async markStage(stage: string): Promise<void> {
    if (!patched('rollout-stage-marker')) return;
    try {
      await marker.markRolloutStage({ ...this.target, rolloutId: this.plan.rollout.id, stage });
    } catch (error) {
      if (!(error instanceof ActivityFailure) || isCancellation(error)) throw error;
    }
  }

  private async result(): Promise<RolloutResult> {
    await condition(allHandlersFinished);
    const { outcome, reason, revertWindow, reverted } = this.state;
    return {
      rolloutId: this.plan.rollout.id,
      outcome: outcome!,
      reason: reason!,
      ...(this.state.restoreFailure ? { trafficRestored: false } : {}),
      stages: this.state.stages,
      timeline: this.state.timeline,
      verdicts: this.state.verdicts,
      decisions: this.state.decisions,
      ...(this.state.rollbackRequest && { rollbackRequest: this.state.rollbackRequest }),
      ...(revertWindow ? { revertibleUntil: revertWindow.until } : {}),
      ...(reverted ? { reverted } : {}),
      ...(this.state.report && { report: this.state.report }),
    };
  }

  // ---- bookkeeping --------------------------------------------------------------------------

  private async continueAsNewIfHistoryIsLong(): Promise<void> {
    const info = workflowInfo();
    if (!info.continueAsNewSuggested && info.historyLength < this.historyEventLimit()) return;
    await condition(allHandlersFinished);
    this.state.runs += 1;
    this.record(
      'continued_as_new',
      `history at ${info.historyLength} events; continuing as run ${this.state.runs + 1}`,
    );
    await continueAsNew<typeof ModelRolloutWorkflow>({ ...this.input, resume: this.state });
  }

  private historyEventLimit(): number {
    if (this.explicitHistoryEventLimit !== undefined) return this.explicitHistoryEventLimit;
    return patched(SHORTER_HISTORIES) ? HISTORY_EVENT_LIMIT : LEGACY_HISTORY_EVENT_LIMIT;
  }

  private currentStageId(): string | null {
    return this.state.stages[this.state.stageIndex]?.id ?? null;
  }

  private record(type: string, message: string, by?: string, stage?: string | null): void {
    pushBounded(
      this.state.timeline,
      { at: now(), type, message, ...(by ? { by } : {}), ...(stage ? { stage } : {}) },
      MAX_TIMELINE,
    );
  }

  /**
   * Best-effort notification: a failed notification is recorded, never fatal. On the forward path
   * a rollback request cuts it short (a slow Slack or webhook, retried, could otherwise hold the
   * rollback back for most of a minute); compensation's and the end's notifications always run.
   */
  private async tell(event: Omit<RolloutEvent, 'rolloutId' | 'at' | 'name'>): Promise<void> {
    const send = () =>
      notifier.notify({
        notifications: this.plan.notifications,
        event: {
          rolloutId: this.plan.rollout.id,
          name: this.plan.rollout.name,
          baselineModel: this.plan.backends.baseline.model,
          candidateModel: this.plan.backends.candidate.model,
          requestedBy: this.state.requestedBy,
          at: now(),
          stage: this.currentStageId(),
          ...(this.state.report && { report: this.state.report }),
          ...event,
        },
      });
    const forward = this.state.phase !== 'compensating' && !PAST_ROLLOUT.includes(this.state.phase);
    try {
      if (forward) deprecatePatch('rollback-preempts-notify');
      await (forward ? this.untilRollback(send) : send());
    } catch (error) {
      if (!(error instanceof ActivityFailure)) throw error;
      this.record('notify_failed', `notification "${event.type}" failed: ${failureMessage(error)}`);
    }
  }

  private status(): RolloutStatus {
    const s = this.state;
    return {
      rolloutId: this.plan.rollout.id,
      name: this.plan.rollout.name,
      baselineModel: this.plan.backends.baseline.model,
      candidateModel: this.plan.backends.candidate.model,
      requestedBy: s.requestedBy,
      phase: s.paused && !PAST_ROLLOUT.includes(s.phase) ? 'paused' : s.phase,
      stage: s.phase === 'finished' ? null : this.currentStageId(),
      stages: s.stages,
      weights: s.weights,
      ...(s.experiment && { experiment: s.experiment.verdict ?? null }),
      ...(this.plan.stages.canary.cohort && {
        cohort: { describe: describeCohort(this.plan.stages.canary.cohort.match), weights: s.cohortWeights ?? null },
      }),
      shadow: s.shadow,
      trafficLayer: s.trafficLayer ?? null,
      gate: s.gate,
      paused: s.paused,
      rollbackRequest: s.rollbackRequest,
      verdicts: s.verdicts,
      decisions: s.decisions,
      timeline: s.timeline,
      windowElapsedMs: s.windowElapsedMs,
      ...(s.warmUpUntil && { warmUpUntil: s.warmUpUntil }),
      outcome: s.outcome,
      reason: s.reason,
      ...(s.revertWindow ? { revertibleUntil: s.revertWindow.until } : {}),
      ...(s.reverted ? { reverted: s.reverted } : {}),
      ...(s.report && { report: s.report }),
    };
  }

  /**
   * The rollout report rewritten (at a stage's end, a gate, the outcome) before the owners are
   * told, so their message links it. Best effort like a notification: a failure is recorded, and
   * on the forward path a rollback request cuts it short.
   */
  private async writeReport(): Promise<void> {
    if (!patched('rollout-report')) return;
    const write = () => reporter.writeRolloutReport({ rolloutId: this.plan.rollout.id });
    const forward = this.state.phase !== 'compensating' && !PAST_ROLLOUT.includes(this.state.phase);
    try {
      this.state.report = (await (forward ? this.untilRollback(write) : write())).link;
    } catch (error) {
      if (!(error instanceof ActivityFailure)) throw error;
      this.record('report_failed', `the rollout report could not be written: ${failureMessage(error)}`);
    }
  }
}

function now(): string {
  return new Date().toISOString();
}

function describeStage(spec: StageSpec): string {
  const window = `${Math.round(spec.windowMs / 1000)}s window`;
  switch (spec.kind) {
    case 'shadow':
      return `shadow soak: mirroring live traffic to the candidate (${window})`;
    case 'golden_eval':
      return spec.id === 'replay'
        ? 'replay: sending the captured requests to both backends'
        : 'golden eval: running the golden dataset on both backends';
    case 'canary':
      if (spec.cohortWeight !== undefined && spec.candidateWeight === 0)
        return `cohort canary: ${spec.cohortWeight}% of the cohort's traffic on the candidate, everyone else on the baseline (${window})`;
      if (spec.cohortWeight !== undefined)
        return `canary: ${spec.candidateWeight}% of live traffic outside the cohort on the candidate, the cohort's ${spec.cohortWeight}% kept (${window})`;
      return `canary: ${spec.candidateWeight}% of live traffic on the candidate (${window})`;
    case 'experiment':
      return `experiment: ${spec.candidateWeight}% of live traffic on the candidate, sticky per user, until the planned sample size (at most ${formatDuration(spec.windowMs)})`;
    case 'cutover':
      return `cutover: 100% on the candidate, baseline kept warm on mirrored traffic (${window} bake)`;
  }
}

/** The canary judge's refusals, JSON and length at this check, for the behavioral verdict to show beside its own. */
function answerGuardrails(verdict: Verdict | null): Verdict['metrics'] {
  const shown = new Set(['refusalRate', 'schemaAdherence', 'length']);
  return (verdict?.metrics ?? [])
    .filter((m) => shown.has(m.metric))
    .map((m) => ({
      metric: m.metric,
      direction: m.direction,
      critical: m.critical,
      baseline: m.baseline,
      candidate: m.candidate,
      delta: m.delta,
      deltaKind: m.deltaKind,
      tolerance: m.tolerance,
      samples: m.samples,
      classification: m.classification,
      message: m.message,
    }));
}

function failureMessage(error: ActivityFailure | ApplicationFailure): string {
  let cause: Error | undefined = error.cause;
  while (cause && (cause as { cause?: Error }).cause) cause = (cause as { cause?: Error }).cause;
  return cause?.message ?? error.message;
}

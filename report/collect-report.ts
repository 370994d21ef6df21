// The rollout report gathered from Temporal (by `rollout report` and by the worker's report activity): every verdict from the histories of all the
// rollout's runs (the status keeps only the last few), the rest from the status while it runs, or
// from its result once closed. It needs no worker for a closed rollout; for a running one whose
// worker is gone it falls back on the state its latest run started from.
import type { Client } from '@temporalio/client';
import type { Verdict } from '../judge/verdict';
import type { RolloutPlan } from '../plan/schema';
import { fromStatus, reportConfigurations, type RolloutReportData } from './report-data';
import { readEvalReports } from './report-file';
import { statusQuery, type ModelRolloutInput, type ModelRolloutWorkflow } from '../workflows/model-rollout';
import type { RolloutResult, RolloutState, RolloutStatus } from '../workflows/rollout-state';
import { payloadDecoder, runHistory, type HistoryEvent, type PayloadDecoder } from '../lib/temporal-history';

/** Activities whose result is a verdict, and those whose result carries one as `verdict`. */
const VERDICT_RESULTS = new Set(['judgeTrafficWindow', 'runGoldenEval', 'compareShadow']);
const WRAPPED_VERDICT_RESULTS = new Set(['judgeCanaryWindow', 'judgeSeriesWindow', 'checkCanaryBehavior']);

/** Every verdict the run's judge and eval activities returned, in order. */
export function runVerdicts(events: HistoryEvent[], decode: PayloadDecoder): Verdict[] {
  const types = new Map<string, string>();
  const verdicts: Verdict[] = [];
  for (const event of events) {
    const scheduled = event.activityTaskScheduledEventAttributes;
    if (scheduled) {
      types.set(String(event.eventId), scheduled.activityType?.name ?? '');
      continue;
    }
    const completed = event.activityTaskCompletedEventAttributes;
    if (!completed) continue;
    const type = types.get(String(completed.scheduledEventId)) ?? '';
    if (VERDICT_RESULTS.has(type)) {
      const verdict = decode<Verdict>(completed.result);
      if (verdict) verdicts.push(verdict);
    } else if (WRAPPED_VERDICT_RESULTS.has(type)) {
      const verdict = decode<{ verdict?: Verdict }>(completed.result)?.verdict;
      if (verdict) verdicts.push(verdict);
    }
  }
  return verdicts;
}

/** The status a report takes from a closed run's result and its first input. */
function statusFromResult(result: RolloutResult, plan: RolloutPlan, requestedBy: string): RolloutStatus {
  return {
    rolloutId: result.rolloutId,
    ...(plan.rollout.name && { name: plan.rollout.name }),
    baselineModel: plan.backends.baseline.model,
    candidateModel: plan.backends.candidate.model,
    requestedBy,
    phase: 'finished',
    stage: null,
    stages: result.stages,
    weights: { baseline: 100, candidate: 0 },
    shadow: { enabled: false, target: null, share: 0 },
    trafficLayer: null,
    gate: null,
    paused: null,
    rollbackRequest: result.rollbackRequest ?? null,
    verdicts: result.verdicts,
    decisions: result.decisions ?? [],
    timeline: result.timeline,
    windowElapsedMs: 0,
    outcome: result.outcome,
    reason: result.reason,
    ...(result.reverted && { reverted: result.reverted }),
  };
}

/** A running rollout's status as its latest run started (its worker is gone, nothing answers queries). */
function statusFromState(rolloutId: string, state: RolloutState | undefined, plan: RolloutPlan, requestedBy: string) {
  return {
    rolloutId,
    ...(plan.rollout.name && { name: plan.rollout.name }),
    baselineModel: plan.backends.baseline.model,
    candidateModel: plan.backends.candidate.model,
    requestedBy,
    phase: state?.phase ?? 'starting',
    stages: state?.stages ?? [],
    timeline: state?.timeline ?? [],
    decisions: state?.decisions ?? [],
    gate: state?.gate ?? null,
  } satisfies Omit<RolloutReportData, 'verdicts' | 'evalReports' | 'generatedAt'>;
}

export interface CollectOptions {
  /** How long to wait for a running rollout's worker to answer the status query (default 5 s). */
  queryTimeoutMs?: number;
  now?: () => Date;
}

export async function collectRolloutReport(
  client: Client,
  rolloutId: string,
  options: CollectOptions = {},
): Promise<RolloutReportData> {
  const handle = client.workflow.getHandle<typeof ModelRolloutWorkflow>(rolloutId);
  const decode = payloadDecoder(client);
  // The latest run first, then back along continue-as-new (each run names the one it continues).
  const histories: HistoryEvent[][] = [];
  let runId: string | undefined = undefined;
  do {
    const events = await runHistory(client, { workflowId: rolloutId, runId });
    histories.unshift(events);
    runId = events[0]?.workflowExecutionStartedEventAttributes?.continuedExecutionRunId || undefined;
  } while (runId);
  const verdicts: Verdict[] = [];
  let firstInput: ModelRolloutInput | undefined;
  let lastInput: ModelRolloutInput | undefined;
  let result: RolloutResult | undefined;
  for (const events of histories) {
    const input = decode<ModelRolloutInput>(events[0]?.workflowExecutionStartedEventAttributes?.input);
    firstInput ??= input;
    lastInput = input ?? lastInput;
    verdicts.push(...runVerdicts(events, decode));
    const done = events.find((event) => event.workflowExecutionCompletedEventAttributes);
    result = done ? decode<RolloutResult>(done.workflowExecutionCompletedEventAttributes!.result) : undefined;
  }
  // The plan as the rollout normalized it is in the resumed state; the first input has it as written.
  const plan = (lastInput?.resume?.plan ?? firstInput?.plan) as RolloutPlan;
  const requestedBy =
    lastInput?.resume?.requestedBy ?? firstInput?.requestedBy ?? plan.rollout.requestedBy ?? 'unknown';

  let base: Omit<RolloutReportData, 'verdicts' | 'evalReports' | 'generatedAt'>;
  if (result) base = fromStatus(statusFromResult(result, plan, requestedBy));
  else {
    try {
      const deadline = Date.now() + (options.queryTimeoutMs ?? 5_000);
      base = fromStatus(await client.withDeadline(deadline, () => handle.query(statusQuery)));
    } catch {
      base = statusFromState(rolloutId, lastInput?.resume, plan, requestedBy);
    }
  }
  const reports = verdicts.flatMap((verdict) => (verdict.report ? [verdict.report] : []));
  const configurations = reportConfigurations(plan.backends);
  return {
    ...base,
    verdicts,
    evalReports: await readEvalReports(reports),
    ...(configurations.length > 0 && { configurations }),
    generatedAt: (options.now?.() ?? new Date()).toISOString(),
  };
}

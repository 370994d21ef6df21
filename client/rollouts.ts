// Rollout handles for every client: the CLI, the demo, the benches and the tests start, find,
// list and watch rollouts through these functions (rollout-commands.ts changes them). A refusal
// (an unknown id) throws RolloutCommandError, which callers report as one line.
import {
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
  type Client,
  type WorkflowHandle,
} from '@temporalio/client';
import type { RolloutPlan } from '../plan/schema';
import { BASELINE_MODEL, CANDIDATE_MODEL, ROLLOUT_OUTCOME, ROLLOUT_STAGE } from '../workflows/search-attributes';
import { ModelRolloutWorkflow, statusQuery } from '../workflows/model-rollout';
import type { RolloutResult, RolloutStatus, TimelineEvent } from '../workflows/rollout-state';

/** A command the rollout refused or cannot apply: said in one line, without a stack. */
export class RolloutCommandError extends Error {
  override name = 'RolloutCommandError';
}

export type RolloutHandle = WorkflowHandle<typeof ModelRolloutWorkflow>;

export async function startRollout(
  client: Client,
  plan: RolloutPlan,
  options: { taskQueue: string; requestedBy: string },
): Promise<RolloutHandle> {
  try {
    return await client.workflow.start(ModelRolloutWorkflow, {
      taskQueue: options.taskQueue,
      workflowId: plan.rollout.id,
      args: [{ plan, requestedBy: options.requestedBy }],
      typedSearchAttributes: [
        { key: CANDIDATE_MODEL, value: plan.backends.candidate.model },
        { key: BASELINE_MODEL, value: plan.backends.baseline.model },
      ],
    });
  } catch (error) {
    if (error instanceof WorkflowExecutionAlreadyStartedError) {
      throw new RolloutCommandError(
        `rollout ${plan.rollout.id} is already running; see \`rollout status ${plan.rollout.id}\``,
      );
    }
    throw error;
  }
}

export function rolloutHandle(client: Client, id: string): RolloutHandle {
  return client.workflow.getHandle<typeof ModelRolloutWorkflow>(id);
}

/** The rollout's current run, or RolloutCommandError naming an id that has none. */
export async function ensureExists(handle: RolloutHandle): Promise<{ runId: string }> {
  try {
    return await handle.describe();
  } catch (error) {
    if (error instanceof WorkflowNotFoundError)
      throw new RolloutCommandError(`no rollout with id ${handle.workflowId}`);
    throw error;
  }
}

export async function rolloutStatus(client: Client, id: string): Promise<RolloutStatus> {
  const handle = rolloutHandle(client, id);
  await ensureExists(handle);
  return handle.query(statusQuery);
}

export interface RolloutSummary {
  id: string;
  status: string;
  stage?: string;
  candidate?: string;
  outcome?: string;
  startTime: string;
}

export async function listRollouts(client: Client, query?: string, limit = 200): Promise<RolloutSummary[]> {
  const rollouts: RolloutSummary[] = [];
  const filter = `WorkflowType = 'ModelRolloutWorkflow'${query ? ` AND (${query})` : ''}`;
  for await (const execution of client.workflow.list({ query: filter, pageSize: Math.min(limit, 100) })) {
    const attributes = execution.typedSearchAttributes;
    rollouts.push({
      id: execution.workflowId,
      status: execution.status.name,
      stage: attributes.get(ROLLOUT_STAGE),
      candidate: attributes.get(CANDIDATE_MODEL),
      outcome: attributes.get(ROLLOUT_OUTCOME),
      startTime: execution.startTime.toISOString(),
    });
    if (rollouts.length >= limit) break;
  }
  return rollouts;
}

/**
 * Follows a rollout to its end, reporting each new timeline event once. A promoted rollout ends
 * here at promotion, though its workflow stays open for the plan's revert window: the result is
 * then the promotion as the status shows it (with `revertibleUntil`). `onStatus` sees every
 * status polled, for a caller that shows progress between events.
 */
export async function watchRollout(
  handle: RolloutHandle,
  onEvent: (event: TimelineEvent, status?: RolloutStatus) => void,
  { pollMs = 1_000, onStatus }: { pollMs?: number; onStatus?: (status: RolloutStatus) => void } = {},
): Promise<RolloutResult> {
  const seen = new Set<string>();
  let finished = false;
  // Stopped when the rollout ends at promotion: the run's own result comes only after its revert window.
  const stopWaiting = new AbortController();
  const result = handle.client
    .withAbortSignal(stopWaiting.signal, () => handle.result())
    .finally(() => (finished = true));
  const report = (status: RolloutStatus) => {
    for (const event of status.timeline) {
      const key = `${event.at}|${event.type}|${event.message}`;
      if (seen.has(key)) continue;
      seen.add(key);
      onEvent(event, status);
    }
  };
  while (!finished) {
    try {
      const status = await handle.query(statusQuery);
      report(status);
      onStatus?.(status);
      if (status.phase === 'promoted') {
        result.catch(() => undefined);
        stopWaiting.abort();
        return promotionOf(status);
      }
    } catch {
      // A query can race the run's end or a continue-as-new; the next poll catches up.
    }
    await Promise.race([result.catch(() => undefined), new Promise((resolve) => setTimeout(resolve, pollMs))]);
  }
  const final = await result;
  for (const event of final.timeline) {
    const key = `${event.at}|${event.type}|${event.message}`;
    if (!seen.has(key)) {
      seen.add(key);
      onEvent(event);
    }
  }
  return final;
}

/** A promoted rollout in its revert window, as the result its run gives if nobody reverts it. */
function promotionOf(status: RolloutStatus): RolloutResult {
  return {
    rolloutId: status.rolloutId,
    outcome: 'promoted',
    reason: status.reason ?? 'promoted',
    stages: status.stages,
    timeline: status.timeline,
    verdicts: status.verdicts,
    ...(status.revertibleUntil ? { revertibleUntil: status.revertibleUntil } : {}),
    ...(status.report && { report: status.report }),
  };
}

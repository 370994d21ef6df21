// A rollout's plan, read from Temporal itself: the start event of its current run. Needs no worker,
// so a rollout whose worker is down can still be found, rolled back and restored.
import type { Client } from '@temporalio/client';
import { parsePlan, type RolloutPlan } from '../plan/schema';
import type { ModelRolloutInput } from '../workflows/model-rollout';

/**
 * The run's plan. A continued run carries the validated plan in `resume`; a first run has the plan
 * as written, which the workflow validated the same way. Without `runId`, the latest run.
 */
export async function planOfRun(client: Client, workflowId: string, runId?: string): Promise<RolloutPlan> {
  const response = await client.workflowService.getWorkflowExecutionHistory({
    namespace: client.options.namespace,
    execution: { workflowId, ...(runId ? { runId } : {}) },
    maximumPageSize: 1,
  });
  const payload = response.history?.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0];
  if (!payload) throw new Error(`rollout ${workflowId}: its start event carries no input`);
  const input = client.options.loadedDataConverter.payloadConverter.fromPayload<ModelRolloutInput>(payload);
  return input.resume?.plan ?? parsePlan(input.plan);
}

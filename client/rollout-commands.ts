// The commands that change a rollout, for the CLI, the demo and the tests: the rollout service's
// decisions and signals (the ones the Slack bot and the incident receiver use), with a refusal
// thrown as RolloutCommandError, said in one line, instead of returned.
import type { Client } from '@temporalio/client';
import type { BreakGlassResult } from './break-glass';
import { RolloutService } from './rollout-service';
import { ensureExists, rolloutHandle, RolloutCommandError } from './rollouts';
import type {
  DecisionReceipt,
  DecisionRequest,
  PauseRequest,
  RevertReceipt,
  RevertRequest,
  RollbackRequest,
} from '../workflows/model-rollout-messages';

export async function decide(
  client: Client,
  id: string,
  decision: 'approve' | 'reject',
  request: DecisionRequest,
): Promise<DecisionReceipt> {
  await ensureExists(rolloutHandle(client, id));
  const result = await new RolloutService(client).decide(id, decision, request);
  if (!result.ok) throw new RolloutCommandError(`${decision} refused: ${result.message}`);
  return result.receipt;
}

/** Signals rollback (the durable record), then puts the baseline back on the traffic layer directly: that needs no worker. */
export async function requestRollback(client: Client, id: string, request: RollbackRequest): Promise<BreakGlassResult> {
  await ensureExists(rolloutHandle(client, id));
  const result = await new RolloutService(client).rollback(id, request);
  if (!result.ok) throw new RolloutCommandError(result.message);
  return result.traffic;
}

export async function setPaused(client: Client, id: string, paused: boolean, request: PauseRequest): Promise<void> {
  await ensureExists(rolloutHandle(client, id));
  const service = new RolloutService(client);
  const result = await (paused ? service.pause(id, request) : service.resume(id, request));
  if (!result.ok) throw new RolloutCommandError(result.message);
}

/** Puts a promoted rollout's previous baseline back on the route; resolves once traffic is back. */
export async function revert(client: Client, id: string, request: RevertRequest): Promise<RevertReceipt> {
  await ensureExists(rolloutHandle(client, id));
  const result = await new RolloutService(client).revert(id, request);
  if (!result.ok) throw new RolloutCommandError(`revert refused: ${result.message}`);
  return result.receipt;
}

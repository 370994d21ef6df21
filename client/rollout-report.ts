// `rollout report`: the rollout report regenerated from Temporal, wherever the CLI runs.
import type { Client } from '@temporalio/client';
import { collectRolloutReport } from '../report/collect-report';
import { writeRolloutReport } from '../report/report-file';
import { ensureExists, rolloutHandle } from './rollouts';

/** Gathers the report and writes it (default: the rollout's place in the reports dir); returns the path. */
export async function regenerateRolloutReport(client: Client, rolloutId: string, out?: string): Promise<string> {
  await ensureExists(rolloutHandle(client, rolloutId));
  return writeRolloutReport(await collectRolloutReport(client, rolloutId), out);
}

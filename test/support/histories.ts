// Histories of real runs: each must replay on the current workflow code, and with
// RECORD_HISTORIES=1 they are written (binary protobuf) as fixtures for the replay test.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { temporal } from '@temporalio/proto';
import { Worker } from '@temporalio/worker';
import { expect } from 'vitest';
import { workflowBundle } from './temporal';

export const historiesDir = fileURLToPath(new URL('../fixtures/histories/', import.meta.url));

export interface NamedHistory {
  /** The fixture's name (its file is `<name>.binpb`); also the replay's workflow id. */
  name: string;
  history: temporal.api.history.v1.IHistory;
}

export async function replayAndRecord(histories: NamedHistory[]): Promise<void> {
  const replays = Worker.runReplayHistories(
    { workflowBundle: await workflowBundle(), replayName: 'recorded' },
    histories.map(({ name, history }) => ({ workflowId: name, history })),
  );
  for await (const replay of replays) expect(replay.error, `${replay.workflowId} replays`).toBeUndefined();
  if (process.env.RECORD_HISTORIES !== '1') return;
  mkdirSync(historiesDir, { recursive: true });
  for (const { name, history } of histories)
    writeFileSync(join(historiesDir, `${name}.binpb`), temporal.api.history.v1.History.encode(history).finish());
}

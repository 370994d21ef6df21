// Histories recorded from real runs on the dev server (test/fixtures/histories, binary protobuf
// written by the end-to-end test with RECORD_HISTORIES=1) must replay on the current workflow code. A change
// that would break running rollouts fails here; guard it with patched() / deprecatePatch().
import { Worker } from '@temporalio/worker';
import { temporal } from '@temporalio/proto';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { historiesDir as dir } from '../support/histories';
import { workflowBundle } from '../support/temporal';

const files = readdirSync(dir).filter((file) => file.endsWith('.binpb'));

describe('workflow replay', () => {
  it('has recorded histories to replay', () => {
    expect(files.length).toBeGreaterThanOrEqual(3);
  });

  it.each(files)('replays %s without nondeterminism', async (file) => {
    const history = temporal.api.history.v1.History.decode(readFileSync(join(dir, file)));
    await expect(
      Worker.runReplayHistory({ workflowBundle: await workflowBundle() }, history, file.replace(/\.binpb$/, '')),
    ).resolves.toBeUndefined();
  });
});

// Real `temporal server start-dev`: custom search attributes are registered and visible to the
// TypeScript client, the UI serves, and stop() frees the frontend port.
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Connection } from '@temporalio/client';
import { afterAll, describe, expect, it } from 'vitest';
import type { TemporalDevServer } from '../../stack/temporal-dev-server';
import { startTemporalDevServer } from '../../stack/temporal-dev-server';

// temporal.api.enums.v1.IndexedValueType (the proto package is not a direct dependency).
const INDEXED_VALUE_TYPE_TEXT = 1;
const INDEXED_VALUE_TYPE_KEYWORD = 2;
const INDEXED_VALUE_TYPE_DOUBLE = 4;

function canBind(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

describe('startTemporalDevServer', () => {
  const dir = mkdtempSync(join(tmpdir(), 'llm-rollout-temporal-'));
  let server: TemporalDevServer | undefined;

  afterAll(async () => {
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('registers custom search attributes, serves the UI, and releases its port on stop', async () => {
    const started = Date.now();
    server = await startTemporalDevServer({
      dataDir: join(dir, 'data'),
      logDir: join(dir, 'logs'),
      namespace: 'rollouts',
      searchAttributes: { RolloutId: 'Keyword', RolloutStage: 'Text', CanaryErrorRate: 'Double' },
    });
    console.log(`temporal dev server ready in ${Date.now() - started} ms at ${server.address}`);
    expect(server.address).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(server.namespace).toBe('rollouts');

    const connection = await Connection.connect({ address: server.address });
    try {
      const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace: 'rollouts' });
      expect(customAttributes).toMatchObject({
        RolloutId: INDEXED_VALUE_TYPE_KEYWORD,
        RolloutStage: INDEXED_VALUE_TYPE_TEXT,
        CanaryErrorRate: INDEXED_VALUE_TYPE_DOUBLE,
      });
      const described = await connection.workflowService.describeNamespace({ namespace: 'rollouts' });
      expect(described.namespaceInfo?.name).toBe('rollouts');
    } finally {
      await connection.close();
    }

    const ui = await fetch(server.uiUrl);
    expect(ui.status).toBe(200);
    await ui.text();

    const port = Number(server.address.split(':')[1]);
    expect(await canBind(port)).toBe(false);
    await server.stop();
    expect(await canBind(port)).toBe(true);
  });
});

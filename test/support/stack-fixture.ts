// An embedded stack for one end-to-end test file: the stack, its simulated backends, routes that
// start on the first of them, and a Temporal client; stopped and cleaned up in one call.
import { Client, Connection } from '@temporalio/client';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GatewayAdminClient } from '../../gateway/admin-client';
import {
  startSimulatedBackend,
  type SimulatedBackend,
  type SimulatedBackendOptions,
} from '../../simulator/sim-backend';
import { startEmbeddedStack, type EmbeddedStack } from '../../stack/embedded-stack';

export interface StackFixture {
  stack: EmbeddedStack;
  client: Client;
  gatewayAdmin: GatewayAdminClient;
  /** In the order asked for; the first is every route's baseline. */
  sims: SimulatedBackend[];
  stop(): Promise<void>;
}

export async function startStackFixture(options: {
  name: string;
  sims: SimulatedBackendOptions[];
  routes: string[];
}): Promise<StackFixture> {
  const dir = mkdtempSync(join(tmpdir(), `llm-rollout-${options.name}-`));
  const stack = await startEmbeddedStack({ dir, taskQueue: options.name });
  const sims: SimulatedBackend[] = [];
  for (const sim of options.sims) sims.push(await startSimulatedBackend(sim));
  const gatewayAdmin = new GatewayAdminClient({ adminUrl: stack.gatewayAdminUrl, token: stack.gatewayAdminToken });
  for (const route of options.routes)
    await gatewayAdmin.defineRoute(route, {
      backends: [{ name: 'baseline', baseUrl: sims[0]!.url, model: sims[0]!.model }],
    });
  const connection = await Connection.connect({ address: stack.temporalAddress });
  const client = new Client({ connection, namespace: stack.namespace });
  return {
    stack,
    client,
    gatewayAdmin,
    sims,
    async stop() {
      await connection.close();
      for (const sim of sims) await sim.close();
      await stack.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

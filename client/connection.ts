// One way to reach Temporal for every client process (the CLI, the Slack bot, the incident
// receiver, the demo), from the same settings the worker uses.
import { Client, Connection } from '@temporalio/client';
import { temporalConfig, type TemporalConfig } from './temporal-config';

export interface TemporalClient {
  client: Client;
  config: TemporalConfig;
  close(): Promise<void>;
}

/** Temporal is not there: each process reports this as one line, without a stack. */
export class TemporalUnreachableError extends Error {
  override name = 'TemporalUnreachableError';
}

export async function connectTemporal(config: TemporalConfig = temporalConfig()): Promise<TemporalClient> {
  let connection: Connection;
  try {
    connection = await Connection.connect({ address: config.address, connectTimeout: '5s' });
  } catch (error) {
    throw new TemporalUnreachableError(
      `cannot reach Temporal at ${config.address} (${(error as Error).message}); start it with \`rollout up\` or set TEMPORAL_ADDRESS`,
      { cause: error },
    );
  }
  return { client: new Client({ connection, namespace: config.namespace }), config, close: () => connection.close() };
}

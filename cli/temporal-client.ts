// One Temporal client for the CLI, from the same configuration the worker uses.
import { Client, Connection } from '@temporalio/client';
import { temporalConfig, type TemporalConfig } from '../workers/config';
import { CliError } from './cli-error';

export interface CliClient {
  client: Client;
  config: TemporalConfig;
  close(): Promise<void>;
}

export async function connectClient(): Promise<CliClient> {
  const config = temporalConfig();
  let connection: Connection;
  try {
    connection = await Connection.connect({ address: config.address, connectTimeout: '5s' });
  } catch (error) {
    throw new CliError(`cannot reach Temporal at ${config.address} (${(error as Error).message}); start it with \`rollout up\` or set TEMPORAL_ADDRESS`, { cause: error });
  }
  return { client: new Client({ connection, namespace: config.namespace }), config, close: () => connection.close() };
}

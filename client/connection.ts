// One way to reach Temporal for every client process (the CLI, the Slack bot, the incident
// receiver, the demo), from the same settings the worker uses.
import { Client, Connection } from '@temporalio/client';
import { describeTemporal, temporalConfig, type TemporalConfig } from './temporal-config';

export interface TemporalClient {
  client: Client;
  config: TemporalConfig;
  close(): Promise<void>;
}

/** Temporal is not there: each process reports this as one line, without a stack. */
export class TemporalUnreachableError extends Error {
  override name = 'TemporalUnreachableError';
}

/** The settings both the SDK's client and the worker's native connection take from a config. */
export function temporalConnectionOptions(config: Pick<TemporalConfig, 'address' | 'tls' | 'apiKey' | 'metadata'>) {
  return { address: config.address, tls: config.tls, apiKey: config.apiKey, metadata: config.metadata };
}

export async function connectTemporal(config: TemporalConfig = temporalConfig()): Promise<TemporalClient> {
  let connection: Connection;
  try {
    connection = await Connection.connect({ ...temporalConnectionOptions(config), connectTimeout: '5s' });
  } catch (error) {
    throw new TemporalUnreachableError(
      `cannot reach Temporal at ${describeTemporal(config)} (${redacted((error as Error).message, config.apiKey)}); start it with \`rollout up\` or set TEMPORAL_ADDRESS (or TEMPORAL_PROFILE)`,
      { cause: error },
    );
  }
  return { client: new Client({ connection, namespace: config.namespace }), config, close: () => connection.close() };
}

// A gRPC error could quote request metadata; the API key must not reach a terminal or a log.
function redacted(message: string, apiKey: string | undefined): string {
  return apiKey ? message.replaceAll(apiKey, '[API key]') : message;
}

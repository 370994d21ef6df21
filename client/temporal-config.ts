// Where every Temporal client (the CLI, the Slack bot, the incident receiver, the demo) and the
// worker find Temporal, and how they authenticate to it. Temporal's own environment configuration
// first (TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_API_KEY, TEMPORAL_TLS*, over the TOML
// profile named by TEMPORAL_PROFILE in TEMPORAL_CONFIG_FILE or ~/.config/temporalio/temporal.toml),
// read with the SDK's @temporalio/envconfig so we accept exactly what Temporal's CLI and other SDKs
// accept; then the file `rollout up` writes; then the embedded stack's defaults.
import type { TLSConfig } from '@temporalio/client';
import { loadClientConfigProfile, toClientOptions, type ClientConfigProfile } from '@temporalio/envconfig';
import { existsSync } from 'node:fs';
import { readStackFile } from './stack-file';
import { readableTlsFiles, TemporalConfigError } from './temporal-tls-files';

export { TemporalConfigError } from './temporal-tls-files';

export interface TemporalConfig {
  address: string;
  namespace: string;
  taskQueue: string;
  uiUrl?: string;
  /** Absent or false: plaintext. true: TLS with the system's roots. */
  tls?: TLSConfig | boolean;
  /** Sent as a bearer token; never put in a log line or an error message. */
  apiKey?: string;
  /** Extra gRPC headers (TEMPORAL_GRPC_META_*, the profile's grpc_meta). */
  metadata?: Record<string, string>;
}

export const DEFAULT_TASK_QUEUE = 'llm-rollout';

export function temporalConfig(env: NodeJS.ProcessEnv = process.env): TemporalConfig {
  const profile = readableTlsFiles(temporalProfile(env));
  const { connectionOptions } = toClientOptions(profile);
  const stack = readStackFile();
  return {
    address: profile.address ?? stack?.temporalAddress ?? '127.0.0.1:7233',
    namespace: profile.namespace ?? stack?.namespace ?? 'default',
    taskQueue: env.ROLLOUT_TASK_QUEUE ?? stack?.taskQueue ?? DEFAULT_TASK_QUEUE,
    uiUrl: env.TEMPORAL_UI_URL ?? stack?.uiUrl,
    ...(connectionOptions.tls != null && { tls: connectionOptions.tls }),
    ...(profile.apiKey !== undefined && { apiKey: profile.apiKey }),
    ...(profile.grpcMeta !== undefined && { metadata: profile.grpcMeta }),
  };
}

/** How a process says where it connected, for its start-up line: no secret, only its kind. */
export function describeTemporal(config: TemporalConfig): string {
  const tls = config.tls;
  const security =
    tls === undefined || tls === false
      ? config.apiKey === undefined
        ? 'plaintext'
        : 'API key'
      : [
          typeof tls === 'object' && tls.clientCertPair ? 'mTLS' : 'TLS',
          config.apiKey === undefined ? undefined : 'API key',
        ]
          .filter(Boolean)
          .join(' + ');
  return `${config.address} (namespace ${config.namespace}, ${security})`;
}

function temporalProfile(env: NodeJS.ProcessEnv): ClientConfigProfile {
  const configFile = env.TEMPORAL_CONFIG_FILE;
  // The SDK treats a missing config file as "no profiles"; a file someone named must exist.
  if (configFile !== undefined && configFile !== '' && !existsSync(configFile))
    throw new TemporalConfigError(`TEMPORAL_CONFIG_FILE names ${configFile}, which does not exist`);
  try {
    return loadClientConfigProfile({ overrideEnvVars: definedValues(env) });
  } catch (error) {
    const where = configFile || 'the default Temporal config file (~/.config/temporalio/temporal.toml)';
    throw new TemporalConfigError(`cannot load the Temporal profile from ${where}: ${profileErrorText(error)}`);
  }
}

// smol-toml's message quotes the offending lines, which may hold an api_key: give only the position.
function profileErrorText(error: unknown): string {
  const { line, column } = error as { line?: unknown; column?: unknown };
  if (typeof line === 'number' && typeof column === 'number') return `invalid TOML at line ${line}, column ${column}`;
  return (error as Error).message;
}

function definedValues(env: NodeJS.ProcessEnv): Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter((entry): entry is [string, string] => entry[1] !== undefined));
}

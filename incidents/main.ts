// `npm run incidents`: the Alertmanager webhook receiver as its own process.
//   INCIDENTS_TOKEN           shared secret, ≥ 16 characters (Alertmanager: http_config.authorization)
//   INCIDENTS_TOKEN_FILE      or a file holding it (a container secret, the one Alertmanager reads)
//   INCIDENTS_HOST / _PORT    where to listen (default 127.0.0.1:9095)
//   INCIDENTS_PATH            default /alertmanager
//   INCIDENTS_ROLLOUT_LABELS  labels naming the rollout, comma-separated (default rollout_id,rollout)
// Temporal from Temporal's environment configuration (TEMPORAL_ADDRESS, TEMPORAL_PROFILE, TLS, API
// key; client/temporal-config.ts) or the running embedded stack.
import { readFileSync } from 'node:fs';
import { connectTemporal, TemporalUnreachableError, type TemporalClient } from '../client/connection';
import { describeTemporal, TemporalConfigError } from '../client/temporal-config';
import { RolloutService } from '../client/rollout-service';
import { startIncidentReceiver } from './receiver';
import { exitWhenWritten } from '../lib/output-streams';

/** INCIDENTS_TOKEN, else the file INCIDENTS_TOKEN_FILE names (trimmed); the error names the file only. */
function incidentsToken(): string {
  const direct = process.env.INCIDENTS_TOKEN?.trim();
  if (direct) return direct;
  const file = process.env.INCIDENTS_TOKEN_FILE?.trim();
  if (!file) return '';
  try {
    return readFileSync(file, 'utf8').trim();
  } catch (error) {
    throw new Error(
      `incidents: cannot read INCIDENTS_TOKEN_FILE ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
      { cause: error },
    );
  }
}

async function main(): Promise<number> {
  let token: string;
  try {
    token = incidentsToken();
  } catch (error) {
    console.error((error as Error).message);
    return 1;
  }
  if (token.length < 16) {
    console.error(
      'incidents: INCIDENTS_TOKEN (or a file named by INCIDENTS_TOKEN_FILE) must hold a shared secret of at least 16 characters (Alertmanager sends it as a bearer token)',
    );
    return 1;
  }
  const port = Number(process.env.INCIDENTS_PORT ?? 9095);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    console.error(`incidents: INCIDENTS_PORT must be a port number, got ${JSON.stringify(process.env.INCIDENTS_PORT)}`);
    return 1;
  }
  let connected: TemporalClient;
  try {
    connected = await connectTemporal();
  } catch (error) {
    if (!(error instanceof TemporalUnreachableError || error instanceof TemporalConfigError)) throw error;
    console.error(`incidents: ${error.message}`);
    return 1;
  }
  const { client, config: temporal, close } = connected;
  const service = new RolloutService(client);
  const receiver = await startIncidentReceiver({
    service,
    token,
    host: process.env.INCIDENTS_HOST?.trim() || '127.0.0.1',
    port,
    path: process.env.INCIDENTS_PATH?.trim() || '/alertmanager',
    rolloutLabels: process.env.INCIDENTS_ROLLOUT_LABELS?.split(',')
      .map((label) => label.trim())
      .filter(Boolean),
    log: (line) => console.log(line),
  });
  console.log(`incident receiver: Alertmanager webhook URL ${receiver.url} (Temporal ${describeTemporal(temporal)})`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await receiver.stop();
  await close();
  return 0;
}

main().then(
  (code) => exitWhenWritten(code),
  (error: unknown) => {
    console.error(error);
    return exitWhenWritten(1);
  },
);

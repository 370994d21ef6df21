// CLI: `npm run gateway -- --port 8080 --config routes.yaml`. Runs until SIGINT/SIGTERM, then
// closes gracefully (in-flight upstream calls are aborted, connections closed).
import { parseArgs } from 'node:util';
import { applyGatewayConfig, loadGatewayConfig } from './config-file';
import { RouteTable } from './route-table';
import { startGateway } from './server';

const USAGE = `usage: gateway [--port 8080] [--host 127.0.0.1] [--config routes.yaml]
                [--records-capacity 100000] [--upstream-timeout-ms 60000]`;

function intFlag(name: string, raw: string | undefined, fallback: number, min: number): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min) throw new Error(`--${name} must be an integer >= ${min}, got '${raw}'`);
  return value;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string', default: '8080' },
      host: { type: 'string', default: '127.0.0.1' },
      config: { type: 'string' },
      'records-capacity': { type: 'string' },
      'upstream-timeout-ms': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const config = values.config ? await loadGatewayConfig(values.config) : null;
  // Dry run on a scratch table so a bad file fails before anything listens.
  if (config) applyGatewayConfig(new RouteTable(), config);
  const gateway = await startGateway({
    port: intFlag('port', values.port, 8080, 0),
    host: values.host,
    recordsCapacity: intFlag('records-capacity', values['records-capacity'], 100_000, 1),
    upstreamTimeoutMs: intFlag('upstream-timeout-ms', values['upstream-timeout-ms'], 60_000, 1),
    log: (line) => console.log(`[gateway] ${line}`),
  });
  if (config) applyGatewayConfig(gateway.routes, config);
  for (const route of gateway.routes.list()) {
    console.log(`[gateway] route ${route.route}: ${route.backends.map((b) => `${b.name}=${route.weights[b.name]}% -> ${b.baseUrl} (${b.model})`).join(', ')}`);
  }

  const shutdown = (signal: string) => {
    console.log(`[gateway] ${signal} received, shutting down`);
    gateway.close().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error('[gateway] shutdown failed:', error);
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', () => shutdown('SIGINT'));
  process.once('SIGTERM', () => shutdown('SIGTERM'));
}

main().catch((error: unknown) => {
  console.error(`[gateway] ${error instanceof Error ? error.message : String(error)}`);
  console.error(USAGE);
  process.exitCode = 1;
});

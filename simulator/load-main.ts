// CLI for the load generator:
//   tsx simulator/load-main.ts --gateway-url http://127.0.0.1:8080 --route support-chat \
//       --rate 20 --duration-ms 60000 --users 200 --json-share 0.2 --stream-share 0.5
// Ctrl-C stops early; the summary (JSON) is printed either way.
import { parseArgs } from 'node:util';
import { runLoad } from './load-generator';

const USAGE = `usage: load-main --route NAME [--route NAME ...] [--gateway-url http://127.0.0.1:8080]
                 [--rate 10] [--duration-ms 30000] [--max-requests N] [--users 100] [--json-share 0.2]
                 [--stream-share 0] [--seed 1]`;

function numberFlag(name: string, raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(value)) throw new Error(`--${name} must be a number, got '${raw}'`);
  return value;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      'gateway-url': { type: 'string', default: 'http://127.0.0.1:8080' },
      route: { type: 'string', multiple: true },
      rate: { type: 'string', default: '10' },
      'duration-ms': { type: 'string' },
      'max-requests': { type: 'string' },
      users: { type: 'string', default: '100' },
      'json-share': { type: 'string', default: '0.2' },
      'stream-share': { type: 'string', default: '0' },
      seed: { type: 'string', default: '1' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const maxRequests = numberFlag('max-requests', values['max-requests']);
  const durationMs =
    numberFlag('duration-ms', values['duration-ms']) ?? (maxRequests === undefined ? 30_000 : undefined);
  const controller = new AbortController();
  process.once('SIGINT', () => {
    console.error('[load] SIGINT received, stopping');
    controller.abort();
  });
  process.once('SIGTERM', () => controller.abort());

  console.error(
    `[load] sending to ${values['gateway-url']} routes=${(values.route ?? []).join(',')} rate=${values.rate}/s`,
  );
  const summary = await runLoad({
    gatewayUrl: values['gateway-url'],
    routes: values.route ?? [],
    ratePerSecond: numberFlag('rate', values.rate) ?? 10,
    durationMs,
    maxRequests,
    users: numberFlag('users', values.users) ?? 100,
    jsonShare: numberFlag('json-share', values['json-share']) ?? 0.2,
    streamShare: numberFlag('stream-share', values['stream-share']) ?? 0,
    seed: numberFlag('seed', values.seed) ?? 1,
    signal: controller.signal,
  });
  console.log(JSON.stringify(summary, null, 2));
}

main().catch((error: unknown) => {
  console.error(`[load] ${error instanceof Error ? error.message : String(error)}`);
  console.error(USAGE);
  process.exitCode = 1;
});

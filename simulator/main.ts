// CLI for one SIMULATED GPU backend:
//   npm run simulator -- --port 9001 --model sim-llama-8b --error-rate 0.02 --latency-median-ms 150
// Every behaviour flag can later be changed live with PUT /admin/behaviour.
import { parseArgs } from 'node:util';
import type { Behaviour } from './behaviour';
import { startSimulatedBackend } from './sim-backend';

const BEHAVIOUR_FLAGS = {
  'latency-median-ms': 'latencyMedianMs',
  'latency-sigma': 'latencySigma',
  'first-token-share': 'firstTokenShare',
  'error-rate': 'errorRate',
  'refusal-rate': 'refusalRate',
  'mean-completion-tokens': 'meanCompletionTokens',
  'broken-json-rate': 'brokenJsonRate',
  'max-concurrency': 'maxConcurrency',
  seed: 'seed',
  'content-seed': 'contentSeed',
  'skip-content-rate': 'skipContentRate',
  'hedge-rate': 'hedgeRate',
  'qualifier-rate': 'qualifierRate',
  'wording-drift': 'wordingDrift',
  'judge-malformed-rate': 'judgeMalformedRate',
} as const satisfies Record<string, keyof Behaviour>;

/** Comma-separated lists: --refusal-topics refund,billing  --json-drop-fields confidence  --json-rename-fields answer=response */
const LIST_FLAGS = ['refusal-topics', 'json-drop-fields', 'json-rename-fields'] as const;
/** Text flags: --qualifier "To be fair," (the phrase --qualifier-rate prepends). */
const TEXT_FLAGS = ['qualifier'] as const;

const USAGE = `usage: simulator [--port 9001] [--host 127.0.0.1] [--model sim-llama-8b]
                 ${Object.keys(BEHAVIOUR_FLAGS)
                   .map((f) => `[--${f} N]`)
                   .join(' ')}
                 [--refusal-topics word,word] [--json-drop-fields field,field] [--json-rename-fields from=to,from=to]
                 [--qualifier "phrase,"]`;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string', default: '9001' },
      host: { type: 'string', default: '127.0.0.1' },
      model: { type: 'string', default: 'sim-llama-8b' },
      help: { type: 'boolean', short: 'h' },
      ...Object.fromEntries(
        [...Object.keys(BEHAVIOUR_FLAGS), ...LIST_FLAGS, ...TEXT_FLAGS].map((flag) => [
          flag,
          { type: 'string' as const },
        ]),
      ),
    },
    strict: true,
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new Error(`--port must be an integer in 0..65535, got '${String(values.port)}'`);

  const behaviour: Record<string, unknown> = {};
  for (const [flag, key] of Object.entries(BEHAVIOUR_FLAGS)) {
    const raw = (values as Record<string, unknown>)[flag];
    if (typeof raw !== 'string') continue;
    const value = Number(raw);
    if (raw.trim() === '' || !Number.isFinite(value)) throw new Error(`--${flag} must be a number, got '${raw}'`);
    behaviour[key] = value;
  }
  const list = (flag: (typeof LIST_FLAGS)[number]) => {
    const raw = (values as Record<string, unknown>)[flag];
    return typeof raw === 'string'
      ? raw
          .split(',')
          .map((item) => item.trim())
          .filter((item) => item !== '')
      : null;
  };
  const qualifier = (values as Record<string, unknown>).qualifier;
  if (typeof qualifier === 'string') behaviour.qualifier = qualifier;
  const topics = list('refusal-topics');
  if (topics) behaviour.refusalTopics = topics;
  const dropped = list('json-drop-fields');
  if (dropped) behaviour.jsonDropFields = dropped;
  const renamed = list('json-rename-fields');
  if (renamed) {
    behaviour.jsonRenameFields = Object.fromEntries(
      renamed.map((pair) => {
        const [from, to, extra] = pair.split('=');
        if (!from || !to || extra !== undefined)
          throw new Error(`--json-rename-fields takes from=to pairs, got '${pair}'`);
        return [from, to];
      }),
    );
  }

  const backend = await startSimulatedBackend({
    model: String(values.model),
    port,
    host: String(values.host),
    behaviour: behaviour as Partial<Behaviour>,
    log: (line) => console.log(`[simulator] ${line}`),
  });
  console.log(`[simulator] behaviour ${JSON.stringify(backend.behaviour())}`);

  const shutdown = (signal: string) => {
    console.log(`[simulator] ${signal} received, shutting down`);
    backend.close().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error('[simulator] shutdown failed:', error);
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', () => shutdown('SIGINT'));
  process.once('SIGTERM', () => shutdown('SIGTERM'));
}

main().catch((error: unknown) => {
  console.error(`[simulator] ${error instanceof Error ? error.message : String(error)}`);
  console.error(USAGE);
  process.exitCode = 1;
});

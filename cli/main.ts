// `rollout`: start, watch and steer model rollouts.
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { describeBreakGlass } from '../client/break-glass';
import { connectTemporal, TemporalUnreachableError } from '../client/connection';
import { TemporalConfigError } from '../client/temporal-config';
import { auditRollouts } from '../client/rollout-audit';
import { regenerateRolloutReport } from '../client/rollout-report';
import { decide, requestRollback, revert, setPaused } from '../client/rollout-commands';
import {
  listRollouts,
  RolloutCommandError,
  rolloutStatus,
  startRollout,
  watchRollout,
  type RolloutHandle,
} from '../client/rollouts';
import { readStackFile, STACK_FILE, type StackFile } from '../client/stack-file';
import {
  DEFAULT_ADMIN_TOKEN_ENV,
  generateAdminToken,
  MIN_ADMIN_TOKEN_LENGTH,
  readAdminToken,
  readTokenFile,
} from '../gateway/admin-token';
import { parseDurationMs } from '../plan/duration';
import { loadPlanFile } from '../plan/load';
import { PlanValidationError } from '../plan/schema';
import { runCapture } from './capture-command';
import { GatewayRefusedError, GatewayUnreachableError } from '../gateway/admin-client';
import { describePlan } from './plan-check';
import { EXIT_CODES, formatAuditEntry, formatEvent, formatResult, formatStatus } from './format';
import { CliError } from './cli-error';
import { awaitsMoreApprovals } from '../workflows/model-rollout-messages';
import { compactResult, compactStatus } from './compact-result';
import { exitWhenWritten, tolerateReaderLeaving } from '../lib/output-streams';
import { rolloutUiLink } from '../lib/ui-link';
import type { RolloutResult } from '../workflows/rollout-state';
import type { ExampleSimulators } from '../stack/example-simulators';
import { progressRenderer } from './progress-renderer';
import { progressLines } from './rollout-progress';

const USAGE = `usage: rollout <command> [options]

  run <plan> [--wait] [--json] [--as USER]   start a rollout; with --wait follow it to promotion or
                                              its end (exit 0 promoted, 2 rolled back, 3 aborted, 1 error)
  start <plan> [--as USER]                   start a rollout and return
  status <id> [--json]                       stage, weights, gate, latest verdict, timeline
  approve <id> --as USER [--reason TEXT] [--gate ID]
  reject <id> --as USER --reason TEXT [--gate ID]
  rollback <id> --reason TEXT [--as USER]    roll back now (any stage)
  revert <id> --reason TEXT [--as USER]      after promotion, within the plan's revert window: put
                                              the previous baseline back on the route at once
  pause <id> --as USER [--reason TEXT]       hold the rollout where it is (still judged)
  resume <id> --as USER
  list [--query VISIBILITY_QUERY] [--json]   rollouts, newest first
  audit [--since 7d|ISO] [--approver USER] [--json]
                                              every gate decision (who, via which group, why, the
                                              evidence shown) and rollback across rollouts, from
                                              Temporal's histories (no worker needed)
  report <id> [--out FILE]                   write the rollout report (one self-contained HTML file:
                                              stages, gates, guardrails over time, evals) from
                                              Temporal's histories (no worker needed once closed)
  capture <route> --enable [--share S] [--mask email,phone,card,ipv4,apiKey|all|none] | --disable
                                              capture a share of the route's live chat requests at
                                              the gateway, redacted before they are kept (default:
                                              every request, every mask, no user field)
  capture <route> --out FILE [--limit N]     write the captured requests as a dataset for
                                              stages.replay (or a golden dataset to complete)
  plan check <plan> [--json] [--as USER]     validate a plan and show its stages and timings;
                                              --json prints the workflow input for the temporal CLI
  up [--simulators]                          run the embedded stack (Temporal dev server + UI,
                                              Prometheus, gateway data :8080 + admin :8480, worker)
                                              until Ctrl-C; --simulators adds simulated backends on
                                              the example plans' addresses (:9001, :9002) and light
                                              load on their routes (examples/quickstart.yaml)

\`status --json\` and \`run --wait --json\` print a compact result (outcome, stages, each verdict's
outcome and figures, decisions, the latest timeline events); add --full for all the evidence, or
--out FILE to also write the full JSON to FILE.

Temporal is found through TEMPORAL_ADDRESS / TEMPORAL_NAMESPACE / ROLLOUT_TASK_QUEUE, else
the stack started by \`rollout up\`, else 127.0.0.1:7233.`;

const options = {
  as: { type: 'string' },
  reason: { type: 'string' },
  gate: { type: 'string' },
  query: { type: 'string' },
  wait: { type: 'boolean' },
  json: { type: 'boolean' },
  full: { type: 'boolean' },
  out: { type: 'string' },
  since: { type: 'string' },
  approver: { type: 'string' },
  simulators: { type: 'boolean' },
  limit: { type: 'string' },
  enable: { type: 'boolean' },
  disable: { type: 'boolean' },
  share: { type: 'string' },
  mask: { type: 'string' },
  'admin-url': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (error) {
    throw new CliError(`${(error as Error).message}\n\n${USAGE}`);
  }
  const { values, positionals } = parsed;
  const [command, ...rest] = positionals;
  if (values.help || !command) {
    console.log(USAGE);
    return command || values.help ? 0 : 1;
  }
  const me = values.as ?? process.env.ROLLOUT_USER ?? userInfo().username;
  const need = (value: string | undefined, what: string): string => {
    if (!value) throw new CliError(`${command}: ${what} is required\n\n${USAGE}`);
    return value;
  };

  switch (command) {
    case 'plan': {
      if (rest[0] !== 'check')
        throw new CliError(
          `unknown plan subcommand ${JSON.stringify(rest[0] ?? '')}; did you mean \`rollout plan check <plan>\`?`,
        );
      const plan = await loadPlanFile(need(rest[1], 'a plan file'));
      // --json prints the exact workflow input, for `temporal workflow start --input-file`.
      console.log(values.json ? toJson({ plan, requestedBy: me }) : describePlan(plan));
      return 0;
    }
    case 'up':
      return runStackInForeground({ simulators: values.simulators ?? false });
    case 'run':
    case 'start': {
      const plan = await loadPlanFile(need(rest[0], 'a plan file'));
      const { client, config, close } = await connectTemporal();
      try {
        const handle = await startRollout(client, plan, { taskQueue: config.taskQueue, requestedBy: me });
        if (!values.json) {
          console.log(
            `started rollout ${plan.rollout.id} (${plan.backends.baseline.model} → ${plan.backends.candidate.model})`,
          );
          const link = rolloutUiLink(config.uiUrl, config.namespace, handle.workflowId);
          if (link) console.log(`Temporal UI: ${link}`);
        }
        if (command === 'start' || !values.wait) return 0;
        const result = values.json ? await watchRollout(handle, () => undefined) : await followWithProgress(handle);
        if (values.out) saveFullJson(values.out, result);
        console.log(values.json ? toJson(values.full ? result : compactResult(result)) : formatResult(result));
        return EXIT_CODES[result.outcome];
      } finally {
        await close();
      }
    }
    case 'status': {
      const id = need(rest[0], 'a rollout id');
      const { client, config, close } = await connectTemporal();
      try {
        const status = await rolloutStatus(client, id);
        if (values.out) saveFullJson(values.out, status);
        console.log(
          values.json
            ? toJson(values.full ? status : compactStatus(status))
            : formatStatus(status, rolloutUiLink(config.uiUrl, config.namespace, status.rolloutId)),
        );
        return 0;
      } finally {
        await close();
      }
    }
    case 'approve':
    case 'reject': {
      const id = need(rest[0], 'a rollout id');
      const by = need(values.as ?? process.env.ROLLOUT_USER, '--as USER');
      if (command === 'reject') need(values.reason, '--reason');
      const { client, close } = await connectTemporal();
      try {
        const receipt = await decide(client, id, command, { by, reason: values.reason, gateId: values.gate });
        const progress = receipt.required
          ? `: ${receipt.approvedBy?.length ?? 0} of ${receipt.required} approvals (${receipt.approvedBy?.join(', ')})${awaitsMoreApprovals(receipt) ? `; ${receipt.required - (receipt.approvedBy?.length ?? 0)} more needed, the gate stays open` : ''}`
          : '';
        console.log(`${id}: ${receipt.decision} by ${receipt.by} before ${receipt.before}${progress}`);
        return 0;
      } finally {
        await close();
      }
    }
    case 'rollback': {
      const id = need(rest[0], 'a rollout id');
      const reason = need(values.reason, '--reason');
      const { client, close } = await connectTemporal();
      try {
        const traffic = await requestRollback(client, id, { reason, by: me });
        console.log(`${id}: rollback requested by ${me}: ${reason}`);
        console.log(`${id}: ${describeBreakGlass(traffic)}`);
        return 0;
      } finally {
        await close();
      }
    }
    case 'revert': {
      const id = need(rest[0], 'a rollout id');
      const reason = need(values.reason, '--reason');
      const { client, close } = await connectTemporal();
      try {
        const receipt = await revert(client, id, { reason, by: me });
        console.log(
          `${id}: reverted by ${receipt.by}: ${receipt.reason}; ${receipt.baselineModel} back on route ${receipt.route} at 100 %`,
        );
        return 0;
      } finally {
        await close();
      }
    }
    case 'pause':
    case 'resume': {
      const id = need(rest[0], 'a rollout id');
      const by = need(values.as ?? process.env.ROLLOUT_USER, '--as USER');
      const { client, close } = await connectTemporal();
      try {
        await setPaused(client, id, command === 'pause', { by, reason: values.reason });
        console.log(`${id}: ${command} requested by ${by}`);
        return 0;
      } finally {
        await close();
      }
    }
    case 'list': {
      const { client, close } = await connectTemporal();
      try {
        const rollouts = await listRollouts(client, values.query);
        if (values.json) console.log(toJson(rollouts));
        else
          for (const r of rollouts)
            console.log(
              `${r.id.padEnd(32)} ${r.status.padEnd(11)} ${(r.outcome ?? r.stage ?? '').padEnd(12)} ${r.candidate ?? ''}  ${r.startTime}`,
            );
        return 0;
      } finally {
        await close();
      }
    }
    case 'audit': {
      const sinceMs = values.since === undefined ? undefined : sinceOf(values.since);
      const { client, close } = await connectTemporal();
      try {
        const entries = await auditRollouts(client, { sinceMs, approver: values.approver });
        if (values.json) console.log(toJson(entries));
        else if (entries.length === 0) console.log('no decisions or rollbacks match');
        else for (const entry of entries) console.log(formatAuditEntry(entry));
        return 0;
      } finally {
        await close();
      }
    }
    case 'capture':
      console.log(await runCapture(need(rest[0], 'a route'), values));
      return 0;
    case 'report': {
      const id = need(rest[0], 'a rollout id');
      const { client, close } = await connectTemporal();
      try {
        const path = await regenerateRolloutReport(client, id, values.out && resolve(values.out));
        console.log(`rollout report: ${path}`);
        return 0;
      } finally {
        await close();
      }
    }
    default:
      throw new CliError(`unknown command ${JSON.stringify(command)}\n\n${USAGE}`);
  }
}

async function runStackInForeground({ simulators }: { simulators: boolean }): Promise<number> {
  const running = readStackFile();
  if (running)
    throw new CliError(`the embedded stack is already running (pid ${running.pid}); Temporal UI ${running.uiUrl}`);
  const dir = resolve(dirname(STACK_FILE));
  mkdirSync(dir, { recursive: true });
  // The admin token is kept in a 0600 file beside the stack file, so a worker or CLI started
  // apart from this process finds it (GATEWAY_ADMIN_TOKEN_FILE) and a restart keeps it.
  const tokenFile = join(dir, 'gateway-admin-token');
  const adminToken = readAdminToken(DEFAULT_ADMIN_TOKEN_ENV) ?? savedToken(tokenFile) ?? generateAdminToken();
  writeFileSync(tokenFile, `${adminToken}\n`, { mode: 0o600 });
  // Loaded only here: the stack pulls in the Temporal worker (native bridge, bundler), over a
  // second of start-up that every other command, the rollback kill switch above all, would pay.
  const { startEmbeddedStack } = await import('../stack/embedded-stack');
  const stack = await startEmbeddedStack({
    dir,
    ports: { temporal: 7233, ui: 8233, prometheus: 9490, gateway: 8080, gatewayAdmin: 8480 },
    gatewayStateFile: join(dir, 'gateway-state.json'),
    gatewayAdminToken: adminToken,
    log: (line) => console.log(line),
  });
  let examples: ExampleSimulators | null = null;
  if (simulators) {
    const { startExampleSimulators } = await import('../stack/example-simulators');
    try {
      examples = await startExampleSimulators({
        examplesDir: fileURLToPath(new URL('../examples', import.meta.url)),
        gatewayUrl: stack.gatewayUrl,
        gatewayAdminUrl: stack.gatewayAdminUrl,
        gatewayAdminToken: adminToken,
        log: (line) => console.log(line),
      });
    } catch (error) {
      await stack.stop();
      throw new CliError(`--simulators: ${(error as Error).message}`);
    }
  }
  const file: StackFile = {
    temporalAddress: stack.temporalAddress,
    namespace: stack.namespace,
    taskQueue: stack.taskQueue,
    uiUrl: stack.uiUrl,
    prometheusUrl: stack.prometheusUrl,
    gatewayUrl: stack.gatewayUrl,
    gatewayAdminUrl: stack.gatewayAdminUrl,
    gatewayAdminTokenFile: tokenFile,
    pid: process.pid,
  };
  writeFileSync(STACK_FILE, JSON.stringify(file, null, 2));
  console.log(`\nembedded stack up.`);
  console.log(`  gateway data plane  ${stack.gatewayUrl} (clients: OpenAI base URL ${stack.gatewayUrl}/v1)`);
  console.log(
    `  gateway admin plane ${stack.gatewayAdminUrl} (plans' router.adminUrl; token in ${tokenFile}: export ${DEFAULT_ADMIN_TOKEN_ENV}_FILE=${tokenFile} for a separate worker or CLI)`,
  );
  console.log(`  Prometheus          ${stack.prometheusUrl} (plans' prometheus.url)`);
  if (examples) {
    for (const backend of examples.backends)
      console.log(`  simulated backend   ${backend.url} serving ${backend.model}`);
    console.log(`  load                ${examples.ratePerSecond} requests/s on route ${examples.routes.join(', ')}`);
  }
  console.log(`Temporal Web UI: ${stack.uiUrl}    Ctrl-C to stop.`);
  await new Promise<void>((resolveStop) => {
    process.once('SIGINT', resolveStop);
    process.once('SIGTERM', resolveStop);
  });
  console.log('stopping the embedded stack…');
  await examples?.stop();
  await stack.stop();
  rmSync(STACK_FILE, { force: true });
  return 0;
}

/** `run --wait` without --json: the timeline's events, and the progress block below them. */
async function followWithProgress(handle: RolloutHandle): Promise<RolloutResult> {
  const renderer = progressRenderer(process.stdout);
  try {
    return await watchRollout(handle, (event) => renderer.log(formatEvent(event)), {
      onStatus: (status) => renderer.update(progressLines(status)),
    });
  } finally {
    renderer.done();
  }
}

/** `--since`: a duration back from now ("7d", "12h") or a date ("2026-12-01", an ISO time). */
function sinceOf(text: string): number {
  const back = parseDurationMs(text);
  if (back !== null && !/^\d+$/.test(text.trim())) return Date.now() - back;
  const at = Date.parse(text);
  if (Number.isNaN(at))
    throw new CliError(`--since: expected a duration like "7d" or "12h", or a date like "2026-12-01", got "${text}"`);
  return at;
}

function toJson(value: unknown): string {
  return JSON.stringify(value, null, 2);
}

/** `--out FILE`: the full result or status, whatever stdout shows. */
function saveFullJson(path: string, value: unknown): void {
  writeFileSync(path, `${toJson(value)}\n`);
}

/** The token a previous `rollout up` saved, if it is still usable. */
function savedToken(path: string): string | null {
  if (!existsSync(path)) return null;
  const token = readTokenFile(path);
  return token.length >= MIN_ADMIN_TOKEN_LENGTH ? token : null;
}

tolerateReaderLeaving();
main(process.argv.slice(2)).then(
  (code) => exitWhenWritten(code),
  (error: unknown) => {
    if (
      error instanceof CliError ||
      error instanceof RolloutCommandError ||
      error instanceof TemporalUnreachableError ||
      error instanceof TemporalConfigError ||
      error instanceof PlanValidationError ||
      error instanceof GatewayRefusedError ||
      error instanceof GatewayUnreachableError
    )
      console.error(`rollout: ${error.message}`);
    else console.error(error);
    return exitWhenWritten(EXIT_CODES.error);
  },
);

// The README's "Running rollouts" command blocks, run as written: the `rollout` CLI block (from
// `rollout up --simulators` to the audit) and then the `temporal` CLI block, each command a shell
// line in a copy of the repository's root, against the real embedded stack, simulated backends
// and load they start. The commands are read from README.md, so an edit that breaks one fails
// here; a command this test does not know also fails, until it says what that command must print.
// `rollout run … --wait` runs under a pseudo-terminal (`script`), which also tests its live
// progress block: the bar, the approve command, and redraws in place.
import { Client, Connection } from '@temporalio/client';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { temporalCliPath } from '../../stack/temporal-binaries';
import { statusQuery } from '../../workflows/model-rollout';
import type { RolloutStatus } from '../../workflows/rollout-state';
import { eventually } from '../support/eventually';

const root = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const ROLLOUT_ID = 'quickstart-sim-llama-70b';
/** The ports the README's stack and example plans use: they must be free for it. */
const PORTS = [7233, 8233, 8080, 8480, 9490, 9001, 9002];
const ESC = String.fromCharCode(27);

/** The first ```sh block after `heading`, one entry per command (continued lines joined, comment lines dropped). */
function commandBlock(readme: string, heading: string): string[] {
  const at = readme.indexOf(heading);
  if (at < 0) throw new Error(`README.md has no heading ${heading}`);
  const match = /```sh\n([\s\S]*?)```/.exec(readme.slice(at));
  if (!match) throw new Error(`no sh block after ${heading}`);
  const commands: string[] = [];
  let pending = '';
  for (const line of match[1]!.split('\n')) {
    if (!pending && (line.trim() === '' || line.trim().startsWith('#'))) continue;
    if (line.trimEnd().endsWith('\\')) pending += `${line.trimEnd().slice(0, -1)} `;
    else {
      commands.push(`${pending}${line}`.trim());
      pending = '';
    }
  }
  return commands;
}

const readme = readFileSync(join(root, 'README.md'), 'utf8');
const rolloutBlock = commandBlock(readme, '## Running rollouts');
const temporalBlock = commandBlock(readme, '### From the `temporal` CLI');

// A copy of the repository's root (links to its files) with its own .rollout/ and input.json: the
// README's commands write both into the current directory, and a developer's own stay untouched.
const workDir = mkdtempSync(join(tmpdir(), 'llm-rollout-readme-'));
for (const entry of readdirSync(root))
  if (!['.rollout', '.git', 'input.json'].includes(entry)) symlinkSync(join(root, entry), join(workDir, entry));

const env: NodeJS.ProcessEnv = { ...process.env, PATH: `${dirname(temporalCliPath())}:${process.env.PATH ?? ''}` };
for (const name of [
  'TEMPORAL_ADDRESS',
  'TEMPORAL_NAMESPACE',
  'ROLLOUT_TASK_QUEUE',
  'ROLLOUT_USER',
  'GATEWAY_ADMIN_TOKEN',
  'GATEWAY_ADMIN_TOKEN_FILE',
])
  delete env[name];

interface Run {
  code: number;
  output: string;
}

interface Background {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number>;
}

function background(command: string): Background {
  // Its own process group, so stopping it reaches npx's children too.
  const child = spawn('bash', ['-c', command], {
    cwd: workDir,
    env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number>((resolveExit) => child.on('close', (code) => resolveExit(code ?? -1)));
  return { child, output: () => output, exited };
}

async function run(command: string): Promise<Run> {
  const started = background(command);
  const code = await started.exited;
  return { code, output: started.output() };
}

async function stopGroup(started: Background, signal: NodeJS.Signals, graceMs: number): Promise<void> {
  if (started.child.exitCode !== null || started.child.pid === undefined) return;
  try {
    process.kill(-started.child.pid, signal);
  } catch {
    return;
  }
  const exited = await Promise.race([started.exited.then(() => true), delay(graceMs).then(() => false)]);
  if (!exited)
    try {
      process.kill(-started.child.pid, 'SIGKILL');
    } catch {
      // gone meanwhile
    }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolveDelay) => setTimeout(resolveDelay, ms));
}

function portInUse(port: number): Promise<boolean> {
  return new Promise((resolvePort) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolvePort(true);
    });
    socket.once('error', () => resolvePort(false));
  });
}

/** A command the README may run, and how to run and check it. */
type KnownCommand = [RegExp, (command: string) => Promise<void>];

/** Runs the block's commands in order, each by the first entry that matches it. */
async function runBlock(commands: string[], known: KnownCommand[]): Promise<void> {
  for (const command of commands) {
    const entry = known.find(([pattern]) => pattern.test(command));
    if (!entry) throw new Error(`the README runs a command this test does not check: ${command}`);
    await entry[1](command);
  }
}

let stack: Background | null = null;
let watcher: Background | null = null;
let connection: Connection | null = null;
let client: Client;

async function status(): Promise<RolloutStatus> {
  return client.workflow.getHandle(ROLLOUT_ID).query(statusQuery);
}

async function waitForPhase(phase: RolloutStatus['phase'], what: string): Promise<void> {
  await eventually(what, async () => (await status().catch(() => null))?.phase === phase, 180_000);
}

beforeAll(async () => {
  const busy = (await Promise.all(PORTS.map(async (port) => ((await portInUse(port)) ? port : null)))).filter(
    (port) => port !== null,
  );
  if (busy.length > 0) throw new Error(`the README's stack needs ports ${busy.join(', ')}, which are in use`);
});

afterAll(async () => {
  await connection?.close();
  if (watcher) await stopGroup(watcher, 'SIGTERM', 5_000);
  // Ctrl-C, as the README says: the stack stops the simulators, the load and itself.
  if (stack) await stopGroup(stack, 'SIGINT', 45_000);
  rmSync(workDir, { recursive: true, force: true });
}, 90_000);

describe("the README's commands, as written", () => {
  it('the rollout CLI block: up with simulators, a rollout watched to promotion, approved and reverted', async () => {
    expect(rolloutBlock[0]).toMatch(/^npx rollout up --simulators\b/);
    stack = background(rolloutBlock[0]!);
    await eventually('the embedded stack up', async () => stack!.output().includes('Ctrl-C to stop.'), 150_000);
    expect(stack.output()).toContain('simulated backend   http://127.0.0.1:9001/v1 serving sim-llama-8b');
    expect(stack.output()).toContain('simulated backend   http://127.0.0.1:9002/v1 serving sim-llama-70b');
    expect(stack.output()).toMatch(/load {16}20 requests\/s on route quickstart/);
    connection = await Connection.connect({ address: '127.0.0.1:7233' });
    client = new Client({ connection, namespace: 'default' });

    const known: KnownCommand[] = [
      [
        /^npx rollout plan check examples\/quickstart\.yaml/,
        async (command) => {
          const { code, output } = await run(command);
          expect(code, output).toBe(0);
          expect(output).toContain(`plan ok: ${ROLLOUT_ID}`);
        },
      ],
      [
        /^npx rollout run examples\/quickstart\.yaml --wait/,
        async (command) => {
          // A terminal 200 columns wide: the progress block's lines are not cut.
          watcher = background(`script -qefc ${JSON.stringify(`stty cols 200 rows 50; ${command}`)} /dev/null`);
          await eventually('the rollout started', async () => (await status().catch(() => null)) !== null, 60_000);
        },
      ],
      [
        /^npx rollout status \S+ --json \| jq '\.stages'/,
        async (command) => {
          const { code, output } = await run(command);
          expect(code, output).toBe(0);
          const stages = JSON.parse(output) as Array<{ id: string }>;
          expect(stages.map((stage) => stage.id)).toEqual(['shadow', 'canary-1', 'canary-2', 'cutover']);
        },
      ],
      [
        /^npx rollout status \S+\s*(#.*)?$/,
        async (command) => {
          const { code, output } = await run(command);
          expect(code, output).toBe(0);
          expect(output).toContain(`rollout   ${ROLLOUT_ID}`);
          expect(output).toContain('models    sim-llama-8b → sim-llama-70b');
        },
      ],
      [
        /^npx rollout (pause|resume) /,
        async (command) => {
          const { code, output } = await run(command);
          expect(code, output).toBe(0);
          const verb = command.includes(' pause ') ? 'pause' : 'resume';
          expect(output).toContain(`${ROLLOUT_ID}: ${verb} requested by alice`);
          if (verb === 'pause') await waitForPhase('paused', 'the rollout paused');
          else await eventually('the rollout resumed', async () => (await status().catch(() => null))?.paused === null);
        },
      ],
      [
        /^npx rollout list /,
        async (command) => {
          const { code, output } = await run(command);
          expect(code, output).toBe(0);
          expect(output).toContain(ROLLOUT_ID);
        },
      ],
      [
        /^npx rollout approve /,
        async (command) => {
          await waitForPhase('awaiting_approval', 'the gate before cutover open');
          const { code, output } = await run(command);
          expect(code, output).toBe(0);
          expect(output).toContain(`${ROLLOUT_ID}: approved by alice before cutover`);
        },
      ],
      [
        /^npx rollout revert /,
        async (command) => {
          // After promotion, which is where `run --wait` returns.
          const code = await Promise.race([watcher!.exited, delay(120_000).then(() => 'still running')]);
          const screen = watcher!.output();
          expect(code, screen).toBe(0);
          expect(screen).toContain(`${ROLLOUT_ID}: PROMOTED`);
          expect(screen).toMatch(/window {3}\[#+-*\] +\d+ % {2}\d+s of 20s/);
          expect(screen).toContain(`approve: rollout approve ${ROLLOUT_ID} --as USER --reason TEXT`);
          expect(screen).toMatch(/verdict {2}canary-2 PASS: \w+ [+-]/);
          // Redrawn in place: cursor up over the block, cleared to the end of the screen, many times.
          const redraws = screen.match(new RegExp(`${ESC}\\[\\d+A${ESC}\\[0J`, 'g')) ?? [];
          expect(redraws.length).toBeGreaterThan(10);
          // One block at the end, not a block per poll: the stage line is drawn once per redraw.
          expect(screen.split('stage    ').length - 1).toBeLessThanOrEqual(redraws.length + 1);
          const { code: revertCode, output } = await run(command);
          expect(revertCode, output).toBe(0);
          expect(output).toContain(`${ROLLOUT_ID}: reverted by dave`);
          expect(output).toContain('sim-llama-8b back on route quickstart at 100 %');
        },
      ],
      [
        /^npx rollout capture quickstart --enable /,
        async (command) => {
          const { code, output } = await run(command);
          expect(code, output).toBe(0);
          expect(output).toContain(
            'capture on for quickstart: 10% of live chat requests, masking email, phone, card, ipv4, apiKey, dropping user, metadata',
          );
        },
      ],
      [
        /^npx rollout capture quickstart --out captured\.jsonl/,
        async (command) => {
          // 10 % of 20 requests/s: a few seconds give some.
          let output = '';
          await eventually('captured requests written', async () => {
            const result = await run(command);
            expect(result.code, result.output).toBe(0);
            output = result.output;
            return /rollout capture: [1-9]\d* requests of quickstart written to /.test(output);
          });
          const lines = readFileSync(join(workDir, 'captured.jsonl'), 'utf8').trim().split('\n');
          const item = JSON.parse(lines[0]!) as { messages: Array<{ role: string }>; tags: string[] };
          expect(item.tags).toEqual(['captured', 'quickstart']);
          expect(item.messages.some((message) => message.role === 'user')).toBe(true);
        },
      ],
      [
        /^npx rollout audit /,
        async (command) => {
          const { code, output } = await run(command);
          expect(code, output).toBe(0);
          expect(output).toMatch(new RegExp(`${ROLLOUT_ID} +approved before cutover +by alice: dashboards clean`));
        },
      ],
    ];
    await runBlock(rolloutBlock.slice(1), known);
    const result = await client.workflow.getHandle(ROLLOUT_ID).result();
    expect(result.outcome).toBe('reverted');
  }, 420_000);

  it('the temporal CLI block: the same rollout again, started, steered and reverted through Temporal alone', async () => {
    expect(stack, 'the stack from the rollout CLI block').not.toBeNull();
    const known: KnownCommand[] = [
      [
        /^npx rollout plan check examples\/quickstart\.yaml --json --as carol > input\.json$/,
        async (command) => {
          rmSync(join(workDir, 'input.json'), { force: true });
          const { code, output } = await run(command);
          expect(code, output).toBe(0);
          const input = JSON.parse(readFileSync(join(workDir, 'input.json'), 'utf8')) as {
            plan: { rollout: { id: string } };
            requestedBy: string;
          };
          expect(input.plan.rollout.id).toBe(ROLLOUT_ID);
          expect(input.requestedBy).toBe('carol');
        },
      ],
      [
        /^temporal workflow start /,
        async (command) => {
          const { code, output } = await run(command);
          expect(code, output).toBe(0);
          expect(output).toContain(ROLLOUT_ID);
          await eventually(
            'the second run started',
            async () => (await status().catch(() => null))?.requestedBy === 'carol',
          );
        },
      ],
      [
        /^temporal workflow query .* --type status$/,
        async (command) => {
          const { code, output } = await run(command);
          expect(code, output).toBe(0);
          expect(output).toContain(`"rolloutId":"${ROLLOUT_ID}"`);
        },
      ],
      [
        /^temporal workflow signal .* --name (pause|resume) /,
        async (command) => {
          const { code, output } = await run(command);
          expect(code, output).toBe(0);
          if (command.includes('--name pause'))
            await eventually('paused by the signal', async () => (await status()).paused?.by === 'alice');
          else await eventually('resumed by the signal', async () => (await status()).paused === null);
        },
      ],
      [
        /^temporal workflow update execute .* --name approve /,
        async (command) => {
          await waitForPhase('awaiting_approval', 'the gate before cutover open');
          const { code, output } = await run(command);
          expect(code, output).toBe(0);
          expect(output).toContain('alice');
        },
      ],
      [
        /^temporal workflow update execute .* --name revert /,
        async (command) => {
          await waitForPhase('promoted', 'the second run promoted');
          const { code, output } = await run(command);
          expect(code, output).toBe(0);
          const result = await client.workflow.getHandle(ROLLOUT_ID).result();
          expect(result.outcome).toBe('reverted');
          expect(result.reverted?.by).toBe('dave');
        },
      ],
      [
        /^temporal workflow list --query "WorkflowType = 'ModelRolloutWorkflow' AND RolloutOutcome = 'reverted'"$/,
        async (command) => {
          // Visibility catches up with the run's end shortly after.
          await eventually(
            'both runs listed as reverted',
            async () => {
              const { code, output } = await run(command);
              if (code === 0 && output.split(ROLLOUT_ID).length - 1 >= 2) return true;
              await delay(2_000);
              return false;
            },
            30_000,
          );
        },
      ],
    ];
    await runBlock(temporalBlock, known);
    expect(existsSync(join(workDir, 'input.json'))).toBe(true);
  }, 300_000);
});

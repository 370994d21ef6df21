// Hostile plan files (issue 12): whatever a plan file holds — junk in any field, junk at the root,
// random text, alias bombs, deep nesting, self-referring aliases, duplicate keys, huge files, BOMs —
// loading it ends, quickly, either with a plan that `plan check` can describe or with a
// PlanValidationError whose problems name the field or the problem. Never a stack trace, a hang or
// an out-of-memory, and never the value of an API key the plan names.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import '../support/fuzz-seed';
import { stringify as toYaml } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describePlan } from '../../cli/plan-check';
import { loadPlanFile, MAX_PLAN_FILE_BYTES } from '../../plan/load';
import { parsePlan, PlanValidationError } from '../../plan/schema';

const MINIMAL = JSON.parse(readFileSync(new URL('../../examples/minimal.json', import.meta.url), 'utf8'));
const SECRET_ENV = 'FUZZ_PLAN_API_KEY';
const SECRET = 'sk-fuzz-0123456789abcdef-do-not-print';
/** The minimal plan with both backends' keys in a variable that is set: its value must never be printed. */
const BASE = {
  ...MINIMAL,
  backends: {
    baseline: { ...MINIMAL.backends.baseline, apiKeyEnv: SECRET_ENV },
    candidate: { ...MINIMAL.backends.candidate, apiKeyEnv: SECRET_ENV },
  },
};
/** Per input, generously: a 1 MiB file parses in well under a second. */
const MAX_MS_PER_INPUT = 3_000;

/** Fields of the plan, as paths, that the mutations write junk into. */
const FIELD_PATHS: string[][] = [
  ['apiVersion'],
  ['rollout'],
  ['rollout', 'id'],
  ['rollout', 'name'],
  ['backends'],
  ['backends', 'baseline'],
  ['backends', 'baseline', 'baseUrl'],
  ['backends', 'candidate', 'model'],
  ['backends', 'candidate', 'apiKeyEnv'],
  ['backends', 'baseline', 'pricing'],
  ['router'],
  ['router', 'kind'],
  ['router', 'replicas'],
  ['prometheus', 'url'],
  ['metrics'],
  ['stages'],
  ['stages', 'shadow'],
  ['stages', 'shadow', 'window'],
  ['stages', 'shadow', 'share'],
  ['stages', 'shadow', 'compare'],
  ['stages', 'goldenEval'],
  ['stages', 'canary', 'steps'],
  ['stages', 'canary', 'checkInterval'],
  ['stages', 'cutover', 'bake'],
  ['stages', 'cutover', 'revertWindow'],
  ['approvals'],
  ['approvals', 'approvers'],
  ['approvals', 'timeout'],
  ['guardrails', 'errorRate', 'tolerance'],
  ['guardrails', 'latencyDistribution', 'quantiles'],
  ['guardrails', 'score'],
  ['guardrails', 'warmUp'],
  ['notifications'],
];

/** Values a person (or a script) might put in a field by mistake, and some no one would. */
const junk: fc.Arbitrary<unknown> = fc.oneof(
  fc.jsonValue({ maxDepth: 4 }),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.constantFrom(
    '',
    ' ',
    '9'.repeat(400),
    `${'9'.repeat(400)}d`,
    '1e400',
    '-1',
    '1h-30m',
    'NaN',
    '0x10',
    '\u0000',
    '\uFEFF',
    '‮evil',
    '__proto__',
    'toString',
    -0,
    1e308,
    Number.MAX_SAFE_INTEGER + 2,
    -1e-300,
    [],
    {},
    [[[[[]]]]],
    { __proto__: { polluted: true } },
    { toString: 1, valueOf: 1 },
  ),
  fc.integer({ min: 1_000, max: 200_000 }).map((length) => 'x'.repeat(length)),
  fc.integer({ min: 65, max: 3_000 }).map((depth) => nested(depth)),
);

function nested(depth: number): unknown {
  let value: unknown = 'bottom';
  for (let i = 0; i < depth; i++) value = i % 2 ? [value] : { a: value };
  return value;
}

function setPath(plan: Record<string, unknown>, path: string[], value: unknown): Record<string, unknown> {
  const copy = structuredClone(plan);
  let at: Record<string, unknown> = copy;
  for (const key of path.slice(0, -1)) {
    if (at[key] === null || typeof at[key] !== 'object') at[key] = {};
    at = at[key] as Record<string, unknown>;
  }
  at[path.at(-1)!] = value;
  return copy;
}

type Format = 'json' | 'yaml';
const format = fc.constantFrom<Format>('json', 'yaml');

function serialize(value: unknown, as: Format): string {
  if (as === 'json') return JSON.stringify(value);
  try {
    return toYaml(value, { aliasDuplicateObjects: false });
  } catch {
    // Too deep for the yaml package to write (it recurses); JSON is YAML too.
    return JSON.stringify(value);
  }
}

let dir: string;
let counter = 0;
const inputs = { mutated: 0, roots: 0, text: 0, attacks: 0, cli: 0, objects: 0 };

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'fuzz-plan-'));
  process.env[SECRET_ENV] = SECRET;
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
  delete process.env[SECRET_ENV];
  const total = Object.values(inputs).reduce((sum, n) => sum + n, 0);
  console.log(
    `plan files: ${total} inputs (${inputs.mutated} plans with a junk field, ${inputs.roots} junk roots, ` +
      `${inputs.text} random texts, ${inputs.attacks} structural attacks, ${inputs.objects} objects to parsePlan, ` +
      `${inputs.cli} through the CLI)`,
  );
});

/** Every string in a value, longest first (so a short one never cuts a longer one apart). */
function stringLeaves(value: unknown): string[] {
  const leaves: string[] = [];
  const walk = (node: unknown) => {
    if (typeof node === 'string') leaves.push(node);
    else if (node && typeof node === 'object') for (const child of Object.values(node)) walk(child);
  };
  walk(value);
  return leaves.sort((a, b) => b.length - a.length);
}

/**
 * Loads `text` as a plan file and checks the outcome: a plan that `plan check` describes, or a
 * PlanValidationError of non-empty problems. Either way in bounded time and without the secret.
 * Returns the problems (empty when the plan loaded).
 */
async function loadOutcome(text: string, as: Format): Promise<string[]> {
  const path = join(dir, `plan-${counter++}.${as}`);
  writeFileSync(path, text);
  const started = performance.now();
  let problems: string[] = [];
  try {
    const plan = await loadPlanFile(path);
    const described = describePlan(plan);
    expect(described).not.toContain(SECRET);
    // What the plan says itself (a model named "NaN") is left out: only what describing it made up counts.
    const madeUp = stringLeaves(plan).reduce((text, leaf) => (leaf ? text.split(leaf).join('') : text), described);
    expect(madeUp).not.toMatch(/NaN|Infinity|undefined|\[object Object\]/);
    // What `plan check --json` prints and the workflow is started with: it serializes, and parses back the same.
    const json = JSON.stringify({ plan });
    // Compared as JSON, which has no -0 (YAML reads "-0" as -0; the round trip gives 0).
    expect(JSON.stringify({ plan: parsePlan(JSON.parse(json).plan) })).toBe(json);
  } catch (error) {
    if (!(error instanceof PlanValidationError)) throw error;
    problems = error.problems;
    expect(problems.length).toBeGreaterThan(0);
    for (const problem of problems) {
      expect(problem).toMatch(/\S: \S/);
      // The field or file first, then what is wrong; bounded, whatever the input's size.
      expect(problem.length).toBeLessThan(2_000);
    }
    expect(error.message).not.toContain(SECRET);
    expect(error.message).not.toMatch(/\n\s+at \S+ \(/);
  } finally {
    rmSync(path, { force: true });
  }
  expect(performance.now() - started).toBeLessThan(MAX_MS_PER_INPUT);
  return problems;
}

describe('fuzz: plan files', () => {
  it('a plan with junk in one field is refused naming that field (or loads and is described)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...FIELD_PATHS), junk, format, async (path, value, as) => {
        inputs.mutated++;
        const problems = await loadOutcome(serialize(setPath(BASE, path, value), as), as);
        // Which field a problem names: its own path or one around or inside it. A junk field that
        // happens to be valid (a string for a name) loads; a deep one is named by where it starts.
        // YAML too deep for the parser is named by the file.
        if (problems.length > 0)
          expect(
            problems.some((p) => p.startsWith(path[0]!) || p.startsWith('(') || p.startsWith(dir)),
            problems.join('\n'),
          ).toBe(true);
      }),
      { numRuns: 400 },
    );
  });

  it('a file whose root is not a mapping is refused as such', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(fc.jsonValue({ maxDepth: 3 }).filter((v) => v === null || typeof v !== 'object' || Array.isArray(v))),
        format,
        async (root, as) => {
          inputs.roots++;
          const problems = await loadOutcome(serialize(root, as), as);
          expect(problems.length).toBeGreaterThan(0);
        },
      ),
      { numRuns: 100 },
    );
  });

  it('random text, unicode included, is refused or (rarely) a plan, never a crash', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.string({ unit: 'grapheme', maxLength: 200 }),
          fc.string({ unit: 'binary', maxLength: 200 }),
          fc.string({
            unit: fc.constantFrom(
              '{',
              '}',
              '[',
              ']',
              ':',
              ',',
              '"',
              '&a ',
              '*a',
              '\n',
              ' ',
              '-',
              '!!',
              '#',
              '\r\n',
              '\uFEFF',
            ),
            maxLength: 200,
          }),
        ),
        format,
        async (text, as) => {
          inputs.text++;
          await loadOutcome(text, as);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('alias bombs, self-referring aliases, deep nesting, duplicate keys and huge files are refused with the reason', async () => {
    const attack = fc.oneof(
      // "Billion laughs": each level refers `width` times to the one below.
      fc.record({
        kind: fc.constant('bomb' as const),
        width: fc.integer({ min: 2, max: 12 }),
        depth: fc.integer({ min: 2, max: 12 }),
      }),
      fc.record({
        kind: fc.constant('cycle' as const),
        under: fc.constantFrom('stages.shadow.compare.schema', 'rollout.name', 'metrics'),
      }),
      fc.record({ kind: fc.constant('deep' as const), depth: fc.integer({ min: 65, max: 20_000 }), as: format }),
      fc.record({ kind: fc.constant('duplicate' as const), key: fc.constantFrom('rollout', 'backends', 'approvals') }),
      fc.record({
        kind: fc.constant('huge' as const),
        extra: fc.integer({ min: 1, max: 4 * MAX_PLAN_FILE_BYTES }),
        as: format,
      }),
    );
    await fc.assert(
      fc.asyncProperty(attack, async (a) => {
        inputs.attacks++;
        let text: string;
        let as: Format = 'yaml';
        let reason: RegExp;
        const base = toYaml(BASE);
        switch (a.kind) {
          case 'bomb': {
            const levels = [`l0: &l0 ${JSON.stringify(Array(a.width).fill('lol'))}`];
            for (let i = 1; i <= a.depth; i++)
              levels.push(
                `l${i}: &l${i} [${Array(a.width)
                  .fill(`*l${i - 1}`)
                  .join(', ')}]`,
              );
            text = `${levels.join('\n')}\n${base}`;
            // A small one expands and is refused for its unknown fields; one that would expand to
            // more than ten thousand values is refused as an attack, before it is expanded.
            reason = a.width ** a.depth > 10_000 ? /resource exhaustion/ : /resource exhaustion|l0: unknown field/;
            break;
          }
          case 'cycle': {
            const plan = setPath(BASE, a.under.split('.'), { loop: 'ALIAS' });
            // The whole plan anchored, and referred to from inside itself.
            text = `--- &root\n${toYaml(plan).replace('loop: ALIAS', 'loop: *root')}`;
            reason = /nested more than|unknown field|expected/;
            break;
          }
          case 'deep': {
            as = a.as;
            const inner = '['.repeat(a.depth) + ']'.repeat(a.depth);
            text =
              as === 'json'
                ? JSON.stringify(BASE).replace('"alice"', `"alice", ${inner}`)
                : base.replace('    - alice', `    - alice\n    - ${inner}`);
            reason = /nested more than|nested too deeply to read|approvals\.approvers/;
            break;
          }
          case 'duplicate':
            text = `${base}${a.key}: {}\n`;
            reason = /Map keys must be unique/;
            break;
          case 'huge':
            as = a.as;
            text =
              as === 'json'
                ? JSON.stringify({
                    ...BASE,
                    rollout: { ...BASE.rollout, description: 'x'.repeat(MAX_PLAN_FILE_BYTES + a.extra) },
                  })
                : `${base}# ${'x'.repeat(MAX_PLAN_FILE_BYTES + a.extra)}\n`;
            reason = /at most 1048576 bytes \(1 MiB\)/;
            break;
        }
        const problems = await loadOutcome(text, as);
        expect(problems.join('\n')).toMatch(reason);
      }),
      { numRuns: 100 },
    );
  });

  it('parsePlan, as the workflow calls it on a plan sent raw, refuses a cyclic or huge object without overflowing', () => {
    const values = {
      cycle: () => {
        const loop: Record<string, unknown> = {};
        loop.self = loop;
        return loop;
      },
      wide: () => Object.fromEntries(Array.from({ length: 150_000 }, (_, i) => [`k${i}`, i])),
      deep: () => nested(50_000),
    };
    // The free-form JSON Schema field takes any object: only the shape check stands between it and the stack.
    const schemaField = ['stages', 'shadow', 'compare', 'schema'];
    fc.assert(
      fc.property(
        fc.constantFrom(...(Object.keys(values) as Array<keyof typeof values>)),
        fc.oneof(fc.constant(schemaField), fc.constantFrom(...FIELD_PATHS)),
        (kind, path) => {
          inputs.objects++;
          let thrown: unknown;
          try {
            parsePlan(setPath(BASE, path, values[kind]()));
          } catch (error) {
            thrown = error;
          }
          expect(thrown).toBeInstanceOf(PlanValidationError);
          expect((thrown as Error).message).not.toContain(SECRET);
          if (path === schemaField) expect((thrown as Error).message).toMatch(/values|nested more than/);
        },
      ),
      // Few runs: each builds an object of 150,000 keys or 50,000 levels, and two test files run at once.
      { numRuns: 12, examples: Object.keys(values).map((kind) => [kind as keyof typeof values, schemaField]) },
    );
  });

  it('`rollout plan check` prints one clear line per problem, never a stack trace', () => {
    const deep = '['.repeat(100_000) + ']'.repeat(100_000);
    const files: Array<[string, string, RegExp]> = [
      ['deep.json', JSON.stringify(BASE).replace('"alice"', `"alice", ${deep}`), /nested more than 64 levels/],
      [
        'cycle.yaml',
        `${toYaml(BASE)}stages: &s\n  shadow: { compare: { schema: { x: *s } } }\n`,
        /nested more than 64 levels/,
      ],
      ['huge.yaml', `${toYaml(BASE)}# ${'x'.repeat(MAX_PLAN_FILE_BYTES)}\n`, /at most 1048576 bytes/],
      ['empty.yaml', '', /: the file is empty/],
      [
        'bom.json',
        `\uFEFF${JSON.stringify({ ...BASE, stages: { shadow: { window: '9'.repeat(400) } } })}`,
        /stages\.shadow\.window: expected a duration/,
      ],
      ['root.yaml', '- a\n- b\n', /\(plan\): .*expected object/],
    ];
    for (const [name, text, expected] of files) {
      inputs.cli++;
      const path = join(dir, name);
      writeFileSync(path, text);
      const run = spawnSync(process.execPath, ['bin/rollout.mjs', 'plan', 'check', '--json', path], {
        encoding: 'utf8',
        timeout: 30_000,
        env: { ...process.env, [SECRET_ENV]: SECRET },
      });
      expect(run.status, `${name}: ${run.stderr}`).toBe(1);
      expect(run.stderr).toMatch(/^rollout: invalid rollout plan:\n {2}- /);
      expect(run.stderr).toMatch(expected);
      expect(run.stderr).not.toMatch(/\n\s+at /);
      expect(run.stderr + run.stdout).not.toContain(SECRET);
    }
  }, 120_000);
});

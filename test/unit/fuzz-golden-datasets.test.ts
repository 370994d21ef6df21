// Hostile golden datasets (issue 12): whatever the JSONL holds — a broken line among good ones,
// wrong types, huge lines, a BOM, CRLF, unicode, an empty file — parsing ends quickly with the
// items, or with an InvalidDatasetError naming file and line of every problem (at most a screenful
// of them); and the eval activity turns it into the non-retryable InvalidDataset failure.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import fc from 'fast-check';
import '../support/fuzz-seed';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GoldenEvalInput } from '../../activities/contract';
import { createEvalActivities } from '../../activities/evals';
import {
  InvalidDatasetError,
  MAX_LINE_CHARS,
  MAX_PROBLEMS_COUNTED,
  MAX_PROBLEMS_LISTED,
  parseGoldenDataset,
} from '../../evals/golden-dataset';
import { parsePlan } from '../../plan/schema';
import { FailureType } from '../../workflows/failure-types';

const SOURCE = 'golden.jsonl';
const MAX_MS_PER_INPUT = 2_000;
const inputs = { mixed: 0, text: 0, endings: 0, huge: 0, activity: 0 };

const text = fc.string({ unit: 'grapheme', maxLength: 30 });
const goodItem = fc.record(
  {
    id: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 12 }),
    messages: fc.array(
      fc.record({ role: fc.constantFrom('system', 'user', 'assistant'), content: fc.string({ unit: 'grapheme' }) }),
      { minLength: 1, maxLength: 3 },
    ),
    expected: text,
    match: fc.constantFrom('exact', 'contains'),
    tags: fc.array(text, { maxLength: 3 }),
  },
  { requiredKeys: ['messages'] },
);
/** A good item with one field made wrong: each is a line the parser must refuse. */
const badItem = fc.oneof(
  goodItem.map((item) => ({ ...item, messages: [] })),
  fc
    .tuple(
      goodItem,
      fc.constantFrom('messages', 'expected', 'match', 'tags', 'schema', 'id'),
      fc.oneof(fc.integer(), fc.constant(null), fc.array(fc.integer(), { minLength: 1 }), fc.constant(true)),
    )
    .map(([item, field, value]) => ({ ...item, [field]: value })),
  goodItem.map((item) => ({ ...item, messages: [{ role: 'robot', content: 'hi' }] })),
  goodItem.map((item) => ({ ...item, unknownField: 1 })),
  goodItem.map((item) => ({ ...item, expected: '(unclosed', match: 'regex' })),
  goodItem.map((item) => ({ ...item, schema: { type: 'no-such-type' } })),
);
/** A line that is not an object at all. */
const brokenLine = fc.oneof(
  fc
    .jsonValue({ maxDepth: 2 })
    .filter((v) => v === null || typeof v !== 'object' || Array.isArray(v))
    .map((v) => JSON.stringify(v)),
  goodItem.map((item) => JSON.stringify(item).slice(0, -1)),
  fc.constantFrom('{', '}', '{"messages": [', 'undefined', 'NaN', "{'single': 'quotes'}", '{"a":1}{"b":2}', '\u0000'),
);

/**
 * Parses `body` and checks the outcome: items, or an InvalidDatasetError whose every listed problem
 * starts `golden.jsonl:<line>: `. Returns the line numbers named (empty when it parsed).
 */
function namedLines(body: string): number[] {
  const started = performance.now();
  try {
    parseGoldenDataset(body, SOURCE);
    return [];
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidDatasetError);
    const message = (error as Error).message;
    expect(message).not.toMatch(/\n\s+at \S+ \(/);
    const lines = message.split('\n').slice(1);
    expect(lines.length).toBeLessThanOrEqual(MAX_PROBLEMS_LISTED + 1);
    if (message.startsWith(`golden dataset ${SOURCE} has no items`)) return [];
    const named: number[] = [];
    for (const line of lines) {
      if (line.startsWith('  … and ')) continue;
      const match = /^ {2}- golden\.jsonl:(\d+): \S/.exec(line);
      expect(match, line.slice(0, 200)).not.toBeNull();
      // One line per problem, bounded whatever the input's size.
      expect(line.length).toBeLessThan(2_000);
      named.push(Number(match![1]));
    }
    return named;
  } finally {
    expect(performance.now() - started).toBeLessThan(MAX_MS_PER_INPUT);
  }
}

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'fuzz-golden-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
  const total = Object.values(inputs).reduce((sum, n) => sum + n, 0);
  console.log(
    `golden datasets: ${total} inputs (${inputs.mixed} files of good and bad lines, ${inputs.text} random texts, ` +
      `${inputs.endings} BOM/CRLF/blank-line variants, ${inputs.huge} huge lines or many bad lines, ${inputs.activity} through the eval activity)`,
  );
});

describe('fuzz: golden datasets', () => {
  it('names exactly the bad lines of a file of good and bad ones, by line number', () => {
    const line = fc.oneof(
      { arbitrary: goodItem.map((item) => ({ good: true, text: JSON.stringify(item) })), weight: 3 },
      { arbitrary: badItem.map((item) => ({ good: false, text: JSON.stringify(item) })), weight: 1 },
      { arbitrary: brokenLine.map((text) => ({ good: false, text })), weight: 1 },
    );
    fc.assert(
      fc.property(fc.array(line, { minLength: 1, maxLength: 15 }), (lines) => {
        inputs.mixed++;
        // Unique ids, so the only problems are the bad lines.
        const body = lines
          .map((l, i) => (l.good ? JSON.stringify({ ...JSON.parse(l.text), id: `item-${i}` }) : l.text))
          .join('\n');
        const bad = lines.flatMap((l, i) => (l.good ? [] : [i + 1]));
        const named = [...new Set(namedLines(body))];
        // In file order, from the first bad line; all of them unless the list was cut at its cap.
        expect(named).toEqual(bad.slice(0, named.length));
        if (named.length < bad.length)
          expect(() => parseGoldenDataset(body, SOURCE)).toThrow(/… and \d+ more problems/);
      }),
      { numRuns: 300 },
    );
  });

  it('random text, unicode and control characters included, is refused line by line, never a crash', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ unit: 'grapheme', maxLength: 300 }),
          fc.string({ unit: 'binary', maxLength: 300 }),
          fc
            .array(
              fc.string({
                unit: fc.constantFrom('{', '}', '[', ']', ':', ',', '"', '\\', 'a', '1', ' ', '\n', '\r\n', '\uFEFF'),
              }),
              { maxLength: 20 },
            )
            .map((parts) => parts.join('')),
        ),
        (body) => {
          inputs.text++;
          namedLines(body);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('reads the same items through a BOM, CRLF line endings and blank lines', () => {
    fc.assert(
      fc.property(
        fc.array(goodItem, { minLength: 1, maxLength: 8 }),
        fc.boolean(),
        fc.constantFrom('\n', '\r\n'),
        fc.constantFrom('', '\n', '\r\n', '\n\n   \n'),
        (items, bom, eol, trailer) => {
          inputs.endings++;
          const lines = items.map((item, i) => JSON.stringify({ ...item, id: `item-${i}` }));
          const plain = parseGoldenDataset(lines.join('\n'), SOURCE);
          const body = `${bom ? '\uFEFF' : ''}${lines.join(eol)}${trailer}`;
          expect(namedLines(body)).toEqual([]);
          expect(parseGoldenDataset(body, SOURCE)).toEqual(plain);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('refuses a huge line by its line number, and lists at most a screenful of a million bad lines', () => {
    const good = JSON.stringify({ id: 'ok', messages: [{ role: 'user', content: 'hi' }] });
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 3 * MAX_LINE_CHARS }), fc.integer({ min: 0, max: 3 }), (extra, at) => {
        inputs.huge++;
        const huge = JSON.stringify({
          id: 'big',
          messages: [{ role: 'user', content: 'x'.repeat(MAX_LINE_CHARS + extra) }],
        });
        const lines = [good, good, good];
        lines.splice(at, 0, huge);
        const body = lines.map((l, i) => l.replace('"ok"', `"ok-${i}"`)).join('\n');
        expect(namedLines(body)).toEqual([at + 1]);
        expect(() => parseGoldenDataset(body, SOURCE)).toThrow(/characters; an item is at most 1048576/);
      }),
      { numRuns: 20 },
    );
    inputs.huge++;
    const many = Array.from({ length: 1_000_000 }, () => '{').join('\n');
    expect(namedLines(many)).toHaveLength(MAX_PROBLEMS_LISTED);
    // Reading stops after a thousand problems: such a file is not a dataset with mistakes.
    expect(() => parseGoldenDataset(many, SOURCE)).toThrow(
      `… and ${MAX_PROBLEMS_COUNTED - MAX_PROBLEMS_LISTED} more problems (reading stopped at line ${MAX_PROBLEMS_COUNTED + 1})`,
    );
  });

  it('the eval activity fails a bad dataset as non-retryable InvalidDataset, before sending anything', async () => {
    // Unreachable backends: the dataset is refused before any request, so nothing is sent.
    const plan = parsePlan({
      rollout: { id: 'fuzz-golden' },
      backends: {
        baseline: { baseUrl: 'http://127.0.0.1:9/v1', model: 'base' },
        candidate: { baseUrl: 'http://127.0.0.1:9/v1', model: 'cand' },
      },
      approvals: { approvers: ['alice'] },
      stages: { goldenEval: { enabled: true, dataset: '/unused.jsonl' } },
    });
    const environment = new MockActivityEnvironment(undefined, { logger: new DefaultLogger('ERROR') });
    const activities = createEvalActivities();
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.array(brokenLine, { minLength: 1, maxLength: 5 }).map((lines) => lines.join('\n')),
          fc
            .array(badItem, { minLength: 1, maxLength: 5 })
            .map((items) => items.map((i) => JSON.stringify(i)).join('\r\n')),
          fc.constantFrom('', '\uFEFF', '\n\n', `${'{'.repeat(MAX_LINE_CHARS + 1)}`),
        ),
        async (body) => {
          inputs.activity++;
          const path = join(dir, `d-${inputs.activity}.jsonl`);
          writeFileSync(path, body);
          const input: GoldenEvalInput = {
            rolloutId: 'fuzz-golden',
            stage: 'golden_eval',
            config: { ...plan.stages.goldenEval, dataset: path },
            baseline: plan.backends.baseline,
            candidate: plan.backends.candidate,
            guardrails: plan.guardrails,
          };
          const error = await environment.run(activities.runGoldenEval, input).then(
            () => null,
            (e: unknown) => e,
          );
          expect(error).toBeInstanceOf(ApplicationFailure);
          expect((error as ApplicationFailure).type).toBe(FailureType.InvalidDataset);
          expect((error as ApplicationFailure).nonRetryable).toBe(true);
          expect((error as ApplicationFailure).message).toMatch(new RegExp(`${path}(:\\d+: | has no items)`));
        },
      ),
      { numRuns: 60 },
    );
    // A directory and a missing file are bad datasets too.
    for (const path of [dir, join(dir, 'missing.jsonl')]) {
      inputs.activity++;
      const input: GoldenEvalInput = {
        rolloutId: 'fuzz-golden',
        stage: 'golden_eval',
        config: { ...plan.stages.goldenEval, dataset: path },
        baseline: plan.backends.baseline,
        candidate: plan.backends.candidate,
        guardrails: plan.guardrails,
      };
      const error = await environment.run(activities.runGoldenEval, input).catch((e: unknown) => e);
      expect((error as ApplicationFailure).type).toBe(FailureType.InvalidDataset);
    }
  });
});

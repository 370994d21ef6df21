// The golden dataset gate: a bad dataset must be refused up front with every problem located
// (file:line), and the answer checks must score exactly what the item asks for.
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { checkAnswer } from '../../evals/exact-checks';
import {
  InvalidDatasetError,
  loadGoldenDataset,
  parseGoldenDataset,
  type GoldenItem,
} from '../../evals/golden-dataset';

const SUPPORT_BOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../examples/golden/support-bot.jsonl');
const USER = [{ role: 'user', content: 'How do I reset my password?' }];

const line = (item: Record<string, unknown>) => JSON.stringify(item);

/** The InvalidDatasetError message for `text`; fails the test if the dataset is accepted. */
function datasetError(text: string, source = 'golden.jsonl'): string {
  try {
    parseGoldenDataset(text, source);
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidDatasetError);
    expect((error as Error).name).toBe('InvalidDatasetError');
    return (error as Error).message;
  }
  throw new Error('expected the dataset to be rejected, but it parsed');
}

function item(overrides: Partial<GoldenItem>): GoldenItem {
  return { id: 'x', messages: USER as GoldenItem['messages'], match: 'contains', tags: [], ...overrides };
}

describe('parseGoldenDataset', () => {
  it('parses items with defaults, skips blank lines and names unnamed items by line', () => {
    const text = [
      line({ id: 'pw-1', messages: USER, expected: 'reset', tags: ['account'] }),
      '',
      '   ',
      line({ messages: USER, expected: '^\\d+$', match: 'regex' }),
      line({ id: 'json-1', messages: USER, schema: { type: 'object', required: ['answer'] } }),
    ].join('\n');
    const items = parseGoldenDataset(text, 'golden.jsonl');
    expect(items).toEqual([
      { id: 'pw-1', messages: USER, expected: 'reset', match: 'contains', tags: ['account'] },
      { id: 'line-4', messages: USER, expected: '^\\d+$', match: 'regex', tags: [] },
      { id: 'json-1', messages: USER, match: 'contains', tags: [], schema: { type: 'object', required: ['answer'] } },
    ]);
  });

  it('accepts Windows line endings', () => {
    const text = `${line({ id: 'a', messages: USER })}\r\n${line({ id: 'b', messages: USER })}\r\n`;
    expect(parseGoldenDataset(text, 'crlf.jsonl').map((i) => i.id)).toEqual(['a', 'b']);
  });

  it('lists every problem in the file with file:line, not just the first', () => {
    // Protects the release owner's time: one run shows everything to fix.
    const text = [
      '{"id": "broken", "messages": [',
      line({ id: 'no-messages', expected: 'x' }),
      line({ id: 'bad-regex', messages: USER, expected: '(unclosed', match: 'regex' }),
      line({ id: 'twice', messages: USER }),
      line({ id: 'twice', messages: USER }),
      line({ id: 'bad-schema', messages: USER, schema: { type: 'nonsense' } }),
      line({ id: 'bad-role', messages: [{ role: 'robot', content: 'hi' }] }),
      line({ id: 'extra', messages: USER, expect: 'typo' }),
    ].join('\n');
    const message = datasetError(text, 'data/golden.jsonl');
    const problems = message.split('\n').slice(1);
    expect(message.split('\n')[0]).toBe('invalid golden dataset data/golden.jsonl:');
    expect(problems).toHaveLength(7);
    expect(problems[0]).toMatch(/^ {2}- data\/golden\.jsonl:1: not valid JSON \(/);
    expect(problems[1]).toBe('  - data/golden.jsonl:2: messages: required');
    expect(problems[2]).toMatch(
      /^ {2}- data\/golden\.jsonl:3: expected: not a valid regular expression \(.*Unterminated group/,
    );
    expect(problems[3]).toBe('  - data/golden.jsonl:5: duplicate id "twice"');
    // A schema Ajv cannot compile is a dataset problem, found before any request is sent.
    expect(problems[4]).toMatch(
      /^ {2}- data\/golden\.jsonl:6: schema: not a valid JSON Schema \(schema is invalid: data\/type must be equal to one of the allowed values/,
    );
    expect(problems[5]).toMatch(/^ {2}- data\/golden\.jsonl:7: messages\[0\]\.role: /);
    expect(problems[6]).toBe('  - data/golden.jsonl:8: expect: unknown field');
  });

  it('rejects an item with an empty message list', () => {
    expect(datasetError(line({ id: 'a', messages: [] }))).toBe(
      'invalid golden dataset golden.jsonl:\n  - golden.jsonl:1: messages: at least one message',
    );
  });

  it('rejects an empty dataset: no items is never a passed eval', () => {
    expect(datasetError('')).toBe('golden dataset golden.jsonl has no items');
    expect(datasetError('\n  \n\n')).toBe('golden dataset golden.jsonl has no items');
  });

  it('loads the shipped support-bot dataset', async () => {
    // Protects the example plan's golden stage: the file it points at must stay valid.
    const items = await loadGoldenDataset(SUPPORT_BOT);
    expect(items).toHaveLength(20);
    expect(items.map((i) => i.id)).toEqual(
      Array.from({ length: 20 }, (_, n) => `support-${String(n + 1).padStart(2, '0')}`),
    );
    expect(items.filter((i) => i.schema).length).toBe(10);
    expect(items.filter((i) => i.match === 'regex' && i.expected !== undefined).length).toBe(10);
  });

  it('reports an unreadable dataset file with its path', async () => {
    await expect(loadGoldenDataset('/nonexistent/golden.jsonl')).rejects.toThrow(
      /^cannot read golden dataset \/nonexistent\/golden\.jsonl: ENOENT/,
    );
    await expect(loadGoldenDataset('/nonexistent/golden.jsonl')).rejects.toBeInstanceOf(InvalidDatasetError);
  });
});

describe('checkAnswer', () => {
  it('exact: equal after trimming, collapsing whitespace and ignoring case', () => {
    const exact = item({ expected: 'The answer is 42', match: 'exact' });
    expect(checkAnswer(exact, '  the ANSWER\n  is 42 ')).toEqual({ passed: true, failures: [] });
    expect(checkAnswer(exact, 'The answer is 42.')).toEqual({
      passed: false,
      failures: ['exact "The answer is 42" not matched'],
    });
    expect(checkAnswer(exact, 'I think the answer is 42')).toEqual({
      passed: false,
      failures: ['exact "The answer is 42" not matched'],
    });
  });

  it('contains: a case-insensitive substring', () => {
    const contains = item({ expected: 'Reset Link' });
    expect(checkAnswer(contains, 'We emailed you a reset   link.')).toEqual({ passed: true, failures: [] });
    expect(checkAnswer(contains, 'Call support.')).toEqual({
      passed: false,
      failures: ['contains "Reset Link" not matched'],
    });
  });

  it('regex: a case-insensitive search on the raw answer', () => {
    const regex = item({ expected: '^order #\\d{4}$', match: 'regex' });
    expect(checkAnswer(regex, 'ORDER #1234')).toEqual({ passed: true, failures: [] });
    expect(checkAnswer(regex, 'order #12345')).toEqual({
      passed: false,
      failures: ['regex "^order #\\\\d{4}$" not matched'],
    });
  });

  it('schema: valid JSON matching the schema passes; a violation says where', () => {
    const schema = {
      type: 'object',
      required: ['answer', 'confidence'],
      properties: { answer: { type: 'string' }, confidence: { type: 'number', maximum: 1 } },
    };
    const json = item({ schema });
    expect(checkAnswer(json, '{"answer": "Use the reset link.", "confidence": 0.9}')).toEqual({
      passed: true,
      failures: [],
    });
    expect(checkAnswer(json, '{"answer": "Use the reset link.", "confidence": 2}')).toEqual({
      passed: false,
      failures: ['schema: data/confidence must be <= 1'],
    });
    expect(checkAnswer(json, '{"confidence": 0.5}')).toEqual({
      passed: false,
      failures: ["schema: data must have required property 'answer'"],
    });
  });

  it('schema: an answer that is not JSON fails, and says so', () => {
    // The simulator's broken JSON is a truncated object: exactly this case.
    const json = item({ schema: { type: 'object' } });
    expect(checkAnswer(json, '{"answer": "Use the re')).toEqual({
      passed: false,
      failures: ['answer is not valid JSON'],
    });
  });

  it('reports both failures when the text and the schema are both wrong', () => {
    const both = item({ expected: 'refund', schema: { type: 'object', required: ['answer'] } });
    expect(checkAnswer(both, '{"reply": "no"}')).toEqual({
      passed: false,
      failures: ['contains "refund" not matched', "schema: data must have required property 'answer'"],
    });
  });

  it('gives passed null (not a pass) for an item with nothing to check', () => {
    // Protects the verdict: unscored items are counted, never scored as passes.
    expect(checkAnswer(item({}), 'anything at all')).toEqual({ passed: null, failures: [] });
    expect(checkAnswer(item({ match: 'regex' }), '')).toEqual({ passed: null, failures: [] });
  });
});

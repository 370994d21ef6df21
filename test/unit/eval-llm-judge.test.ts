// The rubric judge's prompt, random order and parsing: whatever the judge answers, the result is
// a full set of 1–5 scores mapped to the right side, or a JudgeParseError saying what is wrong.
import { describe, expect, it } from 'vitest';
import {
  buildJudgeMessages,
  JudgeParseError,
  judgeOrder,
  MAX_JUDGED_CHARS,
  parseJudgeScores,
} from '../../evals/llm-judge';
import { DEFAULT_RUBRIC } from '../../plan/golden-eval-schema';

const CRITERIA = DEFAULT_RUBRIC.map((c) => ({ ...c }));
const full = (a: number, b: number) =>
  JSON.stringify({
    A: Object.fromEntries(CRITERIA.map((c) => [c.name, a])),
    B: Object.fromEntries(CRITERIA.map((c) => [c.name, b])),
  });

function parseError(text: string): string {
  try {
    parseJudgeScores(text, CRITERIA);
  } catch (error) {
    expect(error).toBeInstanceOf(JudgeParseError);
    return (error as Error).message;
  }
  throw new Error('expected a parse error');
}

describe('buildJudgeMessages', () => {
  it('asks a grader for JSON scores on each criterion and puts the answers between tags', () => {
    const [system, user] = buildJudgeMessages(
      CRITERIA,
      {
        messages: [
          { role: 'system', content: 'Be brief.' },
          { role: 'user', content: 'How do I reset my password?' },
        ],
        expected: 'Use the reset link.',
      },
      'first answer',
      'second answer',
    );
    expect(system!.role).toBe('system');
    expect(system!.content).toMatch(/^You are an impartial grader\./);
    for (const c of CRITERIA) expect(system!.content).toContain(`- ${c.name}: ${c.description}`);
    expect(system!.content).toContain(
      'Respond with only a JSON object, no prose: {"A": {"completeness": <1-5>, "directness": <1-5>, "helpfulness": <1-5>, "clarity": <1-5>}, "B": {…the same criteria…}}',
    );
    expect(user!.content).toBe(
      [
        '<request>',
        '[system]\nBe brief.\n\n[user]\nHow do I reset my password?',
        '</request>',
        '<reference>',
        'Use the reset link.',
        '</reference>',
        '<answer_a>',
        'first answer',
        '</answer_a>',
        '<answer_b>',
        'second answer',
        '</answer_b>',
      ].join('\n'),
    );
  });

  it('cuts very long answers and says so', () => {
    const [, user] = buildJudgeMessages(
      CRITERIA,
      { messages: [{ role: 'user', content: 'q' }] },
      'x'.repeat(MAX_JUDGED_CHARS + 50),
      'short',
    );
    expect(user!.content).toContain(`[… cut at ${MAX_JUDGED_CHARS} characters]`);
    expect(user!.content).not.toContain('<reference>');
  });
});

describe('judgeOrder', () => {
  it('is deterministic per key and seed, and about half of the items go each way', () => {
    const keys = Array.from({ length: 400 }, (_, i) => `item-${i}`);
    const orders = keys.map((key) => judgeOrder(1, key));
    expect(keys.map((key) => judgeOrder(1, key))).toEqual(orders);
    const first = orders.filter((o) => o === 'baseline_first').length;
    expect(first).toBeGreaterThan(160);
    expect(first).toBeLessThan(240);
    expect(keys.map((key) => judgeOrder(2, key))).not.toEqual(orders);
  });
});

describe('parseJudgeScores', () => {
  it('reads plain JSON, fenced JSON, JSON inside prose, and a/b or answer_a/answer_b keys', () => {
    expect(parseJudgeScores(full(4, 2), CRITERIA)).toEqual({
      A: { completeness: 4, directness: 4, helpfulness: 4, clarity: 4 },
      B: { completeness: 2, directness: 2, helpfulness: 2, clarity: 2 },
    });
    expect(parseJudgeScores(`\`\`\`json\n${full(5, 1)}\n\`\`\``, CRITERIA).B.clarity).toBe(1);
    expect(parseJudgeScores(`Here are my scores: ${full(3, 3)} Hope this helps.`, CRITERIA).A.completeness).toBe(3);
    const lower = JSON.stringify({
      answer_a: { completeness: 5, directness: 5, helpfulness: 5, clarity: '4' },
      b: { completeness: 1, directness: 1, helpfulness: 1, clarity: 1.5 },
    });
    expect(parseJudgeScores(lower, CRITERIA)).toEqual({
      A: { completeness: 5, directness: 5, helpfulness: 5, clarity: 4 },
      B: { completeness: 1, directness: 1, helpfulness: 1, clarity: 1.5 },
    });
  });

  it('says what is wrong with an answer it cannot use', () => {
    expect(parseError('Both answers look fine to me.')).toBe('not JSON: "Both answers look fine to me."');
    expect(parseError('{"A": {"completeness": 5}}')).toBe('expected a JSON object with "A" and "B" score objects');
    expect(
      parseError(
        JSON.stringify({
          A: { completeness: 5, directness: 5, helpfulness: 5 },
          B: { completeness: 5, directness: 5, helpfulness: 5, clarity: 5 },
        }),
      ),
    ).toBe('no "clarity" score for answer A');
    expect(parseError(full(4, 7))).toBe('"completeness" score for answer B is 7, not a number from 1 to 5');
    expect(parseError(full(4, 0))).toBe('"completeness" score for answer B is 0, not a number from 1 to 5');
    expect(
      parseError(JSON.stringify({ A: { completeness: 'great', directness: 5, helpfulness: 5, clarity: 5 }, B: {} })),
    ).toBe('"completeness" score for answer A is "great", not a number from 1 to 5');
  });
});

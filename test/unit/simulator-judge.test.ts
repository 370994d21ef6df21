// The SIMULATED judge: it recognises a grading request in evals/llm-judge.ts's format and scores
// documented features of the two answers, independently of the order they are shown in.
import { describe, expect, it } from 'vitest';
import { buildJudgeMessages, parseJudgeScores } from '../../evals/llm-judge';
import { DEFAULT_RUBRIC } from '../../plan/golden-eval-schema';
import { DEFAULT_STYLE, styledProse } from '../../simulator/answer-style';
import { DEFAULT_BEHAVIOUR } from '../../simulator/behaviour';
import { chatAnswer } from '../../simulator/chat-answer';
import { answerFeatures, isJudgeRequest, judgeAnswer, MALFORMED_JUDGE_ANSWER } from '../../simulator/judge-answer';
import { parseChatRequest } from '../../simulator/openai-requests';
import { REFUSAL_SENTENCES } from '../../simulator/text-generation';

const CRITERIA = DEFAULT_RUBRIC.map((c) => ({ ...c }));
const NO_FAULTS = { latencyMs: 0, failureStatus: null, refuse: false, breakJson: false } as const;
const PROMPT = 'How do I reset my password if I lost access to my email?';

function grade(a: string, b: string, behaviour = DEFAULT_BEHAVIOUR) {
  const request = parseChatRequest({
    messages: buildJudgeMessages(CRITERIA, { messages: [{ role: 'user', content: PROMPT }] }, a, b),
    response_format: { type: 'json_object' },
  });
  return chatAnswer(request, NO_FAULTS, behaviour).content;
}

describe('the simulated judge', () => {
  const full = styledProse(PROMPT, 7, 1, 160, DEFAULT_STYLE);
  const short = styledProse(PROMPT, 7, 1, 160, { ...DEFAULT_STYLE, skipContentRate: 0.8 });
  const hedged = styledProse(PROMPT, 7, 1, 160, { ...DEFAULT_STYLE, hedgeRate: 1 });
  const plain = styledProse(PROMPT, 7, 1, 160, { ...DEFAULT_STYLE, wordingDrift: 1 });

  it('answers a grading request with JSON scores the rubric judge parses', () => {
    const scores = parseJudgeScores(grade(full, full), CRITERIA);
    expect(scores.A).toEqual(scores.B);
    expect(scores.A.completeness).toBe(5);
    expect(scores.A.directness).toBe(5);
    expect(scores.A.helpfulness).toBe(5);
  });

  it('scores less content lower on completeness, hedging lower on directness, a refusal lowest on helpfulness', () => {
    expect(answerFeatures(short).points).toBeLessThan(answerFeatures(full).points);
    const s1 = parseJudgeScores(grade(full, short), CRITERIA);
    expect(s1.B.completeness).toBeLessThan(s1.A.completeness!);
    const s2 = parseJudgeScores(grade(full, hedged), CRITERIA);
    expect(s2.B.directness).toBeLessThanOrEqual(2);
    expect(s2.A.directness).toBe(5);
    const s3 = parseJudgeScores(grade(full, REFUSAL_SENTENCES[1]!), CRITERIA);
    expect(s3.B).toEqual({ completeness: 1, directness: 3, helpfulness: 1, clarity: 3 });
  });

  it('scores plainer wording of the same content higher on clarity and the same on completeness', () => {
    const s = parseJudgeScores(grade(full, plain), CRITERIA);
    expect(s.B.clarity).toBeGreaterThan(s.A.clarity!);
    expect(s.B.completeness).toBe(s.A.completeness);
  });

  it('has no position bias: swapping the answers swaps the scores', () => {
    for (const [a, b] of [
      [full, short],
      [hedged, plain],
      [short, REFUSAL_SENTENCES[0]!],
    ] as const) {
      const ab = parseJudgeScores(grade(a, b), CRITERIA);
      const ba = parseJudgeScores(grade(b, a), CRITERIA);
      expect(ba).toEqual({ A: ab.B, B: ab.A });
    }
  });

  it('reads JSON answers by their string fields', () => {
    const json = JSON.stringify({ answer: full, confidence: 0.9 });
    expect(answerFeatures(json)).toEqual(answerFeatures(full));
  });

  it('recognises criteria by name, else by description, else averages', () => {
    const custom = [
      { name: 'coverage', description: 'covers the question' },
      { name: 'tone', description: 'answers with confidence' },
      { name: 'format', description: 'is well formatted' },
    ];
    const request = parseChatRequest({
      messages: buildJudgeMessages(custom, { messages: [{ role: 'user', content: PROMPT }] }, full, hedged),
    });
    const scores = parseJudgeScores(judgeAnswer(request, DEFAULT_BEHAVIOUR), custom);
    expect(scores.A.tone).toBe(5);
    expect(scores.B.tone).toBeLessThanOrEqual(2);
    expect(Object.keys(scores.A)).toEqual(['coverage', 'tone', 'format']);
  });

  it('answers prose instead of JSON for the share judgeMalformedRate asks', () => {
    expect(grade(full, short, { ...DEFAULT_BEHAVIOUR, judgeMalformedRate: 1 })).toBe(MALFORMED_JUDGE_ANSWER);
    expect(() => parseJudgeScores(MALFORMED_JUDGE_ANSWER, CRITERIA)).toThrow(/not JSON/);
  });

  it('only takes requests that look like grading requests', () => {
    expect(
      isJudgeRequest({
        system: 'You are a grader. Respond in JSON.',
        user: '<answer_a>x</answer_a><answer_b>y</answer_b>',
      }),
    ).toBe(true);
    expect(
      isJudgeRequest({
        system: 'You are a support assistant. Respond in JSON.',
        user: '<answer_a>x</answer_a><answer_b>y</answer_b>',
      }),
    ).toBe(false);
    expect(isJudgeRequest({ system: 'You are a grader. Respond in JSON.', user: 'How do I grade papers?' })).toBe(
      false,
    );
  });
});

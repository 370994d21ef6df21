import { describe, it, expect } from 'vitest';
import { chatAnswer } from '../../simulator/chat-answer';
import { DEFAULT_BEHAVIOUR } from '../../simulator/behaviour';
import { EMBEDDING_DIMENSIONS, embedText } from '../../simulator/embeddings';
import { parseChatRequest } from '../../simulator/openai-requests';
import { answerText, approxTokens, brokenJsonAnswer, jsonAnswer, targetTokens } from '../../simulator/text-generation';
import { LOAD_PROMPTS } from '../../simulator/load-prompts';

function cosine(a: number[], b: number[]): number {
  // Both are unit vectors, so the dot product is the cosine.
  return a.reduce((sum, x, i) => sum + x * (b[i] ?? 0), 0);
}

const NO_FAULTS = { latencyMs: 0, failureStatus: null, refuse: false, breakJson: false } as const;

describe('answer text', () => {
  it('is equal for equal prompts and seed, and differs otherwise', () => {
    expect(answerText('reset my password', 1, 80)).toBe(answerText('reset my password', 1, 80));
    expect(answerText('reset my password', 1, 80)).not.toBe(answerText('reset my password', 2, 80));
    expect(answerText('reset my password', 1, 80)).not.toBe(answerText('cancel my order', 1, 80));
  });

  it('tracks the mean completion length', () => {
    const lengths = LOAD_PROMPTS.flatMap((prompt) =>
      [1, 2, 3, 4, 5].map((seed) => approxTokens(answerText(prompt, seed, targetTokens(prompt, seed, 120)))),
    );
    const mean = lengths.reduce((a, b) => a + b, 0) / lengths.length;
    expect(mean).toBeGreaterThan(100);
    expect(mean).toBeLessThan(140);
    expect(Math.max(...lengths)).toBeLessThanOrEqual(200);
  });

  it('gives two healthy backends (different seeds) nearly the same lengths for the same prompts', () => {
    const meanLength = (seed: number) =>
      LOAD_PROMPTS.reduce((sum, prompt) => sum + targetTokens(prompt, seed, 120), 0) / LOAD_PROMPTS.length;
    for (const [a, b] of [
      [1, 2],
      [1, 4],
      [11, 12],
      [11, 13],
    ] as const)
      expect(Math.abs(meanLength(b) / meanLength(a) - 1)).toBeLessThan(0.05);
    // Each prompt still gets its own length, and a seed still changes it a little.
    expect(new Set(LOAD_PROMPTS.map((prompt) => targetTokens(prompt, 1, 120))).size).toBeGreaterThan(6);
    expect(LOAD_PROMPTS.some((prompt) => targetTokens(prompt, 1, 120) !== targetTokens(prompt, 2, 120))).toBe(true);
  });

  it('honours tiny targets', () => {
    expect(approxTokens(answerText('summarize the ticket', 1, 3))).toBeLessThanOrEqual(3);
  });
});

describe('JSON answers', () => {
  it('are valid JSON with answer and confidence, and broken ones never parse', () => {
    for (const prompt of LOAD_PROMPTS) {
      const valid = jsonAnswer(prompt, 1, 60);
      const parsed = JSON.parse(valid) as { answer: string; confidence: number };
      expect(typeof parsed.answer).toBe('string');
      expect(parsed.confidence).toBeGreaterThanOrEqual(0.6);
      expect(parsed.confidence).toBeLessThan(1);
      expect(() => JSON.parse(brokenJsonAnswer(valid))).toThrow();
    }
  });
});

describe('chatAnswer', () => {
  const request = (body: Record<string, unknown>) =>
    parseChatRequest({ messages: [{ role: 'user', content: 'Summarize the refund policy' }], ...body });

  it('refuses, answers JSON, or breaks JSON according to the draws', () => {
    expect(chatAnswer(request({}), { ...NO_FAULTS, refuse: true }, DEFAULT_BEHAVIOUR).content).toMatch(
      /can't|unable|cannot|won't/,
    );
    const json = request({ response_format: { type: 'json_object' } });
    expect(() => JSON.parse(chatAnswer(json, NO_FAULTS, DEFAULT_BEHAVIOUR).content)).not.toThrow();
    expect(() => JSON.parse(chatAnswer(json, { ...NO_FAULTS, breakJson: true }, DEFAULT_BEHAVIOUR).content)).toThrow();
  });

  it('cuts to max_tokens with finish_reason length and reports usage as ceil(chars / 4)', () => {
    const answer = chatAnswer(request({ max_tokens: 5 }), NO_FAULTS, DEFAULT_BEHAVIOUR);
    expect(answer.finishReason).toBe('length');
    expect(answer.completionTokens).toBe(5);
    expect(answer.promptTokens).toBe(Math.ceil('user: Summarize the refund policy'.length / 4));
  });
});

describe('embedText', () => {
  it('returns deterministic unit vectors where similar text is closer', () => {
    const a = embedText('How do I reset my password?', 1);
    expect(a).toHaveLength(EMBEDDING_DIMENSIONS);
    expect(Math.hypot(...a)).toBeCloseTo(1, 10);
    expect(embedText('How do I reset my password?', 1)).toEqual(a);
    const similar = cosine(a, embedText('How can I reset my password', 1));
    const unrelated = cosine(a, embedText('Quarterly revenue grew in the EMEA region', 1));
    expect(similar).toBeGreaterThan(unrelated + 0.3);
    expect(Math.hypot(...embedText('', 1))).toBeCloseTo(1, 10);
  });
});

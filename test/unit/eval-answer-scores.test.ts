// The cheap per-answer scores: hedging and refusal detection, expected-output and schema checks
// kept apart, and the JSON shape used as the shadow soak's contract.
import { describe, expect, it } from 'vitest';
import { isHedged, jsonObjectKeys, matchesSchema, scoreAnswer } from '../../evals/answer-scores';
import type { GoldenItem } from '../../evals/golden-dataset';
import { HEDGE_CLOSINGS, HEDGE_SENTENCES } from '../../simulator/answer-style';
import { REFUSAL_SENTENCES } from '../../simulator/text-generation';

const item = (overrides: Partial<GoldenItem>): GoldenItem => ({
  id: 'x',
  messages: [{ role: 'user', content: 'q' }],
  match: 'contains',
  tags: [],
  ...overrides,
});

describe('isHedged', () => {
  it('recognises every hedge the simulated backends add', () => {
    for (const hedge of [...HEDGE_SENTENCES, ...HEDGE_CLOSINGS])
      expect(isHedged(`The export job keeps track of the usage.${hedge}`), hedge).toBe(true);
    expect(isHedged("I'm not 100% sure, but the invoice is in Settings.")).toBe(true);
  });

  it('leaves ordinary prose alone, including "may" and "usually"', () => {
    for (const text of [
      'Your subscription may affect the permissions of each member in most cases.',
      'The billing team usually requires a confirmation email.',
      'I am sure this will work.',
      'Please sign in again.',
    ]) {
      expect(isHedged(text), text).toBe(false);
    }
  });
});

describe('scoreAnswer', () => {
  it('scores the expected output and the schema separately, plus refusal, hedging and length', () => {
    const schema = { type: 'object', required: ['answer'], properties: { answer: { type: 'string' } } };
    expect(scoreAnswer(item({ expected: 'reset', schema }), '{"answer": "Use the reset link."}', 9)).toEqual({
      match: true,
      schemaValid: true,
      refusal: false,
      hedged: false,
      length: 9,
    });
    expect(scoreAnswer(item({ expected: 'refund', schema }), '{"reply": "no"}', null)).toEqual({
      match: false,
      schemaValid: false,
      refusal: false,
      hedged: false,
      length: 4,
    });
    expect(scoreAnswer(item({}), REFUSAL_SENTENCES[0]!, 12)).toEqual({
      match: null,
      schemaValid: null,
      refusal: true,
      hedged: false,
      length: 12,
    });
  });
});

describe('JSON contract helpers', () => {
  it('lists a JSON object’s keys, sorted, and nothing for anything else', () => {
    expect(jsonObjectKeys('{"confidence": 0.9, "answer": "x"}')).toEqual(['answer', 'confidence']);
    expect(jsonObjectKeys('[1, 2]')).toBeNull();
    expect(jsonObjectKeys('{"answer": "x"')).toBeNull();
    expect(jsonObjectKeys(null)).toBeNull();
  });

  it('validates against a schema', () => {
    const schema = { type: 'object', required: ['answer', 'confidence'] };
    expect(matchesSchema(schema, '{"answer": "x", "confidence": 1}')).toBe(true);
    expect(matchesSchema(schema, '{"response": "x", "confidence": 1}')).toBe(false);
    expect(matchesSchema(schema, 'not json')).toBe(false);
  });
});

// The simulated backends' silent regressions: each changes the answers the way a real regression
// does, deterministically from the seed, and with everything off the answers are exactly the
// plain simulator's.
import { describe, expect, it } from 'vitest';
import { isHedged } from '../../evals/answer-scores';
import { DEFAULT_STYLE, refusesTopic, styledJson, styledProse, type AnswerStyle } from '../../simulator/answer-style';
import { DEFAULT_BEHAVIOUR, mergeBehaviour, type Behaviour } from '../../simulator/behaviour';
import { chatAnswer } from '../../simulator/chat-answer';
import { answerFeatures } from '../../simulator/judge-answer';
import { LOAD_JSON_INSTRUCTION, LOAD_PROMPTS } from '../../simulator/load-prompts';
import { parseChatRequest } from '../../simulator/openai-requests';
import { answerText, jsonAnswer, REFUSAL_SENTENCES } from '../../simulator/text-generation';
import { FieldValidationError } from '../../simulator/zod-errors';

const NO_FAULTS = { latencyMs: 0, failureStatus: null, refuse: false, breakJson: false } as const;
const style = (patch: Partial<AnswerStyle>): AnswerStyle => ({ ...DEFAULT_STYLE, ...patch });
const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;
const PROMPTS = LOAD_PROMPTS.flatMap((p) =>
  [
    '',
    ' Please be specific.',
    ' Thanks!',
    ' It is urgent.',
    ' (second try)',
    ' Keep it short.',
    ' For my manager.',
    ' Asap.',
    ' Hi team.',
    ' Cheers.',
  ].map((suffix) => `${p}${suffix}`),
);

function answer(prompt: string, behaviour: Partial<Behaviour>, json = false): string {
  const request = parseChatRequest({
    messages: [
      { role: 'system', content: 'You are a support assistant.' },
      { role: 'user', content: json ? `${prompt} ${LOAD_JSON_INSTRUCTION}` : prompt },
    ],
    ...(json ? { response_format: { type: 'json_object' } } : {}),
  });
  return chatAnswer(request, NO_FAULTS, { ...DEFAULT_BEHAVIOUR, ...behaviour }).content;
}

describe('answer styles', () => {
  it('leave the plain simulator’s text untouched when off', () => {
    for (const prompt of PROMPTS) {
      for (const tokens of [3, 40, 120, 300]) {
        expect(styledProse(prompt, 5, 5, tokens, DEFAULT_STYLE)).toBe(answerText(prompt, 5, tokens));
        expect(styledJson(prompt, 5, 5, tokens, DEFAULT_STYLE)).toBe(jsonAnswer(prompt, 5, tokens));
      }
    }
  });

  it('give backends sharing a content seed the same content in answers of their own lengths', () => {
    const a = answer(PROMPTS[0]!, { seed: 11, contentSeed: 7 });
    const b = answer(PROMPTS[0]!, { seed: 12, contentSeed: 7 });
    // The shorter answer is the longer one's beginning: same facts, different amount of them.
    const [short, long] = a.length <= b.length ? [a, b] : [b, a];
    expect(long.startsWith(short)).toBe(true);
    expect(answer(PROMPTS[0]!, { seed: 12, contentSeed: 7 })).toBe(b);
  });

  it('skip content: shorter answers with fewer content sentences, never an empty one', () => {
    const plain = PROMPTS.map((p) => styledProse(p, 7, 12, 200, DEFAULT_STYLE));
    const skipped = PROMPTS.map((p) => styledProse(p, 7, 12, 200, style({ skipContentRate: 0.6 })));
    expect(mean(skipped.map((t) => t.length)) / mean(plain.map((t) => t.length))).toBeLessThan(0.6);
    expect(mean(skipped.map((t) => answerFeatures(t).points))).toBeLessThan(
      0.55 * mean(plain.map((t) => answerFeatures(t).points)),
    );
    expect(skipped.every((t) => answerFeatures(t).points >= 1)).toBe(true);
  });

  it('hedge: the share asked for gets hedging phrases, and nothing else changes', () => {
    const hedged = PROMPTS.map((p) => styledProse(p, 7, 12, 120, style({ hedgeRate: 0.5 })));
    const share = hedged.filter(isHedged).length / hedged.length;
    expect(share).toBeGreaterThan(0.3);
    expect(share).toBeLessThan(0.7);
    expect(PROMPTS.map((p) => styledProse(p, 7, 12, 120, style({ hedgeRate: 1 }))).every(isHedged)).toBe(true);
    for (const text of hedged.filter((t) => !isHedged(t)))
      expect(PROMPTS.map((p) => styledProse(p, 7, 12, 120, DEFAULT_STYLE))).toContain(text);
  });

  it('refuse on a topic: prompts whose user text mentions it are refused, others answered', () => {
    expect(refusesTopic('Can I get a refund for the duplicate charge?', ['refund'])).toBe(true);
    expect(refusesTopic('Refunds take a week, right?', ['refund'])).toBe(true);
    expect(refusesTopic('How do I reset my password?', ['refund'])).toBe(false);
    expect(refusesTopic('anything', [])).toBe(false);
    const refused = PROMPTS.filter((p) => REFUSAL_SENTENCES.includes(answer(p, { refusalTopics: ['refund'] })));
    expect(refused.length).toBeGreaterThan(0);
    expect(refused.every((p) => /refund/i.test(p))).toBe(true);
    expect(PROMPTS.filter((p) => /refund/i.test(p)).length).toBe(refused.length);
    // Only the user's words count: a system prompt mentioning the topic refuses nothing.
    const request = parseChatRequest({
      messages: [
        { role: 'system', content: 'Handle refund questions kindly.' },
        { role: 'user', content: 'How do I reset my password?' },
      ],
    });
    expect(REFUSAL_SENTENCES).not.toContain(
      chatAnswer(request, NO_FAULTS, { ...DEFAULT_BEHAVIOUR, refusalTopics: ['refund'] }).content,
    );
  });

  it('JSON drift: valid JSON that drops or renames a field', () => {
    const dropped = JSON.parse(answer(PROMPTS[1]!, { jsonDropFields: ['confidence'] }, true)) as Record<
      string,
      unknown
    >;
    expect(Object.keys(dropped)).toEqual(['answer']);
    const renamed = JSON.parse(answer(PROMPTS[1]!, { jsonRenameFields: { answer: 'response' } }, true)) as Record<
      string,
      unknown
    >;
    expect(Object.keys(renamed)).toEqual(['response', 'confidence']);
    expect(renamed.response).toBe((JSON.parse(answer(PROMPTS[1]!, {}, true)) as { answer: string }).answer);
  });

  it('wording drift: the same sentences in plainer words, about the same length', () => {
    const plain = PROMPTS.map((p) => styledProse(p, 7, 12, 120, DEFAULT_STYLE));
    const drifted = PROMPTS.map((p) => styledProse(p, 7, 12, 120, style({ wordingDrift: 1 })));
    expect(drifted.map((t) => answerFeatures(t).points)).toEqual(plain.map((t) => answerFeatures(t).points));
    expect(drifted.filter((t, i) => t !== plain[i]!).length).toBe(plain.length);
    const ratio = mean(drifted.map((t) => t.length)) / mean(plain.map((t) => t.length));
    expect(ratio).toBeGreaterThan(0.8);
    expect(ratio).toBeLessThan(1);
    expect(mean(drifted.map((t) => answerFeatures(t).wordy))).toBe(0);
    expect(drifted.some(isHedged)).toBe(false);
  });

  it('are deterministic for a seed and change with it', () => {
    const s = style({ skipContentRate: 0.5, hedgeRate: 0.5, wordingDrift: 0.5 });
    const first = PROMPTS.map((p) => styledProse(p, 7, 12, 120, s));
    expect(PROMPTS.map((p) => styledProse(p, 7, 12, 120, s))).toEqual(first);
    expect(PROMPTS.map((p) => styledProse(p, 7, 13, 120, s))).not.toEqual(first);
  });
});

describe('behaviour updates for the regressions', () => {
  it('accept lists, maps and a nullable content seed, copying them', () => {
    const topics = ['refund'];
    const merged = mergeBehaviour(
      { ...DEFAULT_BEHAVIOUR },
      {
        refusalTopics: topics,
        jsonRenameFields: { answer: 'response' },
        contentSeed: 3,
        hedgeRate: 0.2,
        wordingDrift: 1,
        skipContentRate: 0.4,
        jsonDropFields: ['confidence'],
        judgeMalformedRate: 0.1,
      },
    );
    topics.push('billing');
    expect(merged).toMatchObject({
      refusalTopics: ['refund'],
      jsonRenameFields: { answer: 'response' },
      contentSeed: 3,
      hedgeRate: 0.2,
      wordingDrift: 1,
      skipContentRate: 0.4,
      jsonDropFields: ['confidence'],
      judgeMalformedRate: 0.1,
    });
    expect(mergeBehaviour(merged, { contentSeed: null }).contentSeed).toBeNull();
    expect(DEFAULT_BEHAVIOUR.refusalTopics).toEqual([]);
  });

  it('reject bad values naming the field', () => {
    const field = (patch: unknown) => {
      try {
        mergeBehaviour({ ...DEFAULT_BEHAVIOUR }, patch);
      } catch (error) {
        expect(error).toBeInstanceOf(FieldValidationError);
        return (error as FieldValidationError).field;
      }
      throw new Error('expected a rejection');
    };
    expect(field({ hedgeRate: 2 })).toBe('hedgeRate');
    expect(field({ refusalTopics: 'refund' })).toBe('refusalTopics');
    expect(field({ refusalTopics: [''] })).toBe('refusalTopics[0]');
    expect(field({ jsonRenameFields: { answer: 3 } })).toBe('jsonRenameFields.answer');
    expect(field({ contentSeed: -1 })).toBe('contentSeed');
    expect(field({ wordingDrift: -0.1 })).toBe('wordingDrift');
  });
});

// The phrasing check: phrases a candidate adds are found, named and counted; rewording, healthy
// differences and random paraphrase are not findings; the work stays bounded.
import { describe, expect, it } from 'vitest';
import { shortEvidence } from '../../evals/behavioral-policy';
import { judgePhrasing, phrasingText, PHRASING_TEXT_CHARS } from '../../evals/phrasing-metric';
import { answerWords, fisherUpperTail, phrasingShift, proseOf } from '../../evals/phrasing-shift';
import type { MetricSpec } from '../../evals/metric-judgement';
import { mulberry32 } from '../../lib/seeded-random';
import { DEFAULT_STYLE, styledProse, type AnswerStyle } from '../../simulator/answer-style';
import { targetTokens } from '../../simulator/text-generation';

const PROMPTS = Array.from(
  { length: 200 },
  (_, i) => `Customer question ${i}: how do I change my plan number ${i * 7}?`,
);

function answers(seed: number, style: Partial<AnswerStyle> = {}, prompts = PROMPTS): string[] {
  return prompts.map((p) => styledProse(p, 7, seed, targetTokens(p, seed, 120), { ...DEFAULT_STYLE, ...style }));
}

const BASELINE = answers(11);

describe('words', () => {
  it('segments any script into lower-cased words, without word lists', () => {
    expect(answerWords('Zum Glück: Ärger über Größe!').map((w) => w.text)).toEqual([
      'zum',
      'glück',
      'ärger',
      'über',
      'größe',
    ]);
    expect(answerWords('Привет, мир').map((w) => w.text)).toEqual(['привет', 'мир']);
    expect(answerWords('東京に行きます').length).toBeGreaterThan(1);
  });

  it('reads the prose of a JSON answer, not its keys', () => {
    expect(proseOf('{"answer":"Use the form.","confidence":0.9}')).toBe('Use the form.');
    expect(proseOf('not { json')).toBe('not { json');
  });

  it('keeps a long golden answer’s start and end', () => {
    const long = `${'start '.repeat(300)}the very end`;
    const kept = phrasingText(long);
    expect(kept.length).toBeLessThan(PHRASING_TEXT_CHARS + 10);
    expect(kept.startsWith('start start')).toBe(true);
    expect(kept.endsWith('the very end')).toBe(true);
  });
});

describe('Fisher exact upper tail', () => {
  it('matches the lady tasting tea (4 of 4 cups: 1/70) and is 1 at or below the smallest count', () => {
    expect(fisherUpperTail(4, 4, 4, 8)).toBeCloseTo(1 / 70, 12);
    expect(fisherUpperTail(3, 4, 4, 8)).toBeCloseTo(17 / 70, 12);
    expect(fisherUpperTail(0, 4, 4, 8)).toBe(1);
    expect(fisherUpperTail(5, 4, 4, 8)).toBe(0);
  });
});

describe('phrasing shift', () => {
  it('finds a qualifier prepended to half the answers, once, with its shares and an example', () => {
    const shift = phrasingShift(BASELINE, answers(12, { qualifierRate: 0.5 }));
    expect(shift.added).toHaveLength(1);
    const [finding] = shift.added;
    expect(finding).toMatchObject({ phrase: 'as far as i can tell', position: 'opening' });
    expect(finding!.baseline.share).toBe(0);
    expect(finding!.candidate.share).toBeGreaterThan(0.4);
    expect(finding!.summary).toMatch(
      /^candidate starts \d+\.\d% of answers with "As far as I can tell …"; baseline 0\.0%$/,
    );
    expect(finding!.examples[0]).toMatch(/^As far as I can tell, /);
    expect(shift.level).toBeCloseTo(0.05 / shift.testable, 12);
  });

  it('finds a phrase in any language and at the end of answers', () => {
    const closing = phrasingShift(
      BASELINE,
      BASELINE.map((a, i) => (i % 2 === 0 ? `${a} Надеюсь, это поможет вам.` : a)),
    );
    expect(closing.added.map((f) => [f.phrase, f.position])).toEqual([['надеюсь это поможет вам', 'closing']]);
    expect(closing.added[0]!.summary).toMatch(/^candidate ends 50\.0% of answers with "… Надеюсь, это поможет вам"/);
  });

  it('finds nothing between two healthy backends that say the same things at their own lengths', () => {
    const shift = phrasingShift(BASELINE, answers(12));
    expect(shift.added).toEqual([]);
    expect(shift.reworded).toEqual([]);
  });

  it('reports a systematic rewording as reworded, never as added, and still finds a qualifier added on top', () => {
    for (const drift of [0.2, 0.5, 1]) {
      const shift = phrasingShift(BASELINE, answers(12, { wordingDrift: drift }));
      expect(shift.added, `drift ${drift}`).toEqual([]);
      expect(shift.reworded.length, `drift ${drift}`).toBeGreaterThan(0);
      expect(shift.reworded[0]!.summary).toMatch(/ — in place of "[^"]+" \(baseline \d/);
    }
    const both = phrasingShift(BASELINE, answers(12, { wordingDrift: 1, qualifierRate: 0.5 }));
    expect(both.added.map((f) => f.phrase)).toEqual(['as far as i can tell']);
  });

  it('raises no false alarm on random paraphrase drawn alike on both sides (20 draws)', () => {
    const OPENINGS = ['Sure.', 'Of course.', 'Happy to help.', 'Good question.', 'Here you go.'];
    const VERBS = ['shows', 'displays', 'lists', 'holds', 'keeps'];
    const side = (seed: number) => {
      const next = mulberry32(seed);
      const pick = (words: string[]) => words[Math.floor(next() * words.length)]!;
      return Array.from(
        { length: 300 },
        (_, i) =>
          `${pick(OPENINGS)} Your account ${pick(VERBS)} item ${i % 17}. The invoice ${pick(VERBS)} the total for ${pick(['May', 'June', 'July'])}.`,
      );
    };
    let alarms = 0;
    for (let draw = 0; draw < 20; draw++)
      alarms += phrasingShift(side(1000 + draw), side(2000 + draw)).added.length > 0 ? 1 : 0;
    expect(alarms).toBe(0);
  });

  it('bounds the work: thousands of answers are sampled to maxAnswers per side and finish quickly', () => {
    const prompts = Array.from({ length: 3_000 }, (_, i) => `Question ${i} about billing and refunds ${i % 97}`);
    const base = answers(11, {}, prompts);
    const cand = answers(12, { qualifierRate: 0.5, wordingDrift: 0.5 }, prompts);
    const started = performance.now();
    const shift = phrasingShift(base, cand);
    const elapsed = performance.now() - started;
    expect(shift.answers).toEqual({ baseline: 1_000, candidate: 1_000 });
    expect(shift.added.map((f) => f.phrase)).toEqual(['as far as i can tell']);
    // Generous for a shared 2-core machine; a run on a quiet one takes well under a second.
    expect(elapsed).toBeLessThan(20_000);
  });

  it('compares nothing when a side has no answers', () => {
    expect(phrasingShift([], ['a b c'])).toMatchObject({ added: [], reworded: [], phrases: 0 });
  });
});

describe('phrasing metric', () => {
  const spec: MetricSpec = {
    metric: 'phrasing',
    label: 'added phrases',
    direction: 'higher_is_worse',
    statistic: 'difference',
    tolerance: 0.1,
    blocking: true,
    unit: 'rate',
  };
  const options = { confidence: 1 - 0.05 / 12, minPairs: 8, maxNoScoreShare: 0.1 };

  it('is a regression naming the phrase when the candidate added one', () => {
    const candidate = answers(12, { qualifierRate: 0.5 });
    const m = judgePhrasing(spec, { baseline: BASELINE, candidate, expected: 200, noScore: 0 }, options);
    expect(m).toMatchObject({ change: 'regression', classification: 'high', status: 'ok', baseline: 0 });
    expect(m.candidate!).toBeGreaterThan(0.4);
    expect(m.pValue!).toBeLessThan(1e-20);
    expect(shortEvidence(m)).toMatch(
      /^phrasing: candidate starts \d+\.\d% of answers with "As far as I can tell …"; baseline 0\.0%$/,
    );
    expect(m.message).toMatch(/^phrasing: 1 added phrase: candidate starts .*; e\.g\. "As far as I can tell, /);
    expect(m.message).toMatch(/Tarone–Bonferroni over \d+ testable of \d+ phrases/);
  });

  it('is no change for a healthy candidate, and no data on too few answers or too many without text', () => {
    expect(
      judgePhrasing(spec, { baseline: BASELINE, candidate: answers(12), expected: 200, noScore: 0 }, options),
    ).toMatchObject({
      change: 'none',
      delta: 0,
    });
    expect(
      judgePhrasing(
        spec,
        { baseline: BASELINE.slice(0, 5), candidate: answers(12).slice(0, 5), expected: 5, noScore: 0 },
        options,
      ),
    ).toMatchObject({ change: 'no_data', status: 'insufficient' });
    expect(
      judgePhrasing(
        spec,
        { baseline: BASELINE.slice(0, 150), candidate: answers(12).slice(0, 150), expected: 200, noScore: 50 },
        options,
      ),
    ).toMatchObject({ change: 'no_data', status: 'incomplete' });
  });
});

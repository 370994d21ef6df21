// Deterministic answer text for the simulated backends. The text is a function of the prompt
// and the seed only, so equal prompts get equal answers (the shadow judge can then compare a
// baseline and a candidate on the same footing), while different prompts get varied,
// plausible-looking support/summary prose. None of it is a real model's output.
import { hashString, mulberry32 } from '../lib/seeded-random';

export const OPENERS = [
  'Thanks for reaching out.',
  'Here is a short summary.',
  'Happy to help with this.',
  'Good question.',
  'Based on the details you shared, here is what I found.',
  'Let me walk you through it.',
];
export const SUBJECTS = [
  'The account settings page',
  'Your subscription',
  'The billing team',
  'This workflow',
  'The latest release',
  'The export job',
  'Your order',
  'The support ticket',
  'The admin console',
  'The mobile app',
  'The shared workspace',
  'The monthly report',
];
export const VERBS = [
  'should reflect',
  'typically updates',
  'can resolve',
  'will include',
  'usually requires',
  'may affect',
  'now supports',
  'keeps track of',
];
export const OBJECTS = [
  'the change within a few minutes',
  'a refund to the original payment method',
  'two-factor authentication',
  'the summary you requested',
  'the items listed on the invoice',
  'a confirmation email',
  'the permissions of each member',
  'the shipping address on file',
  'the usage for the current period',
  'the key points of the discussion',
];
export const QUALIFIERS = [
  '',
  ' after you sign in again',
  ' once the cache refreshes',
  ' in most cases',
  ' according to the current policy',
  ' for every plan',
  ' within one business day',
];

export const REFUSAL_SENTENCES = [
  "I'm sorry, but I can't help with that request.",
  "I'm unable to assist with that.",
  'I cannot provide that information.',
  "I won't comply with that request, but I can help with something else.",
];

export function approxTokens(text: string): number {
  return Math.ceil(text.length / 4);
}

function pick<T>(items: readonly T[], next: () => number): T {
  return items[Math.floor(next() * items.length)] as T;
}

const COMMON_WORDS = new Set([
  'please',
  'there',
  'their',
  'about',
  'could',
  'would',
  'should',
  'which',
  'thanks',
  'hello',
  'respond',
  'answer',
  'system',
  'assistant',
  'object',
  'fields',
  'string',
  'number',
  'between',
]);

/** A content word from the user's side of the prompt, to make the answer look related to it. */
function topicOf(prompt: string, next: () => number): string | null {
  const words = (prompt.match(/[A-Za-z][A-Za-z-]{5,}/g) ?? [])
    .map((w) => w.toLowerCase())
    .filter((w) => !COMMON_WORDS.has(w));
  return words.length > 0 ? pick(words, next) : null;
}

/**
 * Answer length in tokens for this prompt. Mostly the prompt's own need (uniform in [0.5, 1.5] x
 * mean, the same for every backend, as a real question asks for a similar length from any model)
 * times a small per-model jitter (uniform in [0.9, 1.1], from the seed). A seed-only length would
 * make two healthy backends differ by chance by tens of percent over a handful of prompts, which
 * is not how two comparable models behave, and would make "healthy" candidates flaky.
 */
export function targetTokens(prompt: string, seed: number, meanTokens: number): number {
  const need = 0.5 + mulberry32(hashString(`length|${prompt}`, 0))();
  const jitter = 0.9 + 0.2 * mulberry32(hashString(`length-jitter|${prompt}`, seed))();
  return Math.max(1, Math.round(meanTokens * need * jitter));
}

/** One content sentence: "<subject> <verb> <object><qualifier>." (the unit of meaning the simulated judge counts). */
export interface ContentSentence {
  subject: string;
  verb: string;
  object: string;
  qualifier: string;
}

/** The parts answerText assembles: an opener, the prompt's topic word (if any) and the content sentences. */
export interface AnswerParts {
  opener: string;
  topic: string | null;
  sentences: ContentSentence[];
}

export const renderSentence = (s: ContentSentence) => ` ${s.subject} ${s.verb} ${s.object}${s.qualifier}.`;
const renderHead = (opener: string, topic: string | null) => (topic ? `${opener} About ${topic}:` : opener);

/**
 * The parts of answerText's prose for this prompt, seed and length: the same random stream and
 * stopping rule, so `renderParts(answerParts(...))` is answerText before its final cut.
 */
export function answerParts(prompt: string, seed: number, tokens: number): AnswerParts {
  const next = mulberry32(hashString(`text|${prompt}`, seed));
  const topic = topicOf(prompt, next);
  const opener = pick(OPENERS, next);
  let text = renderHead(opener, topic);
  const sentences: ContentSentence[] = [];
  for (;;) {
    const sentence = {
      subject: pick(SUBJECTS, next),
      verb: pick(VERBS, next),
      object: pick(OBJECTS, next),
      qualifier: pick(QUALIFIERS, next),
    };
    const rendered = renderSentence(sentence);
    if (approxTokens(text) + approxTokens(rendered) / 2 > tokens) break;
    text += rendered;
    sentences.push(sentence);
  }
  return { opener, topic, sentences };
}

export function renderParts(parts: AnswerParts): string {
  return renderHead(parts.opener, parts.topic) + parts.sentences.map(renderSentence).join('');
}

/** Cuts text longer than `tokens` (~4 chars each) at a word boundary. */
export function cutToTokens(text: string, tokens: number): string {
  const limit = tokens * 4;
  if (text.length <= limit) return text;
  const cut = text.lastIndexOf(' ', limit);
  return text.slice(0, cut > 0 ? cut : limit);
}

/**
 * Prose of roughly `tokens` tokens (~4 chars each), determined by prompt and seed. Whole
 * sentences are added while that brings the length closer to the target, so the mean length
 * tracks the target; only a target shorter than the opener is cut mid-text.
 */
export function answerText(prompt: string, seed: number, tokens: number): string {
  return cutToTokens(renderParts(answerParts(prompt, seed, tokens)), tokens);
}

export function refusalText(prompt: string, seed: number): string {
  return pick(REFUSAL_SENTENCES, mulberry32(hashString(`refusal|${prompt}`, seed)));
}

/** The confidence a JSON-mode answer reports for this prompt and seed, in [0.6, 0.99]. */
export function jsonConfidence(prompt: string, seed: number): number {
  return Math.round((0.6 + 0.39 * mulberry32(hashString(`confidence|${prompt}`, seed))()) * 100) / 100;
}

/** A JSON-mode answer: {"answer": ..., "confidence": ...}. */
export function jsonAnswer(prompt: string, seed: number, tokens: number): string {
  // The JSON wrapper costs ~8 tokens; keep the whole answer near the target length.
  return JSON.stringify({
    answer: answerText(prompt, seed, Math.max(1, tokens - 8)),
    confidence: jsonConfidence(prompt, seed),
  });
}

/**
 * A truncated JSON answer, as a model cut off mid-generation produces. Any prefix that drops the
 * closing brace of an object is invalid JSON, so this never parses.
 */
export function brokenJsonAnswer(validJson: string): string {
  return validJson.slice(0, Math.max(1, Math.floor(validJson.length * 0.6)));
}

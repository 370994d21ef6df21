// The cheap, deterministic scores of one answer: expected-output match, JSON Schema validity,
// refusal, hedging and length. They run on every golden item and every shadow pair.
import { isRefusal } from '../lib/refusal';
import { checkAnswer } from './exact-checks';
import type { GoldenItem } from './golden-dataset';
import { validatorFor } from './json-schema';

/**
 * Hedging: phrases that qualify an answer's confidence or push the reader to verify it. Like the
 * gateway's refusal patterns, deliberately specific (a bare "may" or "usually" is ordinary prose).
 */
export const HEDGE_PATTERNS: readonly RegExp[] = [
  /\bI['’]?m not (?:entirely |completely |totally |100% )?(?:sure|certain)\b/i,
  /\bI am not (?:entirely |completely |totally )?(?:sure|certain)\b/i,
  /\bI (?:could|might|may) be (?:wrong|mistaken)\b/i,
  /\bI can(?:no|['’])t be (?:sure|certain)\b/i,
  /\bit (?:might|may|could) be that\b/i,
  /\bplease (?:double-check|verify|confirm) (?:this|that|it)\b/i,
  /\btake (?:this|that|it) with a grain of salt\b/i,
  /\bmy best guess\b/i,
];

export function isHedged(text: string): boolean {
  return HEDGE_PATTERNS.some((pattern) => pattern.test(text));
}

export interface AnswerScores {
  /** Expected output matched (exact / contains / regex); null when the item has none. */
  match: boolean | null;
  /** Valid JSON matching the item's schema; null when the item has none. */
  schemaValid: boolean | null;
  refusal: boolean;
  hedged: boolean;
  /** Completion tokens as the backend reported them, else ⌈characters / 4⌉. */
  length: number;
}

export function scoreAnswer(item: GoldenItem, answer: string, completionTokens: number | null): AnswerScores {
  const match = item.expected === undefined ? null : checkAnswer({ ...item, schema: undefined }, answer).passed;
  const schemaValid = item.schema ? checkAnswer({ ...item, expected: undefined }, answer).passed : null;
  return {
    match,
    schemaValid,
    refusal: isRefusal(answer),
    hedged: isHedged(answer),
    length: completionTokens ?? Math.ceil(answer.length / 4),
  };
}

/** Whether `answer` is JSON matching `schema` (compiled once per schema object). */
export function matchesSchema(schema: Record<string, unknown>, answer: string): boolean {
  let value: unknown;
  try {
    value = JSON.parse(answer);
  } catch {
    return false;
  }
  return validatorFor(schema)(value) === true;
}

/** The top-level keys of a JSON object answer, or null when the answer is not a JSON object. */
export function jsonObjectKeys(answer: string | null): string[] | null {
  if (answer === null) return null;
  try {
    const value: unknown = JSON.parse(answer);
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? Object.keys(value).sort() : null;
  } catch {
    return null;
  }
}

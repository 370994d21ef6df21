// Silent regressions (and one healthy change) for the SIMULATED backends, applied to the prose
// text-generation.ts produces. Each is deterministic given the backend's seed and the prompt, so
// equal prompts still get equal answers and a golden eval is reproducible:
//
//   skipContentRate  shorter answers that skip content: each content sentence is dropped with this
//                    probability (the first one is always kept, so the answer still says something);
//   hedgeRate        share of answers that add hedging ("I'm not entirely sure…", "I may be mistaken");
//   refusalTopics    prompts whose user text mentions one of these words are refused;
//   jsonDropFields / jsonRenameFields
//                    JSON-mode answers lose or rename these fields (valid JSON, broken contract);
//   qualifierRate    share of answers that open with `qualifier`, a qualifying phrase of the
//                    caller's choosing (by default one the hedge patterns do not know), so a
//                    change of phrasing can be tested without the built-in hedges;
//   wordingDrift     share of sentences reworded in plainer words with the same meaning — a
//                    healthy change: same content, same structure, different wording.
//
// With every knob at its default the answers are exactly text-generation.ts's.
import { hashString } from '../lib/seeded-random';
import {
  answerParts,
  cutToTokens,
  jsonConfidence,
  renderParts,
  renderSentence,
  type ContentSentence,
} from './text-generation';

export interface AnswerStyle {
  skipContentRate: number;
  hedgeRate: number;
  qualifierRate: number;
  qualifier: string;
  wordingDrift: number;
  refusalTopics: readonly string[];
  jsonDropFields: readonly string[];
  jsonRenameFields: Readonly<Record<string, string>>;
}

/** Hedges the simulated backends add; evals/hedging.ts and the simulated judge recognise them. */
export const HEDGE_SENTENCES = [
  " I'm not entirely sure about this, but here is my best guess.",
  ' It might be that things work differently for your account.',
  ' I could be wrong here, so take this with a grain of salt.',
];
export const HEDGE_CLOSINGS = [
  ' Please double-check this, as I may be mistaken.',
  " I can't be certain, so please verify it with the support team.",
];

/**
 * Plainer wording with the same meaning, for `wordingDrift`. The verbs and qualifiers on the left
 * are the wordy ones the simulated judge's clarity criterion counts (WORDY_PHRASES).
 */
export const PLAIN_WORDING: Readonly<Record<string, string>> = {
  // openers
  'Thanks for reaching out.': 'Thanks for getting in touch.',
  'Here is a short summary.': 'Here it is in brief.',
  'Happy to help with this.': 'Glad to help.',
  'Good question.': 'Great question.',
  'Based on the details you shared, here is what I found.': 'From the details you gave me, this is what I see.',
  'Let me walk you through it.': 'Here is how it works.',
  // subjects
  'The account settings page': 'Your account settings',
  'Your subscription': 'Your paid plan',
  'The billing team': 'Our billing staff',
  'This workflow': 'This flow',
  'The latest release': 'The newest version',
  'The export job': 'The data export',
  'Your order': 'Your purchase',
  'The support ticket': 'Your ticket',
  'The admin console': 'The admin panel',
  'The mobile app': 'The phone app',
  'The shared workspace': 'The team space',
  'The monthly report': 'The report for the month',
  // verbs
  'should reflect': 'shows',
  'typically updates': 'updates',
  'can resolve': 'fixes',
  'will include': 'includes',
  'usually requires': 'needs',
  'may affect': 'changes',
  'now supports': 'supports',
  'keeps track of': 'tracks',
  // objects
  'the change within a few minutes': 'the update in a few minutes',
  'a refund to the original payment method': 'a refund to the card you paid with',
  'two-factor authentication': 'two-step sign-in protection',
  'the summary you requested': 'the summary you asked for',
  'the items listed on the invoice': 'every item on the invoice',
  'a confirmation email': 'an email confirming it',
  'the permissions of each member': 'what each member can do',
  'the shipping address on file': 'your saved shipping address',
  'the usage for the current period': 'how much you used this period',
  'the key points of the discussion': 'the main points discussed',
  // qualifiers
  ' after you sign in again': ' after you log back in',
  ' once the cache refreshes': ' after the cache is refreshed',
  ' in most cases': ' nearly always',
  ' according to the current policy': ' under the policy in force today',
  ' for every plan': ' on all plans',
  ' within one business day': ' by the next business day',
};

/** The qualifier `qualifierRate` prepends unless told otherwise: not one of the hedge patterns. */
export const DEFAULT_QUALIFIER = 'As far as I can tell,';

export const DEFAULT_STYLE: Readonly<AnswerStyle> = Object.freeze({
  skipContentRate: 0,
  hedgeRate: 0,
  qualifierRate: 0,
  qualifier: DEFAULT_QUALIFIER,
  wordingDrift: 0,
  refusalTopics: [],
  jsonDropFields: [],
  jsonRenameFields: {},
});

/** Uniform in [0, 1) from a label, a prompt and the seed: the same every time. */
const draw = (label: string, prompt: string, seed: number) => hashString(`${label}|${prompt}`, seed) / 4294967296;

const plain = (phrase: string) => PLAIN_WORDING[phrase] ?? phrase;

function reword(sentence: ContentSentence): ContentSentence {
  return {
    subject: plain(sentence.subject),
    verb: plain(sentence.verb),
    object: plain(sentence.object),
    qualifier: plain(sentence.qualifier),
  };
}

function isPlainStyle(style: AnswerStyle): boolean {
  return style.skipContentRate === 0 && style.hedgeRate === 0 && style.wordingDrift === 0 && style.qualifierRate === 0;
}

/** True when the request's user text mentions one of the topics (word prefix, case-insensitive). */
export function refusesTopic(userText: string, topics: readonly string[]): boolean {
  return topics.some(
    (topic) => topic.trim() !== '' && new RegExp(`\\b${escapeRegExp(topic.trim())}`, 'i').test(userText),
  );
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * Prose for this prompt in the given style: content from `textSeed` (backends sharing it "know the
 * same things"), style decisions from `styleSeed`. The plain style is answerText, exactly.
 */
export function styledProse(
  prompt: string,
  textSeed: number,
  styleSeed: number,
  tokens: number,
  style: AnswerStyle,
): string {
  const prose = unqualifiedProse(prompt, textSeed, styleSeed, tokens, style);
  if (style.qualifierRate > 0 && draw('qualifier', prompt, styleSeed) < style.qualifierRate)
    return `${style.qualifier} ${prose.charAt(0).toLowerCase()}${prose.slice(1)}`;
  return prose;
}

function unqualifiedProse(
  prompt: string,
  textSeed: number,
  styleSeed: number,
  tokens: number,
  style: AnswerStyle,
): string {
  const parts = answerParts(prompt, textSeed, tokens);
  if (isPlainStyle(style)) return cutToTokens(renderParts(parts), tokens);
  let sentences = parts.sentences.filter(
    (_, index) => index === 0 || draw(`skip|${index}`, prompt, styleSeed) >= style.skipContentRate,
  );
  sentences = sentences.map((sentence, index) =>
    draw(`drift|${index}`, prompt, styleSeed) < style.wordingDrift ? reword(sentence) : sentence,
  );
  const opener = draw('drift-opener', prompt, styleSeed) < style.wordingDrift ? plain(parts.opener) : parts.opener;
  const text = renderParts({ ...parts, opener, sentences });
  if (draw('hedge', prompt, styleSeed) < style.hedgeRate) {
    const pickFrom = <T>(items: readonly T[], label: string) =>
      items[Math.floor(draw(label, prompt, styleSeed) * items.length)] as T;
    const head = renderParts({ ...parts, opener, sentences: [] });
    return (
      head +
      pickFrom(HEDGE_SENTENCES, 'hedge-sentence') +
      sentences.map(renderSentence).join('') +
      pickFrom(HEDGE_CLOSINGS, 'hedge-closing')
    );
  }
  // As in answerText: only a target shorter than the opener is cut.
  return cutToTokens(text, tokens);
}

/** A JSON-mode answer in the given style: {"answer", "confidence"} with fields dropped or renamed. */
export function styledJson(
  prompt: string,
  textSeed: number,
  styleSeed: number,
  tokens: number,
  style: AnswerStyle,
): string {
  // The JSON wrapper costs ~8 tokens; keep the whole answer near the target length.
  const object: Record<string, unknown> = {
    answer: styledProse(prompt, textSeed, styleSeed, Math.max(1, tokens - 8), style),
    confidence: jsonConfidence(prompt, textSeed),
  };
  const drifted: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(object)) {
    if (style.jsonDropFields.includes(key)) continue;
    drifted[style.jsonRenameFields[key] ?? key] = value;
  }
  return JSON.stringify(drifted);
}

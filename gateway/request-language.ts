// The language of a chat request, for routes segmented by language (RouteSegmentation
// `{language: true}`): the ISO 639-3 code ('eng', 'spa', 'jpn', …) of its last user message, as
// franc-min tells it from trigrams (its 82 most spoken languages). Only the message's first
// LANGUAGE_SAMPLE_CHARS are read, so a long prompt costs what a short one does (about a third of a
// millisecond); a text shorter than MIN_LANGUAGE_CHARS, or one franc cannot place, has none: a guess
// on a few words is as often wrong as right, and a wrong segment is worse than none.
import { franc } from 'franc-min';
import { messageText } from './request-messages';

/** What the detector reads of a message. */
export const LANGUAGE_SAMPLE_CHARS = 1_000;
/** Shorter texts have no language: franc reads "Bonjour, ça va ?" as Uzbek. */
export const MIN_LANGUAGE_CHARS = 20;

/** The ISO 639-3 code of `text`'s language; undefined when it is too short or undetermined. */
export function textLanguage(text: string): string | undefined {
  const sample = text.trimStart().slice(0, LANGUAGE_SAMPLE_CHARS).trimEnd();
  if (sample.length < MIN_LANGUAGE_CHARS) return undefined;
  const code = franc(sample, { minLength: MIN_LANGUAGE_CHARS });
  return code === 'und' ? undefined : code;
}

/** The language of the body's last `user` message (string content, or the text parts of multi-part content). */
export function requestLanguage(body: Record<string, unknown>): string | undefined {
  const { messages } = body;
  if (!Array.isArray(messages)) return undefined;
  for (let i = messages.length - 1; i >= 0; i--) {
    const message: unknown = messages[i];
    if (typeof message !== 'object' || message === null) continue;
    const { role, content } = message as { role?: unknown; content?: unknown };
    if (role === 'user') return textLanguage(messageText(content));
  }
  return undefined;
}

import { describe, expect, it } from 'vitest';
import {
  LANGUAGE_SAMPLE_CHARS,
  MIN_LANGUAGE_CHARS,
  requestLanguage,
  textLanguage,
} from '../../gateway/request-language';
import { requestSegmenter } from '../../gateway/request-segment';
import { SENTENCES } from '../support/language-sentences';

const chat = (...messages: Array<{ role: string; content: unknown }>) => ({ model: 'chat', messages });

describe('the language of a text', () => {
  it.each(Object.entries(SENTENCES))('tells %s', (code, sentence) => {
    expect(textLanguage(sentence)).toBe(code);
  });

  it('has none for a text too short to tell, blank text, or text without letters', () => {
    for (const text of [
      '',
      '   ',
      'hi',
      'Bonjour, ça va ?',
      'Where is my order?',
      '1234 5678 9012 3456 7890',
      '🙂🙂🙂🙂🙂🙂🙂🙂🙂🙂🙂🙂',
    ])
      expect(textLanguage(text), text).toBeUndefined();
    // Padding does not make a short text long enough.
    expect(textLanguage(`   ${'hi there'}        \n\n          `)).toBeUndefined();
    expect('Bonjour, ça va ?'.length).toBeLessThan(MIN_LANGUAGE_CHARS);
  });

  it(`reads only the first ${LANGUAGE_SAMPLE_CHARS} characters`, () => {
    const spanishThenEnglish = SENTENCES.spa.repeat(20).slice(0, LANGUAGE_SAMPLE_CHARS) + SENTENCES.eng.repeat(100);
    expect(textLanguage(spanishThenEnglish)).toBe('spa');
  });
});

describe('the language of a chat request', () => {
  it("is the last user message's, not the system prompt's or the assistant's", () => {
    expect(
      requestLanguage(
        chat(
          { role: 'system', content: 'You are a helpful assistant for an online shop; answer politely and briefly.' },
          { role: 'user', content: SENTENCES.eng },
          { role: 'assistant', content: 'Lo siento mucho, voy a revisar el estado de su pedido ahora mismo.' },
          { role: 'user', content: SENTENCES.deu },
          { role: 'assistant', content: 'Natürlich, einen Moment bitte, ich sehe nach.' },
        ),
      ),
    ).toBe('deu');
  });

  it('reads the text parts of multi-part content', () => {
    const parts = [
      { type: 'text', text: SENTENCES.fra },
      { type: 'image_url', image_url: { url: 'https://example.invalid/photo.png' } },
      { type: 'text', text: 'Merci beaucoup pour votre aide.' },
    ];
    expect(requestLanguage(chat({ role: 'user', content: parts }))).toBe('fra');
    expect(requestLanguage(chat({ role: 'user', content: [{ type: 'image_url', image_url: { url: 'x' } }] }))).toBe(
      undefined,
    );
  });

  it('has none without a user message, with a short one, or with a body that is not chat', () => {
    expect(requestLanguage(chat({ role: 'system', content: SENTENCES.eng }))).toBeUndefined();
    expect(requestLanguage(chat({ role: 'user', content: SENTENCES.eng }, { role: 'user', content: 'ok' }))).toBe(
      undefined,
    );
    expect(requestLanguage({ model: 'embed', input: SENTENCES.eng })).toBeUndefined();
    expect(requestLanguage({ model: 'chat', messages: 'hello' })).toBeUndefined();
    expect(requestLanguage(chat({ role: 'user', content: 42 }))).toBeUndefined();
    expect(requestLanguage({ model: 'chat', messages: [null, 7, { role: 'user', content: SENTENCES.rus }] })).toBe(
      'rus',
    );
  });
});

describe('a route segmentation over a request', () => {
  it('takes the first value of a header, trimmed and cut to 64 characters; none when absent or blank', () => {
    const byTenant = requestSegmenter({ header: 'x-tenant' });
    expect(byTenant({ 'x-tenant': ' acme ' }, {})).toBe('acme');
    expect(byTenant({ 'x-tenant': ['globex', 'acme'] }, {})).toBe('globex');
    expect(byTenant({ 'x-tenant': 'x'.repeat(200) }, {})).toBe('x'.repeat(64));
    expect(byTenant({ 'x-tenant': '   ' }, {})).toBeUndefined();
    expect(byTenant({}, { metadata: { 'x-tenant': 'acme' } })).toBeUndefined();
  });

  it('takes a metadata tag when it is a string', () => {
    const byPlan = requestSegmenter({ metadata: 'plan' });
    expect(byPlan({}, { metadata: { plan: 'pro' } })).toBe('pro');
    expect(byPlan({ plan: 'pro' }, {})).toBeUndefined();
    for (const metadata of [{ plan: 3 }, { plan: '' }, { other: 'pro' }, ['pro'], 'pro', null])
      expect(byPlan({}, { metadata }), JSON.stringify(metadata)).toBeUndefined();
  });

  it('takes the language of the last user message', () => {
    const byLanguage = requestSegmenter({ language: true });
    expect(byLanguage({}, chat({ role: 'user', content: SENTENCES.jpn }))).toBe('jpn');
    expect(byLanguage({}, chat({ role: 'user', content: 'hi' }))).toBeUndefined();
  });
});

// When a streamed chat completion's first token arrives: the first event with generated output,
// not the role-only opening event, and not thrown off by events split across chunks.
import { describe, expect, it } from 'vitest';
import { FirstTokenWatch, carriesToken } from '../../gateway/first-token';

const event = (delta: Record<string, unknown>) =>
  `data: ${JSON.stringify({ object: 'chat.completion.chunk', choices: [{ index: 0, delta, finish_reason: null }] })}\n\n`;
const bytes = (text: string) => new TextEncoder().encode(text);

describe('carriesToken', () => {
  it.each([
    ['text', event({ content: 'Hello' }), true],
    ['reasoning', event({ reasoning_content: 'Let me think' }), true],
    ['a tool call', event({ tool_calls: [{ index: 0, function: { name: 'lookup', arguments: '' } }] }), true],
    ['the role-only opening event', event({ role: 'assistant', content: '' }), false],
    ['an empty delta (finish)', event({}), false],
    ['the end marker', 'data: [DONE]\n\n', false],
    ['a usage-only chunk', `data: ${JSON.stringify({ choices: [], usage: { completion_tokens: 3 } })}\n\n`, false],
    ['a comment line', ': keep-alive\n\n', false],
    ['broken JSON', 'data: {"choices": [\n\n', false],
    ['JSON null', 'data: null\n\n', false],
    ['a bare number', 'data: 7\n\n', false],
  ])('%s → %s', (_what, text, expected) => {
    expect(carriesToken(text.trimEnd())).toBe(expected);
  });
});

describe('FirstTokenWatch', () => {
  it('fires once, on the chunk that completes the first event with output', () => {
    const watch = new FirstTokenWatch();
    const stream = event({ role: 'assistant', content: '' }) + event({ content: 'Hi' }) + event({ content: ' there' });
    const cut = stream.indexOf('Hi') + 1; // inside the first content event
    expect(watch.feed(bytes(stream.slice(0, cut)))).toBe(false);
    expect(watch.feed(bytes(stream.slice(cut)))).toBe(true);
    expect(watch.feed(bytes(event({ content: 'again' })))).toBe(false);
  });

  it('reads CRLF-separated events and multi-byte characters split between chunks', () => {
    const watch = new FirstTokenWatch();
    const raw = bytes(`data: ${JSON.stringify({ choices: [{ delta: { content: 'é' } }] })}\r\n\r\n`);
    const split = raw.indexOf(0xc3) + 1; // between the two bytes of 'é'
    expect(watch.feed(raw.slice(0, split))).toBe(false);
    expect(watch.feed(raw.slice(split))).toBe(true);
  });

  it('never fires for a stream without output', () => {
    const watch = new FirstTokenWatch();
    expect(watch.feed(bytes(event({ role: 'assistant', content: '' }) + event({}) + 'data: [DONE]\n\n'))).toBe(false);
  });
});

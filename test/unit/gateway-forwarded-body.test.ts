import { describe, expect, it } from 'vitest';
import { forwardedBodies } from '../../gateway/forwarded-body';
import { configBundleSchema } from '../../lib/config-bundle';

const plain = (body: Record<string, unknown>, model: string) => JSON.stringify({ ...body, model });

describe('forwardedBodies', () => {
  const body = {
    model: 'route-a',
    messages: [
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'Say "hello" \u2028 with a\nnewline and a \\ backslash' },
    ],
    temperature: 0,
    response_format: { type: 'json_object' },
  };

  it('gives each model exactly the text of serializing the body with that model, model kept in its place', () => {
    const [live, copy] = forwardedBodies(body, [{ model: 'baseline-7b' }, { model: 'candidate "8b"' }]);
    expect(live).toBe(plain(body, 'baseline-7b'));
    expect(copy).toBe(plain(body, 'candidate "8b"'));
    expect(Object.keys(JSON.parse(copy!))).toEqual(['model', 'messages', 'temperature', 'response_format']);
  });

  it('serializes once per model when the body itself holds the stand-in text', () => {
    const tricky = { ...body, user: '\u0000llm-rollout-forwarded-model\u0000' };
    expect(forwardedBodies(tricky, [{ model: 'a' }, { model: 'b' }])).toEqual([plain(tricky, 'a'), plain(tricky, 'b')]);
  });

  it('handles a single model and a body without a model key', () => {
    expect(forwardedBodies(body, [{ model: 'only' }])).toEqual([plain(body, 'only')]);
    const noModel = { input: 'x' };
    expect(forwardedBodies(noModel, [{ model: 'a' }, { model: 'b' }])).toEqual([
      plain(noModel, 'a'),
      plain(noModel, 'b'),
    ]);
  });

  it('applies each target’s bundle to its own text only (a prompt rollout mirrored to its candidate)', () => {
    const config = configBundleSchema.parse({ systemPrompt: 'You are v2.', sampling: { temperature: 0.7 } });
    const [live, copy] = forwardedBodies(body, [{ model: 'm' }, { model: 'm', config }]);
    expect(live).toBe(plain(body, 'm'));
    const sent = JSON.parse(copy!) as typeof body;
    expect(sent.model).toBe('m');
    expect(sent.temperature).toBe(0.7);
    expect(sent.messages.map((m) => m.content)).toEqual(['You are v2.', 'Be brief.', body.messages[1]!.content]);
  });
});

// The configuration bundle decides what a prompt or settings rollout actually sends: these pin
// how it rewrites a chat request, what it refuses, and that its digest names its content only.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  applyConfigBundle,
  configBundleSchema,
  configDigest,
  describeConfigBundle,
  shortDigest,
} from '../../lib/config-bundle';
import { formatIssueProblem, issueProblems, safeParseReportingInput } from '../../lib/zod-issues';

const bundle = (input: unknown) => configBundleSchema.parse(input);

function problemsOf(input: unknown): string[] {
  const result = safeParseReportingInput(configBundleSchema, input);
  if (result.success) throw new Error('expected the bundle to be refused');
  return issueProblems(result.error, '(bundle)').map(formatIssueProblem);
}

const request = {
  model: 'support-bot',
  messages: [
    { role: 'system', content: 'client instructions' },
    { role: 'user', content: 'hello' },
  ],
  temperature: 1,
  max_completion_tokens: 900,
  tools: [{ type: 'function', function: { name: 'client_tool' } }],
  user: 'u-1',
};

describe('applyConfigBundle', () => {
  it('prepends the system prompt before the client’s own by default, and leaves the client’s body alone', () => {
    const before = structuredClone(request);
    const sent = applyConfigBundle(request, bundle({ systemPrompt: 'You are support v2.' }));
    expect(sent.messages).toEqual([{ role: 'system', content: 'You are support v2.' }, ...request.messages]);
    expect(request).toEqual(before);
    expect(sent.temperature).toBe(1);
    expect(sent.user).toBe('u-1');
  });

  it('replaces the client’s system and developer messages in replace mode', () => {
    const withDeveloper = { ...request, messages: [{ role: 'developer', content: 'dev' }, ...request.messages] };
    const sent = applyConfigBundle(withDeveloper, bundle({ systemPrompt: 'Only this.', systemPromptMode: 'replace' }));
    expect(sent.messages).toEqual([
      { role: 'system', content: 'Only this.' },
      { role: 'user', content: 'hello' },
    ]);
  });

  it('sets sampling, tools, tool choice and extra fields over the client’s, max_tokens replacing max_completion_tokens', () => {
    const tools = [{ type: 'function', function: { name: 'lookup_order', parameters: { type: 'object' } } }];
    const sent = applyConfigBundle(
      request,
      bundle({
        sampling: { temperature: 0.2, max_tokens: 256, stop: ['###'] },
        tools,
        toolChoice: 'auto',
        extraBody: { reasoning_effort: 'low' },
      }),
    );
    expect(sent).toMatchObject({ temperature: 0.2, max_tokens: 256, stop: ['###'], tools, tool_choice: 'auto' });
    expect(sent.reasoning_effort).toBe('low');
    expect(sent).not.toHaveProperty('max_completion_tokens');
    expect(sent.messages).toEqual(request.messages);
  });

  it('never touches the model, and leaves a body without messages without them', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.jsonValue()), fc.string({ minLength: 1 }), (body, prompt) => {
        const sent = applyConfigBundle({ ...body, model: 'route' }, bundle({ systemPrompt: prompt }));
        expect(sent.model).toBe('route');
        if (!Array.isArray(body.messages)) expect(sent.messages).toEqual(body.messages);
      }),
    );
  });
});

describe('configBundleSchema', () => {
  it.each([
    [
      { extraBody: { messages: [] } },
      'extraBody.messages: extraBody cannot set messages: the conversation is the client’s; use systemPrompt',
    ],
    [
      { extraBody: { temperature: 0 } },
      'extraBody.temperature: extraBody cannot set temperature: use sampling.temperature',
    ],
    [{ sampling: { temperature: 3 } }, 'sampling.temperature: must be 0–2'],
    [{ sampling: { max_tokens: 1.5 } }, 'sampling.max_tokens: must be a whole number'],
    [{ toolChoice: 'required' }, 'toolChoice: toolChoice needs tools in the same bundle'],
    [
      {
        tools: [{ type: 'function', function: { name: 'a' } }],
        toolChoice: { type: 'function', function: { name: 'b' } },
      },
      "toolChoice.function.name: no tool named 'b' in tools",
    ],
    [{ tools: [{ type: 'retrieval' }] }, 'tools[0].type: only function tools are supported'],
    [{ systemPrompt: '' }, 'systemPrompt: must not be empty'],
    [{ systemPrompt: 'x'.repeat(100_001) }, 'systemPrompt: at most 100000 characters'],
    [{ temperature: 0.2 }, 'temperature: unknown field'],
  ])('refuses case %#', (input, problem) => {
    expect(problemsOf(input)).toContain(problem);
  });
});

describe('configDigest', () => {
  it('names the content, not the order its keys were written in', () => {
    const a = bundle({ systemPrompt: 'p', sampling: { temperature: 0.1, top_p: 0.9 } });
    const b = bundle({ sampling: { top_p: 0.9, temperature: 0.1 }, systemPrompt: 'p' });
    expect(configDigest(a)).toBe(configDigest(b));
    expect(configDigest(a)).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(configDigest(bundle({ systemPrompt: 'p.' }))).not.toBe(configDigest(bundle({ systemPrompt: 'p' })));
    expect(configDigest(undefined)).toBeNull();
    expect(shortDigest(configDigest(a)!)).toHaveLength('sha256:'.length + 12);
  });

  it('is the sha256 of the canonical JSON (the same figure `sha256sum` gives)', async () => {
    const { createHash } = await import('node:crypto');
    const b = bundle({ systemPrompt: 'héllo ✓' });
    const canonical = '{"systemPrompt":"héllo ✓","systemPromptMode":"prepend"}';
    expect(configDigest(b)).toBe(`sha256:${createHash('sha256').update(canonical, 'utf8').digest('hex')}`);
  });
});

describe('describeConfigBundle', () => {
  it('says what the bundle sets in one line', () => {
    const b = bundle({
      systemPrompt: 'abc',
      sampling: { temperature: 0.2, max_tokens: 64 },
      tools: [{ type: 'function', function: { name: 'a' } }],
      extraBody: { reasoning_effort: 'low' },
    });
    expect(describeConfigBundle(b, 'prompts/v2.txt')).toBe(
      'system prompt (prepend, 3 characters from prompts/v2.txt); temperature 0.2, max_tokens 64; 1 tool; extra reasoning_effort',
    );
    expect(describeConfigBundle(bundle({}))).toBe('no settings');
  });
});

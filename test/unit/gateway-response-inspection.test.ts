import { describe, it, expect } from 'vitest';
import { inspectOutcome } from '../../gateway/inspect-outcome';
import { asksForJson, isValidJson, summarizeEventStream, summarizeJsonBody } from '../../gateway/response-inspection';
import { isRefusal } from '../../lib/refusal';
import type { UpstreamOutcome } from '../../gateway/upstream';
import { REFUSAL_SENTENCES } from '../../simulator/text-generation';

function completion(content: string, usage = { prompt_tokens: 12, completion_tokens: 34 }): string {
  return JSON.stringify({
    choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }],
    usage,
  });
}

function outcome(partial: Partial<UpstreamOutcome>): UpstreamOutcome {
  return {
    status: 200,
    contentType: 'application/json',
    bodyText: '',
    latencyMs: 5,
    firstTokenMs: null,
    failure: null,
    failedAfterHeaders: false,
    ...partial,
  };
}

describe('isRefusal', () => {
  it.each([
    "I'm sorry, but I can't help with that.",
    'I cannot provide medical advice.',
    'I’m unable to assist with this request.',
    'I am not able to comply with that.',
    "I won't provide instructions for that.",
    'As an AI language model, I do not have opinions.',
  ])('flags %j', (text) => expect(isRefusal(text)).toBe(true));

  it.each([
    'I can help you reset your password.',
    "I can't wait to hear how it goes! Here is the summary.",
    'Your refund will be provided within 5 days.',
    'The cannot-delete flag protects the workspace.',
    '',
  ])('does not flag %j', (text) => expect(isRefusal(text)).toBe(false));

  it('recognises every refusal the simulated backends produce', () => {
    for (const sentence of REFUSAL_SENTENCES) expect(isRefusal(sentence)).toBe(true);
  });

  it('treats null content as not a refusal', () => expect(isRefusal(null)).toBe(false));
});

describe('JSON detection', () => {
  it('asks for JSON only with response_format json_object or json_schema', () => {
    expect(asksForJson({ response_format: { type: 'json_object' } })).toBe(true);
    expect(asksForJson({ response_format: { type: 'json_schema', json_schema: {} } })).toBe(true);
    expect(asksForJson({ response_format: { type: 'text' } })).toBe(false);
    expect(asksForJson({})).toBe(false);
    expect(asksForJson({ response_format: 'json_object' })).toBe(false);
  });

  it('parses the whole content strictly', () => {
    expect(isValidJson('{"answer":"x","confidence":0.9}')).toBe(true);
    expect(isValidJson(' [1, 2] ')).toBe(true);
    expect(isValidJson('{"answer":"x","conf')).toBe(false);
    expect(isValidJson('```json\n{"a":1}\n```')).toBe(false);
    expect(isValidJson(null)).toBe(false);
  });
});

describe('summaries', () => {
  it('extracts content and usage from a JSON body, tolerating garbage', () => {
    expect(summarizeJsonBody(completion('hello'))).toEqual({
      content: 'hello',
      promptTokens: 12,
      completionTokens: 34,
    });
    expect(summarizeJsonBody('not json')).toEqual({ content: null, promptTokens: 0, completionTokens: 0 });
    expect(summarizeJsonBody('{"data":[{"embedding":[1]}],"usage":{"prompt_tokens":3}}')).toEqual({
      content: null,
      promptTokens: 3,
      completionTokens: 0,
    });
  });

  it('reassembles a streamed completion', () => {
    const events = [
      { choices: [{ delta: { role: 'assistant', content: '' } }] },
      { choices: [{ delta: { content: 'Hello ' } }] },
      { choices: [{ delta: { content: 'world' } }] },
      { choices: [], usage: { prompt_tokens: 4, completion_tokens: 2 } },
    ];
    const text = `${events.map((e) => `data: ${JSON.stringify(e)}\n\n`).join('')}data: [DONE]\n\n`;
    expect(summarizeEventStream(text)).toEqual({ content: 'Hello world', promptTokens: 4, completionTokens: 2 });
  });

  it('skips events whose data is JSON but not an object', () => {
    const text = `data: null\n\ndata: 3\n\ndata: ${JSON.stringify({ choices: [{ delta: { content: 'ok' } }] })}\n\n`;
    expect(summarizeEventStream(text)).toEqual({ content: 'ok', promptTokens: 0, completionTokens: 0 });
  });
});

describe('inspectOutcome', () => {
  const jsonRequest = { response_format: { type: 'json_object' } };

  it('judges refusal and JSON validity on successful chat answers', () => {
    expect(
      inspectOutcome(outcome({ bodyText: completion('{"answer":"ok"}') }), 'chat/completions', jsonRequest),
    ).toMatchObject({ refusal: false, validJson: true });
    expect(
      inspectOutcome(outcome({ bodyText: completion("I can't help with that.") }), 'chat/completions', jsonRequest),
    ).toMatchObject({ refusal: true, validJson: false });
    expect(inspectOutcome(outcome({ bodyText: completion('plain text') }), 'chat/completions', {})).toMatchObject({
      validJson: null,
    });
  });

  it('does not judge error responses, failures or embeddings', () => {
    const errorBody = JSON.stringify({ error: { message: "I can't help" } });
    expect(inspectOutcome(outcome({ status: 500, bodyText: errorBody }), 'chat/completions', jsonRequest)).toEqual({
      content: null,
      promptTokens: 0,
      completionTokens: 0,
      refusal: false,
      validJson: null,
    });
    expect(
      inspectOutcome(outcome({ status: 502, failure: 'connect ECONNREFUSED' }), 'chat/completions', jsonRequest),
    ).toMatchObject({ validJson: null, refusal: false });
    expect(
      inspectOutcome(outcome({ bodyText: '{"data":[],"usage":{"prompt_tokens":9}}' }), 'embeddings', jsonRequest),
    ).toMatchObject({ promptTokens: 9, validJson: null });
  });
});

import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { formatIssueProblem, issuePath, issueProblems, safeParseReportingInput } from '../../lib/zod-issues';

const schema = z.strictObject({
  backends: z.array(z.strictObject({ baseUrl: z.url(), model: z.string() })),
  name: z.string({ error: 'a route name' }).optional(),
  weights: z.record(z.string(), z.number()),
});

function problems(value: unknown): string[] {
  const result = safeParseReportingInput(schema, value);
  if (result.success) throw new Error('parsed');
  return issueProblems(result.error, 'body').map(formatIssueProblem);
}

describe('zod issues', () => {
  it('writes paths with dots between keys and brackets around indices', () => {
    expect(issuePath(['backends', 1, 'baseUrl'])).toBe('backends[1].baseUrl');
    expect(issuePath([0, 'a'])).toBe('[0].a');
    expect(issuePath([])).toBe('');
  });

  it('quotes a key no one could read back as written, and cuts a long one short (found by fuzzing plan files)', () => {
    expect(issuePath(['guardrails', 'score', ' '])).toBe('guardrails.score[" "]');
    expect(issuePath(['a', ''])).toBe('a[""]');
    expect(issuePath(['a', 'line\nbreak'])).toBe('a["line\\nbreak"]');
    expect(issuePath(['a', '\u202eevil'])).toBe('a["\\u202eevil"]');
    expect(issuePath(['metrics', 'answer.length', 'tolerance'])).toBe('metrics.answer.length.tolerance');
    expect(issuePath(['a', 'x'.repeat(1_000)])).toBe(`a["${'x'.repeat(60)}…"]`);
  });

  it('names each unknown field by its own path, a missing one "required", and keeps a schema\'s own message', () => {
    expect(
      problems({ backends: [{ baseUrl: 'http://a/v1', model: 'm', extra: 1 }], weights: {}, stray: true, other: 2 }),
    ).toEqual(['backends[0].extra: unknown field', 'stray: unknown field', 'other: unknown field']);
    expect(problems({ backends: [{ baseUrl: 'http://a/v1' }] })).toEqual([
      'backends[0].model: required',
      'weights: required',
    ]);
    expect(problems({ backends: [], weights: {}, name: 3 })).toEqual(['name: a route name']);
  });

  it('names the root when the whole value is wrong', () => {
    expect(problems([1, 2])).toEqual([expect.stringMatching(/^body: Invalid input: expected object/)]);
  });
});

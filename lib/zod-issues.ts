// The one way a zod failure becomes words, for plans, datasets, HTTP bodies and config files
// alike: each problem names its field (`backends[1].baseUrl`, `weights.candidate`; an unknown
// field by its own path) and says what is wrong with it.
import type { z } from 'zod';

export interface IssueProblem {
  /** The field's path, or the caller's name for the whole value when the problem is at the root. */
  field: string;
  problem: string;
}

/**
 * A field path as code would write it: dots between keys, brackets around indices. A key no one
 * could read back as written (empty, spaces, line breaks, control characters) is quoted in
 * brackets, and a long one is cut short, so a problem stays one readable line.
 */
export function issuePath(path: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else if (typeof part === 'string' && PLAIN_KEY.test(part) && part.length <= MAX_KEY_SHOWN)
      out += out ? `.${part}` : part;
    else out += `[${quotedKey(String(part))}]`;
  }
  return out;
}

const PLAIN_KEY = /^[^\s"'[\]\\\p{C}]+$/u;
const MAX_KEY_SHOWN = 60;

function quotedKey(key: string): string {
  const quoted = JSON.stringify(key.length > MAX_KEY_SHOWN ? `${key.slice(0, MAX_KEY_SHOWN)}…` : key);
  // JSON leaves some invisible characters (U+2028, bidi controls) as they are.
  return quoted.replace(/\p{C}/gu, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** Parses with each issue's input kept, so a missing field can be told from a wrong type ("required"). */
export function safeParseReportingInput<S extends z.ZodType>(
  schema: S,
  value: unknown,
): z.ZodSafeParseResult<z.output<S>> {
  return schema.safeParse(value, { reportInput: true });
}

/** Every problem in `error`, in zod's order; `root` names the whole value (e.g. "(plan)", "body"). */
export function issueProblems(error: z.ZodError, root: string): IssueProblem[] {
  return error.issues.flatMap((issue): IssueProblem[] => {
    if (issue.code === 'unrecognized_keys')
      return issue.keys.map((key) => ({ field: issuePath([...issue.path, key]), problem: 'unknown field' }));
    // Only zod's own wording is replaced: a schema's message for a missing field says more.
    const missing =
      issue.code === 'invalid_type' &&
      'input' in issue &&
      issue.input === undefined &&
      issue.message.startsWith('Invalid input');
    return [{ field: issuePath(issue.path) || root, problem: missing ? 'required' : issue.message }];
  });
}

/** `field: problem`. */
export function formatIssueProblem(problem: IssueProblem): string {
  return `${problem.field}: ${problem.problem}`;
}

/** Parses `value` with `schema`, or throws what `toError` makes of the first problem (an HTTP 400 naming the field, say). */
export function parseOrThrowFirst<S extends z.ZodType>(
  schema: S,
  value: unknown,
  root: string,
  toError: (problem: IssueProblem) => Error,
): z.output<S> {
  const result = safeParseReportingInput(schema, value);
  if (result.success) return result.data;
  throw toError(issueProblems(result.error, root)[0] ?? { field: root, problem: 'invalid value' });
}

// Turns the first zod issue into an InvalidRequestError whose field is the dotted path of the
// offending value (e.g. `backends[1].baseUrl`, `weights.candidate`), so a 400 names the field.
import type { z } from 'zod';
import { InvalidRequestError } from './errors';

export function formatIssuePath(path: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out ? `.${String(part)}` : String(part);
  }
  return out;
}

export function invalidRequestFromZod(error: z.ZodError, rootName = 'body'): InvalidRequestError {
  const issue = error.issues[0];
  if (!issue) return new InvalidRequestError(rootName, 'invalid value');
  if (issue.code === 'unrecognized_keys') {
    const field = formatIssuePath([...issue.path, issue.keys[0] ?? '']);
    return new InvalidRequestError(field, 'unknown field');
  }
  return new InvalidRequestError(formatIssuePath(issue.path) || rootName, issue.message);
}

/** Parses `value` with `schema` or throws an InvalidRequestError naming the first bad field. */
export function parseOrThrow<S extends z.ZodType>(schema: S, value: unknown, rootName = 'body'): z.output<S> {
  const result = schema.safeParse(value);
  if (!result.success) throw invalidRequestFromZod(result.error, rootName);
  return result.data;
}

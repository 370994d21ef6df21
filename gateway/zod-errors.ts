// A bad body or file becomes an InvalidRequestError whose field is the offending value's path
// (e.g. `backends[1].baseUrl`, `weights.candidate`), worded by lib/zod-issues.ts, so a 400 names
// the field.
import type { z } from 'zod';
import { parseOrThrowFirst } from '../lib/zod-issues';
import { InvalidRequestError } from './errors';

/** Parses `value` with `schema` or throws an InvalidRequestError naming the first bad field. */
export function parseOrThrow<S extends z.ZodType>(schema: S, value: unknown, rootName = 'body'): z.output<S> {
  return parseOrThrowFirst(schema, value, rootName, ({ field, problem }) => new InvalidRequestError(field, problem));
}

// The simulator's 400s name the offending field (`errorRate: must be <= 1`), worded by
// lib/zod-issues.ts like every other zod failure in the project.
import type { z } from 'zod';
import { parseOrThrowFirst } from '../lib/zod-issues';

export class FieldValidationError extends Error {
  constructor(
    readonly field: string,
    readonly detail: string,
  ) {
    super(`${field}: ${detail}`);
    this.name = 'FieldValidationError';
  }
}

/** Parses `value` with `schema` or throws a FieldValidationError naming the first bad field. */
export function parseFields<S extends z.ZodType>(schema: S, value: unknown, rootName: string): z.output<S> {
  return parseOrThrowFirst(schema, value, rootName, ({ field, problem }) => new FieldValidationError(field, problem));
}

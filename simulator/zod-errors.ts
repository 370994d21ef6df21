// The simulator's 400s name the offending field (`errorRate: must be <= 1`), worded by
// lib/zod-issues.ts like every other zod failure in the project.
import type { z } from 'zod';
import { issueProblems, safeParseReportingInput } from '../lib/zod-issues';

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
  const result = safeParseReportingInput(schema, value);
  if (result.success) return result.data;
  const first = issueProblems(result.error, rootName)[0] ?? { field: rootName, problem: 'invalid value' };
  throw new FieldValidationError(first.field, first.problem);
}

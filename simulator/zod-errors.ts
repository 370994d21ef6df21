// Formats the first zod issue as `field: message`, so a 400 from the simulator names the
// offending field (e.g. `errorRate: must be <= 1`, `messages: must contain at least one message`).
import type { z } from 'zod';

export class FieldValidationError extends Error {
  constructor(
    readonly field: string,
    readonly detail: string,
  ) {
    super(`${field}: ${detail}`);
    this.name = 'FieldValidationError';
  }
}

export function firstIssue(error: z.ZodError, rootName: string): { field: string; detail: string } {
  const issue = error.issues[0];
  if (!issue) return { field: rootName, detail: 'invalid value' };
  const path = issue.code === 'unrecognized_keys' ? [...issue.path, issue.keys[0] ?? ''] : issue.path;
  const field = path.map(String).join('.') || rootName;
  return { field, detail: issue.code === 'unrecognized_keys' ? 'unknown field' : issue.message };
}

// The fields of a signal or update as sent, unchecked: the `temporal` CLI, the UI and scripts send
// whatever JSON they are given, so `by` may be a number, the argument null, the reason a megabyte.
// Pure, over plain values: the workflow's handlers and validators read their input through these.
import { ApplicationFailure } from '@temporalio/workflow';
import { FailureType } from './failure-types';

/** Who decided, as a person or bot name; longer is not a name. */
export const MAX_BY_CHARS = 200;
/** A gate id or an approver group id. */
export const MAX_ID_CHARS = 200;
/** A reason is a sentence or a paragraph; it is kept in the timeline, the status and every continued run's state. */
export const MAX_REASON_CHARS = 2_000;

/** The message's fields; none when the argument is not an object (null, a number, a list, nothing). */
export function messageFields(request: unknown): Record<string, unknown> {
  return isFieldObject(request) ? request : {};
}

/** An argument with fields: an object, not null or a list. */
function isFieldObject(request: unknown): request is Record<string, unknown> {
  return request !== null && typeof request === 'object' && !Array.isArray(request);
}

/** What a value is, for an error message: "a number", "null", "a list". */
function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

/**
 * Rejects an update whose argument is not an object, or whose text fields are not strings or are
 * too long (InvalidDecision, non-retryable). `required` fields must also be non-blank; the caller
 * words that refusal itself, so only the types and lengths are checked here.
 */
export function checkUpdateFields(request: unknown, fields: Record<string, number>, example: string): void {
  if (!isFieldObject(request))
    throw ApplicationFailure.nonRetryable(
      `the request must be an object like ${example}, got ${kindOf(request)}`,
      FailureType.InvalidDecision,
    );
  for (const [field, max] of Object.entries(fields)) {
    const value = request[field];
    if (value === undefined) continue;
    if (typeof value !== 'string')
      throw ApplicationFailure.nonRetryable(
        `\`${field}\` must be a string, got ${kindOf(value)}`,
        FailureType.InvalidDecision,
      );
    if (value.length > max)
      throw ApplicationFailure.nonRetryable(
        `\`${field}\` is ${value.length} characters; at most ${max}`,
        FailureType.InvalidDecision,
      );
  }
}

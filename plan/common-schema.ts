// Field types shared by the plan's sub-schemas.
import { z } from 'zod';
import { parseDurationMs } from './duration';

/**
 * Ten years: longer than any stage, approval or revert window, and short enough that a timer, a
 * deadline (now + duration) and the sum of every stage's window stay ordinary numbers and dates.
 */
export const MAX_DURATION_MS = 3650 * 86_400_000;

export const duration = () =>
  z.union([z.string(), z.number()]).transform((value, ctx) => {
    const ms = parseDurationMs(value);
    if (ms === null) {
      ctx.addIssue({
        code: 'custom',
        message: `expected a duration like "30s", "15m", "1h30m" or milliseconds, got ${shown(value)}`,
      });
      return z.NEVER;
    }
    if (ms > MAX_DURATION_MS) {
      ctx.addIssue({ code: 'custom', message: `at most 3650d (ten years), got ${shown(value)}` });
      return z.NEVER;
    }
    return ms;
  });

/** The value as the plan wrote it, cut short: a megabyte-long string need not come back in the error. */
function shown(value: string | number): string {
  const text = JSON.stringify(value);
  return text.length > 80 ? `${text.slice(0, 77)}…` : text;
}

export const httpUrl = z
  .string()
  // Anchored at both ends: "http://host:8000/v1 # prod" or "http://" are not URLs to send traffic to.
  .refine((value) => /^https?:\/\/[^\s/?#]+(?:[/?#]\S*)?$/.test(value), { message: 'expected an http(s) URL' })
  .transform((value) => value.replace(/\/+$/, ''));

export const share = z.number().min(0, 'must be between 0 and 1').max(1, 'must be between 0 and 1');

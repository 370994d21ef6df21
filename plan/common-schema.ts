// Field types shared by the plan's sub-schemas.
import { z } from 'zod';
import { parseDurationMs } from './duration';

export const duration = () =>
  z.union([z.string(), z.number()]).transform((value, ctx) => {
    const ms = parseDurationMs(value);
    if (ms === null) {
      ctx.addIssue({
        code: 'custom',
        message: `expected a duration like "30s", "15m", "1h30m" or milliseconds, got ${JSON.stringify(value)}`,
      });
      return z.NEVER;
    }
    return ms;
  });

export const httpUrl = z
  .string()
  // Anchored at both ends: "http://host:8000/v1 # prod" or "http://" are not URLs to send traffic to.
  .refine((value) => /^https?:\/\/[^\s/?#]+(?:[/?#]\S*)?$/.test(value), { message: 'expected an http(s) URL' })
  .transform((value) => value.replace(/\/+$/, ''));

export const share = z.number().min(0, 'must be between 0 and 1').max(1, 'must be between 0 and 1');

// stages.goldenEval: the golden dataset run on both backends.
import { z } from 'zod';
import { duration, share } from './common-schema';

export const goldenEvalStageSchema = z
  .strictObject({
    enabled: z.boolean().default(false),
    dataset: z.string().min(1).optional(),
    /** Lowest acceptable share of items the candidate gets right. */
    minPassRate: share.default(0.9),
    /** Largest acceptable drop in pass rate versus the baseline (absolute). */
    maxRegression: share.default(0.02),
    concurrency: z.number().int().min(1).max(256).default(8),
    requestTimeout: duration().default(60_000),
  })
  .prefault({});

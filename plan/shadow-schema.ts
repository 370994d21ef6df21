// stages.shadow: mirror a share of live traffic to the candidate for a timed window; at its end
// the candidate's mirrored answers are compared with the baseline's for the same requests
// (activities/shadow-compare.ts). `compare` is optional; evals/behavioral-settings.ts applies its
// defaults, so plans written before it parse exactly as before.
import { z } from 'zod';
import { duration, share } from './common-schema';
import { behavioralPolicySchema, embeddingsSchema, llmJudgeSchema } from './golden-eval-schema';

export const shadowCompareSchema = z.strictObject({
  /** Pairs (both answers for one request) needed for a verdict; fewer is inconclusive. */
  minPairs: z.number().int().min(1).default(30),
  /** Embeddings and the judge run on a deterministic sample of the pairs (by request id). */
  sample: z
    .strictObject({ share: share.default(0.25), max: z.number().int().min(1).max(5_000).default(200) })
    .prefault({}),
  judge: llmJudgeSchema.optional(),
  embeddings: embeddingsSchema.optional(),
  /** JSON Schema the route's JSON answers must match; without it, the baseline's JSON shape (its top-level keys) is the contract. */
  schema: z.record(z.string(), z.unknown()).optional(),
  /** Breached thresholds that roll back on their own; one fewer asks a human (the seeds' rule: 2). */
  failAtBreaches: z.number().int().min(1).default(2),
  policy: behavioralPolicySchema.optional(),
});

export const shadowStageSchema = z
  .strictObject({
    enabled: z.boolean().default(true),
    share: share.default(0.5),
    window: duration().default(600_000),
    compare: shadowCompareSchema.optional(),
  })
  .prefault({});

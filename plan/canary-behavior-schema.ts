// stages.canary.behavioral: behavioral checks on the canary's live answers at every check
// (activities/canary-behavior.ts, evals/canary-behavior.ts), read from the gateway's answer
// samples. On by default with the gateway router (plan/schema.ts); `enabled: false` turns it off.
import { z } from 'zod';
import { llmJudgeSchema } from './golden-eval-schema';

export const canaryBehaviorSchema = z.strictObject({
  enabled: z.boolean().default(true),
  /** Also during the cutover's bake, where the baseline's answers are its mirrored copies. */
  bake: z.boolean().default(true),
  phrasing: z
    .strictObject({
      enabled: z.boolean().default(true),
      /** Smallest rise in the share of answers with a phrase that counts (absolute). */
      tolerance: z.number().gt(0, 'tolerance must be in (0, 1)').lt(1, 'tolerance must be in (0, 1)').default(0.1),
      /** An added phrase rolls back (true) or asks a person (false). */
      blocking: z.boolean().default(true),
    })
    .prefault({}),
  /** Answers to distinct requests each side needs in the window before phrasing is judged. */
  minAnswers: z.number().int().min(2).default(20),
  /** The LLM judge on live answers: each call scores one candidate and one baseline answer, each against its own request. */
  judge: llmJudgeSchema.optional(),
  /** Judge calls per check at most. */
  judgeCallsPerCheck: z.number().int().min(1).max(200).default(10),
});

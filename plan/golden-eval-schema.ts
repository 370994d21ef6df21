// stages.goldenEval: the golden dataset run on both backends, scored per item and per model, and
// judged metric by metric as paired differences (evals/). Also the pieces the shadow comparison
// shares: the LLM judge, the embeddings endpoint and the per-metric policy overrides.
//
// Every behavioral setting is optional and has no default written into the parsed plan (plans
// parsed before they existed stay byte-for-byte the same); evals/behavioral-settings.ts applies
// the documented defaults when it reads them.
import { z } from 'zod';
import { duration, httpUrl, share } from './common-schema';

const envName = z.string().regex(/^[A-Z_][A-Z0-9_]*$/, 'an environment variable name');

export const DEFAULT_RUBRIC: ReadonlyArray<{ name: string; description: string }> = Object.freeze([
  { name: 'completeness', description: 'covers everything the request asks for and skips nothing a reader needs' },
  { name: 'directness', description: 'answers plainly and with confidence, without hedging or needless disclaimers' },
  { name: 'helpfulness', description: 'actually helps with a reasonable request instead of declining it' },
  { name: 'clarity', description: 'says it in clear, concise, plain wording' },
]);

const criterion = z.strictObject({
  name: z
    .string()
    .regex(
      /^[a-z][a-z0-9_]{0,31}$/,
      'lowercase letters, digits and "_", starting with a letter, at most 32 characters',
    ),
  description: z.string().min(1, 'describe what the judge scores').max(300, 'at most 300 characters'),
});

/** The LLM-as-judge: any OpenAI-compatible chat endpoint, scoring both answers for the same input. */
export const llmJudgeSchema = z.strictObject({
  baseUrl: httpUrl,
  model: z.string().min(1, 'model name is required'),
  apiKeyEnv: envName.optional(),
  /** The rubric: 3–5 criteria, each scored 1–5. */
  criteria: z
    .array(criterion)
    .min(3, 'a focused rubric has 3–5 criteria')
    .max(5, 'a focused rubric has 3–5 criteria')
    .refine(
      (criteria) => new Set(criteria.map((c) => c.name)).size === criteria.length,
      'criterion names must be unique',
    )
    .default(() => DEFAULT_RUBRIC.map((c) => ({ ...c }))),
  /** Grading requests in flight at once. */
  concurrency: z.number().int().min(1).max(64).default(4),
  requestTimeout: duration().default(60_000),
  /** Seeds the per-item random order of the two answers (reproducible across retries). */
  orderSeed: z.number().int().min(0).max(0xffffffff).default(1),
});

/** An OpenAI-compatible embeddings endpoint: cosine similarity between the two answers. */
export const embeddingsSchema = z.strictObject({
  baseUrl: httpUrl,
  model: z.string().min(1, 'model name is required'),
  apiKeyEnv: envName.optional(),
  /** Mean similarity below this is a divergence from the baseline (tolerance 1 − minSimilarity). */
  minSimilarity: share.default(0.85),
  concurrency: z.number().int().min(1).max(64).default(4),
  requestTimeout: duration().default(30_000),
});

const metricPolicy = z.strictObject({
  enabled: z.boolean().optional(),
  tolerance: z.number().min(0, 'tolerance must be ≥ 0').optional(),
  /** Golden eval: a regression fails the gate. Shadow: one breach alone rolls back. */
  blocking: z.boolean().optional(),
});

/** How metrics are judged; `metrics` overrides one metric's defaults (names as in the verdict, e.g. "length", "judge.completeness"). */
export const behavioralPolicySchema = z.strictObject({
  /** Paired samples a metric needs before it can be classified (fewer: no_data, never a pass). */
  minPairs: z.number().int().min(2).default(8),
  /** Largest share of items the judge or embeddings may leave unscored before the metric is incomplete. */
  maxNoScoreShare: share.default(0.1),
  metrics: z.record(z.string().regex(/^[a-zA-Z][\w.]*$/, 'a metric name'), metricPolicy).default({}),
});

/** A regression confined to one tag's items fails the eval; `minItems`: a smaller segment has too little data. */
export const goldenSegmentsSchema = z.strictObject({
  enabled: z.boolean().default(true),
  minItems: z.number().int().min(2, 'minItems must be ≥ 2').default(12),
});

export const goldenEvalStageSchema = z
  .strictObject({
    enabled: z.boolean().default(false),
    dataset: z.string().min(1).optional(),
    /** Lowest acceptable share of items the candidate gets right. */
    minPassRate: share.default(0.9),
    /** Largest acceptable drop in pass rate versus the baseline (absolute). */
    maxRegression: share.default(0.02),
    /** Requests in flight at once, across both backends. */
    concurrency: z.number().int().min(1).max(256).default(8),
    requestTimeout: duration().default(60_000),
    /** Retries per request after the first attempt (default 2). */
    retries: z.number().int().min(0).max(10).optional(),
    /** LLM-as-judge with a focused rubric (off unless set). */
    judge: llmJudgeSchema.optional(),
    /** Embedding similarity of the candidate's answer to the baseline's (off unless set). */
    embeddings: embeddingsSchema.optional(),
    policy: behavioralPolicySchema.optional(),
    /** Per-segment verdicts over the items' tags (evals/golden-segments.ts); on unless turned off. */
    segments: goldenSegmentsSchema.optional(),
  })
  .prefault({});

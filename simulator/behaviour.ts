// How a simulated GPU backend behaves: latency and time to first token, failure, refusal and
// broken-JSON rates, answer length, GPU slots, the seed, and the silent regressions of
// answer-style.ts. Settable at start (flags) and at runtime (admin API), so a demo can make a
// candidate regress mid-rollout. Every update is validated as a whole before anything changes.
import { z } from 'zod';
import { DEFAULT_QUALIFIER } from './answer-style';
import { parseFields } from './zod-errors';

export interface Behaviour {
  /** Median latency per request in ms (log-normal). */
  latencyMedianMs: number;
  /** Log-normal sigma; 0 gives a fixed latency. */
  latencySigma: number;
  /**
   * Streamed chat completions only: the share of the request's latency that passes before the
   * first content event (time to first token), 0..1; the other events are paced over the rest,
   * so the total latency is the same whatever the share. A candidate can regress TTFT alone
   * (slow prefill or scheduling) with an unchanged end-to-end latency. Non-streamed answers
   * still arrive whole after the full latency.
   */
  firstTokenShare: number;
  /** Share of requests answered with a 500/503 error, 0..1. */
  errorRate: number;
  /** Share of chat requests answered with a refusal sentence, 0..1. */
  refusalRate: number;
  /** Mean answer length in tokens (lengths vary uniformly in [0.5, 1.5] x mean per prompt). */
  meanCompletionTokens: number;
  /** Share of JSON-mode answers that are truncated into invalid JSON, 0..1. */
  brokenJsonRate: number;
  /** Requests served at once (GPU slots); more wait in a FIFO queue. */
  maxConcurrency: number;
  /** Seed for every random draw; changing it restarts the random sequence. */
  seed: number;
  /**
   * Seed of the answers' content; null (the default) uses `seed`. Backends sharing a content seed
   * say the same things in answers of their own lengths, like two models that know the same
   * facts; the behaviours below then change how a candidate says them.
   */
  contentSeed: number | null;
  /** Silent regression: each content sentence is skipped with this probability (shorter answers), 0..1. */
  skipContentRate: number;
  /** Silent regression: share of answers that hedge ("I'm not entirely sure…"), 0..1. */
  hedgeRate: number;
  /** Silent regression: share of answers that open with `qualifier` (a change of phrasing the hedge patterns miss), 0..1. */
  qualifierRate: number;
  /** The qualifying phrase `qualifierRate` prepends. */
  qualifier: string;
  /** Silent regression: prompts whose user text mentions one of these words are refused. */
  refusalTopics: string[];
  /** Silent regression: JSON-mode answers leave out these fields. */
  jsonDropFields: string[];
  /** Silent regression: JSON-mode answers rename fields, e.g. {"answer": "response"}. */
  jsonRenameFields: Record<string, string>;
  /** Healthy change: share of sentences reworded in plainer words with the same meaning, 0..1. */
  wordingDrift: number;
  /** SIMULATED judge only: share of grading requests answered with prose instead of JSON scores, 0..1. */
  judgeMalformedRate: number;
  /**
   * A broken server, for fault injection (bench:chaos): 'hang' accepts inference requests and
   * never answers; 'reset' drops the connection; 'garbage' answers 200 with a body that is not
   * an OpenAI response (or a stream of unparseable events). 'none' serves normally.
   */
  fault: BackendFault;
}

export const BACKEND_FAULTS = ['none', 'hang', 'reset', 'garbage'] as const;
export type BackendFault = (typeof BACKEND_FAULTS)[number];

export const DEFAULT_BEHAVIOUR: Readonly<Behaviour> = Object.freeze({
  latencyMedianMs: 120,
  latencySigma: 0.35,
  firstTokenShare: 0.25,
  errorRate: 0,
  refusalRate: 0,
  meanCompletionTokens: 120,
  brokenJsonRate: 0,
  maxConcurrency: 16,
  seed: 1,
  contentSeed: null,
  skipContentRate: 0,
  hedgeRate: 0,
  qualifierRate: 0,
  qualifier: DEFAULT_QUALIFIER,
  refusalTopics: Object.freeze([]) as unknown as string[],
  jsonDropFields: Object.freeze([]) as unknown as string[],
  jsonRenameFields: Object.freeze({}) as Record<string, string>,
  wordingDrift: 0,
  judgeMalformedRate: 0,
  fault: 'none',
});

const rate = z.number('must be a number').min(0, 'must be >= 0').max(1, 'must be <= 1');

export const behaviourPatchSchema = z.strictObject({
  latencyMedianMs: z.number('must be a number').min(0, 'must be >= 0').max(600_000, 'must be <= 600000').optional(),
  latencySigma: z.number('must be a number').min(0, 'must be >= 0').max(3, 'must be <= 3').optional(),
  firstTokenShare: rate.optional(),
  errorRate: rate.optional(),
  refusalRate: rate.optional(),
  meanCompletionTokens: z.int('must be an integer').min(1, 'must be >= 1').max(8192, 'must be <= 8192').optional(),
  brokenJsonRate: rate.optional(),
  maxConcurrency: z.int('must be an integer').min(1, 'must be >= 1').max(10_000, 'must be <= 10000').optional(),
  seed: z.int('must be an integer').min(0, 'must be >= 0').max(0xffffffff, 'must be <= 4294967295').optional(),
  contentSeed: z
    .int('must be an integer or null')
    .min(0, 'must be >= 0')
    .max(0xffffffff, 'must be <= 4294967295')
    .nullable()
    .optional(),
  skipContentRate: rate.optional(),
  hedgeRate: rate.optional(),
  qualifierRate: rate.optional(),
  qualifier: z
    .string('must be a string')
    .trim()
    .min(1, 'must not be empty')
    .max(200, 'at most 200 characters')
    .optional(),
  refusalTopics: z
    .array(z.string('must be a string').min(1, 'must not be empty'), 'must be an array of words')
    .max(100, 'at most 100 topics')
    .optional(),
  jsonDropFields: z
    .array(z.string('must be a string').min(1, 'must not be empty'), 'must be an array of field names')
    .max(100, 'at most 100 fields')
    .optional(),
  jsonRenameFields: z
    .record(z.string(), z.string('must be a string').min(1, 'must not be empty'), 'must map field names to new names')
    .optional(),
  wordingDrift: rate.optional(),
  judgeMalformedRate: rate.optional(),
  fault: z.enum(BACKEND_FAULTS, `must be one of ${BACKEND_FAULTS.join(', ')}`).optional(),
});

export type BehaviourPatch = z.output<typeof behaviourPatchSchema>;

/** Validates a partial update and returns the merged behaviour; throws naming the bad field. */
export function mergeBehaviour(current: Behaviour, patch: unknown): Behaviour {
  const parsed = parseFields(behaviourPatchSchema, patch, 'behaviour');
  const merged: Record<string, unknown> = { ...current };
  for (const [key, value] of Object.entries(parsed)) {
    // Copies, so a caller mutating its patch afterwards cannot change the backend's behaviour.
    if (value !== undefined)
      merged[key] = Array.isArray(value)
        ? [...(value as unknown[])]
        : value !== null && typeof value === 'object'
          ? { ...value }
          : value;
  }
  return merged as unknown as Behaviour;
}

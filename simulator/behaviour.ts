// How a simulated GPU backend behaves: latency, failure, refusal and broken-JSON rates, answer
// length, GPU slots, and the seed. Settable at start (flags) and at runtime (admin API), so a
// demo can make a candidate regress mid-rollout. Every update is validated as a whole before
// anything changes.
import { z } from 'zod';
import { FieldValidationError, firstIssue } from './zod-errors';

export interface Behaviour {
  /** Median latency per request in ms (log-normal). */
  latencyMedianMs: number;
  /** Log-normal sigma; 0 gives a fixed latency. */
  latencySigma: number;
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
}

export const DEFAULT_BEHAVIOUR: Readonly<Behaviour> = Object.freeze({
  latencyMedianMs: 120,
  latencySigma: 0.35,
  errorRate: 0,
  refusalRate: 0,
  meanCompletionTokens: 120,
  brokenJsonRate: 0,
  maxConcurrency: 16,
  seed: 1,
});

const rate = z.number('must be a number').min(0, 'must be >= 0').max(1, 'must be <= 1');

export const behaviourPatchSchema = z.strictObject({
  latencyMedianMs: z.number('must be a number').min(0, 'must be >= 0').max(600_000, 'must be <= 600000').optional(),
  latencySigma: z.number('must be a number').min(0, 'must be >= 0').max(3, 'must be <= 3').optional(),
  errorRate: rate.optional(),
  refusalRate: rate.optional(),
  meanCompletionTokens: z.int('must be an integer').min(1, 'must be >= 1').max(8192, 'must be <= 8192').optional(),
  brokenJsonRate: rate.optional(),
  maxConcurrency: z.int('must be an integer').min(1, 'must be >= 1').max(10_000, 'must be <= 10000').optional(),
  seed: z.int('must be an integer').min(0, 'must be >= 0').max(0xffffffff, 'must be <= 4294967295').optional(),
});

export type BehaviourPatch = z.output<typeof behaviourPatchSchema>;

/** Validates a partial update and returns the merged behaviour; throws naming the bad field. */
export function mergeBehaviour(current: Behaviour, patch: unknown): Behaviour {
  const result = behaviourPatchSchema.safeParse(patch);
  if (!result.success) {
    const { field, detail } = firstIssue(result.error, 'behaviour');
    throw new FieldValidationError(field, detail);
  }
  const merged = { ...current };
  for (const [key, value] of Object.entries(result.data) as Array<[keyof Behaviour, number | undefined]>) {
    if (value !== undefined) merged[key] = value;
  }
  return merged;
}

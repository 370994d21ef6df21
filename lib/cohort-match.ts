// Which requests belong to a rollout's cohort: the users a plan exposes to the candidate first
// (or only). A cohort is named by one of four rules: a request header's value (`x-tenant: acme`),
// a list of stickiness keys (session, else user), a range of an independent hash of those keys,
// or a tag in the request body's `metadata` (the OpenAI field clients already use for tags).
//
// Deterministic and free of Node built-ins: the plan schema and the workflow import the schema
// (the plan carries the rule), and the gateway evaluates it on every request of a route that has
// one.
import { z } from 'zod';

/** Enough for a named beta list; a larger population is better named by a hash range or a header. */
export const MAX_COHORT_KEYS = 10_000;
export const MAX_COHORT_VALUES = 1_000;

const value = z.string().min(1, 'must not be empty').max(256, 'at most 256 characters');
const values = z
  .array(value)
  .min(1, 'list at least one value')
  .max(MAX_COHORT_VALUES, `at most ${MAX_COHORT_VALUES} values`);

/** HTTP header names as Node gives them (lower case); the routing and tracing headers are the gateway's own. */
const RESERVED_HEADERS = new Set(['authorization', 'content-type', 'content-length', 'host', 'x-request-id']);
export const headerName = z
  .string()
  .regex(/^[a-z0-9!#$%&'*+.^_`|~-]{1,128}$/, 'a lower-case HTTP header name')
  .refine((name) => !RESERVED_HEADERS.has(name), 'the gateway uses this header itself; pick a header of your own');

export const cohortMatchSchema = z.union([
  z.strictObject({ header: headerName, values }),
  z.strictObject({
    keys: z
      .array(value)
      .min(1, 'list at least one key')
      .max(MAX_COHORT_KEYS, `at most ${MAX_COHORT_KEYS} keys; name a larger cohort with keyRange or a header`),
  }),
  z
    .strictObject({
      keyRange: z.strictObject({
        from: z.number().min(0, 'must be 0–1').max(1, 'must be 0–1'),
        to: z.number().min(0, 'must be 0–1').max(1, 'must be 0–1'),
      }),
    })
    .refine((m) => m.keyRange.from < m.keyRange.to, {
      path: ['keyRange', 'to'],
      message: 'keyRange.to must be above keyRange.from',
    }),
  z.strictObject({
    metadata: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'a metadata key: letters, digits, "_", "." or "-"'),
    values,
  }),
]);

export type CohortMatch = z.output<typeof cohortMatchSchema>;

/** What of a request a cohort rule may look at; the gateway reads each lazily. */
export interface CohortProbe {
  header(name: string): string | undefined;
  /** The stickiness key (session, else user), null when the request has none. */
  key: string | null;
  /** The key's position in [0, 1) on a hash independent of the sticky split (see the gateway). */
  keyPosition(): number | null;
  /** The request body's `metadata[name]`, when it is a string. */
  metadata(name: string): string | undefined;
}

/** The rule prepared once per route: sets for the lists, so each request costs one lookup. */
export type CohortMatcher = (probe: CohortProbe) => boolean;

export function cohortMatcher(match: CohortMatch): CohortMatcher {
  if ('header' in match) {
    const accepted = new Set(match.values);
    return (probe) => {
      const got = probe.header(match.header)?.trim();
      return got !== undefined && accepted.has(got);
    };
  }
  if ('keys' in match) {
    const accepted = new Set(match.keys);
    return (probe) => probe.key !== null && accepted.has(probe.key);
  }
  if ('keyRange' in match) {
    const { from, to } = match.keyRange;
    return (probe) => {
      const position = probe.keyPosition();
      return position !== null && position >= from && position < to;
    };
  }
  const accepted = new Set(match.values);
  return (probe) => {
    const got = probe.metadata(match.metadata);
    return got !== undefined && accepted.has(got);
  };
}

/** The rule in a few words, for `plan check`, the timeline and verdicts. */
export function describeCohort(match: CohortMatch): string {
  const list = (items: readonly string[]) =>
    items.length <= 3 ? items.join(', ') : `${items.slice(0, 3).join(', ')} and ${items.length - 3} more`;
  if ('header' in match) return `requests with ${match.header}: ${list(match.values)}`;
  if ('keys' in match) return `${match.keys.length} listed user/session key${match.keys.length === 1 ? '' : 's'}`;
  if ('keyRange' in match) {
    const pct = (x: number) => `${Number((x * 100).toFixed(2))}%`;
    return `user/session keys hashed into ${pct(match.keyRange.from)}–${pct(match.keyRange.to)}`;
  }
  return `requests tagged metadata.${match.metadata}: ${list(match.values)}`;
}

/**
 * In a cohort plan, what a canary stage's candidate traffic is judged against:
 * - 'cohort_baseline': the cohort's own baseline traffic (a cohort step below 100 %: both exist);
 * - 'route_baseline': the route's baseline, everyone outside the cohort (the whole cohort is on the candidate);
 * - 'all': the random steps after the cohort, every request on either side as in any canary.
 */
export type CohortJudging = 'cohort_baseline' | 'route_baseline' | 'all';

export const COHORT_JUDGING_TEXT: Record<CohortJudging, string> = {
  cohort_baseline: "judged on the cohort's own traffic: its candidate requests against its baseline requests",
  route_baseline:
    "the whole cohort is on the candidate: judged against the route's baseline (everyone outside the cohort)",
  all: 'judged on all traffic: the cohort and the random share against everyone else',
};

// What segment a live request belongs to, for verdicts per segment: a request header's value
// (`x-tenant`), a tag in the body's `metadata`, or the language of its last user message. The plan
// names the rule, the gateway tags each record of the route with the request's segment, and the
// canary judge judges each segment on its own as well as the whole (judge/segment-looks.ts).
//
// Free of Node built-ins: the plan schema and the workflow import the schema; the gateway
// evaluates the rule (the language detector lives there, gateway/request-language.ts).
import { z } from 'zod';
import { headerName } from './cohort-match';

/** Segment names are cut to this: a header may hold anything, a record and a verdict should not. */
export const MAX_SEGMENT_CHARS = 64;

export const segmentRuleSchema = z.union(
  [
    z.strictObject({ header: headerName }),
    z.strictObject({
      metadata: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'a metadata key: letters, digits, "_", "." or "-"'),
    }),
    /** ISO 639-3 codes ('eng', 'spa', …) of the last user message, when it is long enough to tell. */
    z.strictObject({ language: z.literal(true) }),
  ],
  { error: 'must be one of {header: <name>}, {metadata: <key>} or {language: true}' },
);

export type SegmentRule = z.output<typeof segmentRuleSchema>;

/** The rule in a few words, for `plan check` and verdicts. */
export function describeSegmentRule(rule: SegmentRule): string {
  if ('header' in rule) return `the ${rule.header} header`;
  if ('metadata' in rule) return `metadata.${rule.metadata}`;
  return 'the language of the last user message';
}

/** A value as a segment name: trimmed, cut to MAX_SEGMENT_CHARS; undefined when empty. */
export function segmentName(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed ? trimmed.slice(0, MAX_SEGMENT_CHARS) : undefined;
}

// What a route's cohort rule (lib/cohort-match.ts) sees of a request: its headers, its stickiness
// key, that key's position on a hash of its own, and the body's `metadata` tags. Each is read only
// when the rule asks, so a header rule never hashes and a key rule never looks at the body. A
// route's segment rule reads metadata tags the same way (request-segment.ts).
import type { IncomingHttpHeaders } from 'node:http';
import type { CohortProbe } from '../lib/cohort-match';
import { firstHeaderValue } from './http-io';
import { BUCKETS, bucketOf } from './stickiness';

/**
 * The key's position in [0, 1) for keyRange rules. Hashed apart from the sticky bucket (a salt on
 * the route name): were it the sticky bucket itself, a cohort of keys 0–10 % would be exactly the
 * keys the route's weights put on the first backend, so "the cohort" and "the baseline's share"
 * would be the same users and the cohort's own split would say nothing new about them.
 */
export function cohortKeyPosition(route: string, key: string): number {
  return bucketOf(`${route}\0cohort`, key) / BUCKETS;
}

export function cohortProbe(
  route: string,
  headers: IncomingHttpHeaders,
  body: Record<string, unknown>,
  key: string | null,
): CohortProbe {
  return {
    header: (name) => firstHeaderValue(headers, name),
    key,
    keyPosition: () => (key === null ? null : cohortKeyPosition(route, key)),
    metadata: (name) => metadataTag(body, name),
  };
}

/** The body's `metadata[name]` when it is a string (the OpenAI field clients tag requests with); else undefined. */
export function metadataTag(body: Record<string, unknown>, name: string): string | undefined {
  const { metadata } = body;
  if (typeof metadata !== 'object' || metadata === null || Array.isArray(metadata)) return undefined;
  const value = (metadata as Record<string, unknown>)[name];
  return typeof value === 'string' ? value : undefined;
}

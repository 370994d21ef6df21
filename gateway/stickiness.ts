// Weighted backend selection with sticky assignment.
//
// A stickiness key (session, else user) is hashed into one of BUCKETS buckets, and the buckets
// are split into consecutive ranges by cumulative weight in the route's FIXED backend order
// (definition order, baseline first). Weight w owns w * BUCKETS / 100 buckets.
//
// Monotonicity: moving weight between two backends that are adjacent in that order only moves
// the boundary between their two ranges, so only keys in the strip between the old and new
// boundary change backend, and they move from the backend that lost weight to the one that
// gained it. For the usual two-backend route [baseline, candidate], raising the candidate from 5
// to 25 moves buckets [7500, 9500) from baseline to candidate and every key already on the
// candidate stays there: a canary user never flips back and forth during a ramp.
import { createHash } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { BackendSpec } from './admin-api';
import { firstHeaderValue } from './http-io';

export const BUCKETS = 10_000;

/** The key requests are pinned by: `x-session-id`, else `x-user-id`, else the body's `user`. */
export function stickinessKey(headers: IncomingHttpHeaders, body: Record<string, unknown>): string | null {
  for (const name of ['x-session-id', 'x-user-id'] as const) {
    const text = firstHeaderValue(headers, name);
    if (text && text.trim() !== '') return text.trim();
  }
  if (typeof body.user === 'string' && body.user.trim() !== '') return body.user.trim();
  return null;
}

/**
 * Bucket in [0, BUCKETS) for a key. The route name is part of the hash so each route's canary
 * population is independent: the same 5% of users are not the guinea pigs of every rollout.
 * SHA-1 is used for its uniform output, not for security.
 */
export function bucketOf(route: string, key: string): number {
  const digest = createHash('sha1').update(route).update('\0').update(key).digest();
  return digest.readUInt32BE(0) % BUCKETS;
}

/** Picks the backend owning `position` (in [0, 100)) by cumulative weights in backend order. */
export function backendAt<B extends Pick<BackendSpec, 'name'>>(
  backends: readonly B[],
  weights: Readonly<Record<string, number>>,
  position: number,
): B {
  let upper = 0;
  let lastWeighted: B | undefined;
  for (const backend of backends) {
    const weight = weights[backend.name] ?? 0;
    if (weight <= 0) continue;
    upper += weight;
    lastWeighted = backend;
    if (position < upper) return backend;
  }
  // Only reachable if weights sum below 100, which the route table never allows; fall back to
  // the last weighted backend rather than failing a live request.
  if (lastWeighted) return lastWeighted;
  const first = backends[0];
  if (!first) throw new Error('route has no backends');
  return first;
}

/** Sticky choice when a key is present, otherwise a weighted random choice. */
export function chooseBackend<B extends Pick<BackendSpec, 'name'>>(
  route: string,
  backends: readonly B[],
  weights: Readonly<Record<string, number>>,
  key: string | null,
  random: () => number = Math.random,
): B {
  return chooseByBucket(backends, weights, key === null ? null : bucketOf(route, key), random);
}

/** The same choice from the key's bucket (bucketOf), null for a request without a key. */
export function chooseByBucket<B extends Pick<BackendSpec, 'name'>>(
  backends: readonly B[],
  weights: Readonly<Record<string, number>>,
  bucket: number | null,
  random: () => number = Math.random,
): B {
  const position = bucket === null ? random() * 100 : (bucket * 100) / BUCKETS;
  return backendAt(backends, weights, position);
}

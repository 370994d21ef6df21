// Backend pools: a route backend (baseline, candidate, ...) served by several endpoints (GPU pools,
// regions) with weights inside the pool. The route's weights still split traffic between backends,
// which is what the judge compares; once a request's backend is chosen, its member is picked here.
//
// The member of a keyed request is sticky by a hash of its own, not by the route's sticky bucket:
// the candidate's users occupy only a strip of the route's buckets (e.g. [9500, 10000) at 5%), and
// that strip grows at every ramp step, so splitting it by member weights would move users between
// members whenever the route's weights change. Hashing the key with the route and backend name
// gives each user a member that stays put while the member weights are unchanged, whatever the
// route's weights, and spreads the members evenly over any strip of the route's buckets.
import type { BackendSpec, PoolMember } from './admin-api';
import { BUCKETS, bucketOf } from './stickiness';

/** A pool member as requests are forwarded to it: its backend's spec with the member's endpoint, model and key. */
export interface MemberTarget extends Omit<BackendSpec, 'members'> {
  /** The member's name, recorded beside the backend's. */
  member: string;
}

/** A backend, or the member of a pool it was resolved to: what upstream calls and records are made with. */
export type ForwardedBackend = BackendSpec | MemberTarget;

/** One pooled backend, prepared once per route version so a request pays a hash and a short scan. */
export interface BackendPool {
  /** Hashed with the stickiness key (bucketOf): `route \0pool\0 backend`. */
  hashSalt: string;
  /** Members with weight > 0, in definition order, each with the cumulative weight that ends its range. */
  targets: ReadonlyArray<{ target: MemberTarget; upTo: number }>;
  totalWeight: number;
}

/** Pools of a route by backend name (fallback included); null when no backend has members, so such routes pay one null check. */
export type RoutePools = ReadonlyMap<string, BackendPool>;

export function routePools(route: string, backends: readonly BackendSpec[]): RoutePools | null {
  const pools = new Map<string, BackendPool>();
  for (const backend of backends) if (backend.members) pools.set(backend.name, poolOf(route, backend, backend.members));
  return pools.size === 0 ? null : pools;
}

function poolOf(route: string, backend: BackendSpec, members: readonly PoolMember[]): BackendPool {
  const { members: _members, ...shared } = backend;
  const targets: Array<{ target: MemberTarget; upTo: number }> = [];
  let upTo = 0;
  for (const member of members) {
    if (member.weight <= 0) continue;
    upTo += member.weight;
    const target: MemberTarget = {
      ...shared,
      baseUrl: member.baseUrl,
      model: member.model ?? backend.model,
      member: member.name,
    };
    const apiKey = member.apiKey ?? backend.apiKey;
    if (apiKey === undefined) delete target.apiKey;
    else target.apiKey = apiKey;
    targets.push({ target, upTo });
  }
  return { hashSalt: `${route}\0pool\0${backend.name}`, targets, totalWeight: upTo };
}

/** The pool member for a request: sticky by its key's own bucket, weighted random without a key. */
export function chooseMember(pool: BackendPool, key: string | null, random: () => number): MemberTarget {
  const position =
    key === null ? random() * pool.totalWeight : (bucketOf(pool.hashSalt, key) * pool.totalWeight) / BUCKETS;
  for (const { target, upTo } of pool.targets) if (position < upTo) return target;
  // Only reached for position == totalWeight (a random() of 1); the schema guarantees a weighted member.
  return pool.targets[pool.targets.length - 1]!.target;
}

/** `backend` itself, or the member of its pool that this request goes to. */
export function forwardedBackend(
  pools: RoutePools | null,
  backend: BackendSpec,
  key: string | null,
  random: () => number,
): ForwardedBackend {
  const pool = pools?.get(backend.name);
  return pool === undefined ? backend : chooseMember(pool, key, random);
}

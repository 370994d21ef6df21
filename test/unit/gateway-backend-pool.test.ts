// Choosing the member of a pooled backend: by the members' weights, sticky per key by a hash of
// its own (so independent of the route's split), weighted random for keyless requests.
import { describe, expect, it } from 'vitest';
import type { BackendSpec } from '../../gateway/admin-api';
import { chooseMember, forwardedBackend, routePools, type BackendPool } from '../../gateway/backend-pool';
import { BUCKETS, bucketOf } from '../../gateway/stickiness';
import { mulberry32 } from '../../lib/seeded-random';

const BASELINE: BackendSpec = { name: 'baseline', baseUrl: 'http://127.0.0.1:9001/v1', model: 'sim-a' };
const CANDIDATE: BackendSpec = {
  name: 'candidate',
  baseUrl: 'http://127.0.0.1:9002/v1',
  model: 'sim-b',
  members: [
    { name: 'gpu-a', baseUrl: 'http://127.0.0.1:9101/v1', weight: 1 },
    { name: 'gpu-b', baseUrl: 'http://127.0.0.1:9102/v1', weight: 3 },
  ],
};
const keys = Array.from({ length: 20_000 }, (_, i) => `user-${i}`);

function candidatePool(route = 'support-chat', candidate = CANDIDATE): BackendPool {
  return routePools(route, [BASELINE, candidate])!.get('candidate')!;
}

function shareOf(member: string, chosen: readonly string[]): number {
  return chosen.filter((name) => name === member).length / chosen.length;
}

describe('chooseMember', () => {
  it("respects the members' weights over many keys", () => {
    const pool = candidatePool();
    const chosen = keys.map((key) => chooseMember(pool, key, Math.random).member);
    expect(shareOf('gpu-a', chosen)).toBeGreaterThan(0.23);
    expect(shareOf('gpu-a', chosen)).toBeLessThan(0.27);
  });

  it('keeps each key on one member, whatever the random source says', () => {
    const pool = candidatePool();
    const random = mulberry32(7);
    for (const key of keys.slice(0, 500)) {
      const first = chooseMember(pool, key, random).member;
      for (let i = 0; i < 3; i++) expect(chooseMember(pool, key, random).member).toBe(first);
    }
  });

  it("splits any strip of the route's buckets by the member weights (a 5% canary too)", () => {
    const pool = candidatePool();
    // The candidate's users at 5%: the route's last 500 buckets.
    const canary = keys.filter((key) => bucketOf('support-chat', key) >= BUCKETS * 0.95);
    expect(canary.length).toBeGreaterThan(800);
    const chosen = canary.map((key) => chooseMember(pool, key, Math.random).member);
    expect(shareOf('gpu-a', chosen)).toBeGreaterThan(0.18);
    expect(shareOf('gpu-a', chosen)).toBeLessThan(0.32);
  });

  it('gives a pool of another route or backend its own assignment', () => {
    const here = candidatePool();
    const elsewhere = candidatePool('other-route');
    const moved = keys
      .slice(0, 2000)
      .filter(
        (key) => chooseMember(here, key, Math.random).member !== chooseMember(elsewhere, key, Math.random).member,
      );
    // Independent 1:3 splits disagree on 2 * 0.25 * 0.75 = 37.5% of keys.
    expect(moved.length / 2000).toBeGreaterThan(0.3);
    expect(moved.length / 2000).toBeLessThan(0.45);
  });

  it('picks keyless requests at random by weight, repeatably from a seed', () => {
    const pool = candidatePool();
    const draw = (seed: number) => {
      const random = mulberry32(seed);
      return Array.from({ length: 8000 }, () => chooseMember(pool, null, random).member);
    };
    const chosen = draw(42);
    expect(draw(42)).toEqual(chosen);
    expect(shareOf('gpu-a', chosen)).toBeGreaterThan(0.22);
    expect(shareOf('gpu-a', chosen)).toBeLessThan(0.28);
    expect(chooseMember(pool, null, () => 0).member).toBe('gpu-a');
    expect(chooseMember(pool, null, () => 0.9999).member).toBe('gpu-b');
  });

  it('never picks a member of weight 0', () => {
    const members = [{ name: 'idle', baseUrl: 'http://127.0.0.1:9100/v1', weight: 0 }, ...CANDIDATE.members!];
    const pool = candidatePool('support-chat', { ...CANDIDATE, members });
    const chosen = new Set(keys.slice(0, 2000).map((key) => chooseMember(pool, key, Math.random).member));
    expect([...chosen].sort()).toEqual(['gpu-a', 'gpu-b']);
  });
});

describe('forwardedBackend', () => {
  it('leaves a backend without members as it is', () => {
    const pools = routePools('support-chat', [BASELINE, CANDIDATE]);
    expect(forwardedBackend(pools, BASELINE, 'user-1', Math.random)).toBe(BASELINE);
    expect(forwardedBackend(null, CANDIDATE, 'user-1', Math.random)).toBe(CANDIDATE);
    expect(routePools('support-chat', [BASELINE])).toBeNull();
  });

  it("keeps the backend's name, config and pricing on the member", () => {
    const candidate: BackendSpec = {
      ...CANDIDATE,
      pricing: { inputPer1k: 0.1, outputPer1k: 0.2 },
      config: { systemPrompt: 'Be brief.', systemPromptMode: 'replace' },
    };
    const pools = routePools('support-chat', [BASELINE, candidate]);
    const target = forwardedBackend(pools, candidate, 'user-1', Math.random);
    expect(target).toMatchObject({ name: 'candidate', pricing: candidate.pricing, config: candidate.config });
    expect(target).not.toHaveProperty('members');
  });
});

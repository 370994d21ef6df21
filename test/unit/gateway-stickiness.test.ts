import { describe, it, expect } from 'vitest';
import { BUCKETS, backendAt, bucketOf, chooseBackend, stickinessKey } from '../../gateway/stickiness';

const TWO = [{ name: 'baseline' }, { name: 'candidate' }];
const keys = Array.from({ length: 5000 }, (_, i) => `user-${i}`);

function assign(weights: Record<string, number>, backends = TWO, route = 'support-chat'): Map<string, string> {
  return new Map(keys.map((key) => [key, chooseBackend(route, backends, weights, key).name]));
}

describe('stickinessKey', () => {
  it('prefers x-session-id, then x-user-id, then body.user', () => {
    expect(stickinessKey({ 'x-session-id': 's1', 'x-user-id': 'u1' }, { user: 'b1' })).toBe('s1');
    expect(stickinessKey({ 'x-user-id': 'u1' }, { user: 'b1' })).toBe('u1');
    expect(stickinessKey({}, { user: 'b1' })).toBe('b1');
  });

  it('ignores blank values and returns null without a key', () => {
    expect(stickinessKey({ 'x-session-id': '  ', 'x-user-id': '' }, { user: ' ' })).toBeNull();
    expect(stickinessKey({}, { user: 42 })).toBeNull();
  });
});

describe('bucketOf', () => {
  it('is deterministic, in range, and depends on the route', () => {
    const b = bucketOf('r1', 'user-7');
    expect(bucketOf('r1', 'user-7')).toBe(b);
    expect(b).toBeGreaterThanOrEqual(0);
    expect(b).toBeLessThan(BUCKETS);
    const differs = keys.slice(0, 100).filter((k) => bucketOf('r1', k) !== bucketOf('r2', k)).length;
    expect(differs).toBeGreaterThan(90);
  });
});

describe('backendAt', () => {
  it('splits [0, 100) by cumulative weight in backend order and skips zero weights', () => {
    const backends = [{ name: 'a' }, { name: 'b' }, { name: 'c' }];
    const weights = { a: 90, b: 0, c: 10 };
    expect(backendAt(backends, weights, 0).name).toBe('a');
    expect(backendAt(backends, weights, 89.99).name).toBe('a');
    expect(backendAt(backends, weights, 90).name).toBe('c');
    expect(backendAt(backends, weights, 99.99).name).toBe('c');
  });
});

describe('chooseBackend', () => {
  it('gives a key the same backend every time', () => {
    const first = chooseBackend('support-chat', TWO, { baseline: 50, candidate: 50 }, 'user-1').name;
    for (let i = 0; i < 50; i++)
      expect(chooseBackend('support-chat', TWO, { baseline: 50, candidate: 50 }, 'user-1').name).toBe(first);
  });

  it('matches the weights over many keys', () => {
    const onCandidate = [...assign({ baseline: 75, candidate: 25 }).values()].filter((b) => b === 'candidate').length;
    // 5000 keys: binomial SD of the share is sqrt(.25 * .75 / 5000) ≈ 0.6 points; ±2.5 is > 4 SD.
    expect(Math.abs(onCandidate / keys.length - 0.25)).toBeLessThan(0.025);
  });

  it('is monotone on a ramp: raising the candidate only moves keys from baseline to candidate', () => {
    const ramp = [0, 5, 25, 50, 100];
    let previous = assign({ baseline: 100, candidate: 0 });
    for (const candidate of ramp.slice(1)) {
      const next = assign({ baseline: 100 - candidate, candidate });
      for (const [key, backend] of previous) {
        if (backend === 'candidate') expect(next.get(key)).toBe('candidate');
      }
      const before = [...previous.values()].filter((b) => b === 'candidate').length;
      const after = [...next.values()].filter((b) => b === 'candidate').length;
      expect(after).toBeGreaterThan(before);
      previous = next;
    }
  });

  it('is monotone on rollback: lowering the candidate only moves keys back to baseline', () => {
    const at25 = assign({ baseline: 75, candidate: 25 });
    const at5 = assign({ baseline: 95, candidate: 5 });
    for (const [key, backend] of at25) if (backend === 'baseline') expect(at5.get(key)).toBe('baseline');
  });

  it('leaves a non-adjacent backend untouched when weight moves between two adjacent ones', () => {
    const three = [{ name: 'baseline' }, { name: 'candidate' }, { name: 'other' }];
    const before = assign({ baseline: 80, candidate: 10, other: 10 }, three);
    const after = assign({ baseline: 70, candidate: 20, other: 10 }, three);
    for (const [key, backend] of before) {
      if (backend === 'other') expect(after.get(key)).toBe('other');
      if (backend === 'candidate') expect(after.get(key)).toBe('candidate');
    }
  });

  it('picks by weighted random draw without a key', () => {
    const weights = { baseline: 95, candidate: 5 };
    expect(chooseBackend('r', TWO, weights, null, () => 0.9499).name).toBe('baseline');
    expect(chooseBackend('r', TWO, weights, null, () => 0.95).name).toBe('candidate');
    expect(chooseBackend('r', TWO, { baseline: 100, candidate: 0 }, null, () => 0.99999).name).toBe('baseline');
  });
});

import { describe, it, expect } from 'vitest';
import { cohortMatcher } from '../../lib/cohort-match';
import { cohortKeyPosition, cohortProbe } from '../../gateway/cohort-probe';
import { BUCKETS, bucketOf, stickinessKey } from '../../gateway/stickiness';

/** The probe the data plane builds for a request with these headers and body. */
function probe(headers: Record<string, string | string[]>, body: Record<string, unknown> = {}) {
  return cohortProbe('chat', headers, body, stickinessKey(headers, body));
}

describe('cohort rules over a request', () => {
  it('matches a header value, trimmed, and the first of a repeated header', () => {
    const acme = cohortMatcher({ header: 'x-tenant', values: ['acme', 'globex'] });
    expect(acme(probe({ 'x-tenant': 'acme' }))).toBe(true);
    expect(acme(probe({ 'x-tenant': '  globex ' }))).toBe(true);
    expect(acme(probe({ 'x-tenant': ['acme', 'initech'] }))).toBe(true);
    expect(acme(probe({ 'x-tenant': ['initech', 'acme'] }))).toBe(false);
    expect(acme(probe({ 'x-tenant': 'ACME' }))).toBe(false);
    expect(acme(probe({}))).toBe(false);
  });

  it('matches listed stickiness keys: session, else user header, else the body user', () => {
    const listed = cohortMatcher({ keys: ['u-1', 's-9'] });
    expect(listed(probe({ 'x-user-id': 'u-1' }))).toBe(true);
    expect(listed(probe({}, { user: 'u-1' }))).toBe(true);
    expect(listed(probe({ 'x-session-id': 's-9', 'x-user-id': 'u-2' }))).toBe(true);
    // The session is the key, so the user listed is not looked at.
    expect(listed(probe({ 'x-session-id': 's-1', 'x-user-id': 'u-1' }))).toBe(false);
    expect(listed(probe({}))).toBe(false);
  });

  it('puts a key range on a hash of its own, not the sticky bucket, and never matches a keyless request', () => {
    const firstTenth = cohortMatcher({ keyRange: { from: 0, to: 0.1 } });
    const keys = Array.from({ length: 4_000 }, (_, i) => `user-${i}`);
    const inRange = keys.filter((key) => firstTenth(probe({ 'x-user-id': key })));
    expect(inRange.length).toBeGreaterThan(300);
    expect(inRange.length).toBeLessThan(500);
    for (const key of inRange) expect(cohortKeyPosition('chat', key)).toBeLessThan(0.1);
    // Were the range read off the sticky bucket, every key in it would sit in the first tenth of
    // buckets (the baseline's end of the split); independent, about a tenth of them do.
    const lowBuckets = inRange.filter((key) => bucketOf('chat', key) < BUCKETS / 10).length;
    expect(lowBuckets / inRange.length).toBeLessThan(0.2);
    expect(firstTenth(probe({}))).toBe(false);
  });

  it('matches a string tag in body.metadata, and nothing else there', () => {
    const beta = cohortMatcher({ metadata: 'cohort', values: ['beta'] });
    expect(beta(probe({}, { metadata: { cohort: 'beta' } }))).toBe(true);
    expect(beta(probe({}, { metadata: { cohort: 'ga' } }))).toBe(false);
    expect(beta(probe({}, { metadata: { cohort: ['beta'] } }))).toBe(false);
    expect(beta(probe({}, { metadata: ['beta'] }))).toBe(false);
    expect(beta(probe({}, { metadata: 'beta' }))).toBe(false);
    expect(beta(probe({}, { metadata: null }))).toBe(false);
    expect(beta(probe({ cohort: 'beta' }))).toBe(false);
  });
});

// Request targets are read as paths on this server: `//host/...` is not another host, and a
// target `new URL(target, base)` throws on is reported (null) rather than thrown.
import { describe, expect, it } from 'vitest';
import { requestTargetUrl } from '../../lib/request-target';

describe('requestTargetUrl', () => {
  it.each([
    ['/v1/chat/completions', '/v1/chat/completions'],
    ['//x/v1/chat/completions', '//x/v1/chat/completions'],
    ['//%', '//%'],
    ['/admin/routes/a%2Fb?since=3', '/admin/routes/a%2Fb'],
    ['/a/../b', '/b'],
    ['http://elsewhere/healthz', '/healthz'],
  ])('reads %s as the path %s', (target, path) => {
    expect(requestTargetUrl(target)?.pathname).toBe(path);
  });

  it('keeps the query', () => {
    expect(requestTargetUrl('//x?since=1')?.searchParams.get('since')).toBe('1');
  });

  it('returns null for a target that is no URL at all', () => {
    expect(requestTargetUrl('http://[bad')).toBeNull();
  });
});

// whileHeartbeating: an activity without progress points still tells the server it is alive.
import { MockActivityEnvironment } from '@temporalio/testing';
import { describe, expect, it } from 'vitest';
import { whileHeartbeating } from '../../activities/heartbeat';

describe('whileHeartbeating', () => {
  it('heartbeats at once and then every interval while the work runs, and stops with it', async () => {
    const env = new MockActivityEnvironment();
    let beats = 0;
    env.on('heartbeat', () => beats++);
    const result = await env.run(() =>
      whileHeartbeating(() => new Promise<string>((resolve) => setTimeout(() => resolve('done'), 260)), 50),
    );
    expect(result).toBe('done');
    expect(beats).toBeGreaterThanOrEqual(5);
    const after = beats;
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(beats).toBe(after);
  });

  it('passes the work’s failure on, and stops heartbeating', async () => {
    const env = new MockActivityEnvironment();
    let beats = 0;
    env.on('heartbeat', () => beats++);
    await expect(env.run(() => whileHeartbeating(() => Promise.reject(new Error('read failed')), 20))).rejects.toThrow(
      'read failed',
    );
    const after = beats;
    await new Promise((resolve) => setTimeout(resolve, 80));
    expect(beats).toBe(after);
  });
});

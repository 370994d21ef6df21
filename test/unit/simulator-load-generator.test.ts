import { describe, it, expect } from 'vitest';
import { gatewayChatUrl, runLoad } from '../../simulator/load-generator';

const BASE = { routes: ['chat'], ratePerSecond: 10, users: 5, jsonShare: 0, maxRequests: 1 };

describe('load generator input checks', () => {
  it('targets the gateway chat endpoint on loopback only', () => {
    expect(gatewayChatUrl('http://127.0.0.1:8080')).toBe('http://127.0.0.1:8080/v1/chat/completions');
    expect(gatewayChatUrl('http://localhost:8080/v1/')).toBe('http://localhost:8080/v1/chat/completions');
    expect(gatewayChatUrl('http://[::1]:8080')).toBe('http://[::1]:8080/v1/chat/completions');
    expect(() => gatewayChatUrl('https://api.openai.com')).toThrow(/http:\/\//);
    expect(() => gatewayChatUrl('http://api.openai.com')).toThrow(/loopback/);
    expect(() => gatewayChatUrl('http://10.0.0.5:8080')).toThrow(/loopback/);
    expect(() => gatewayChatUrl('not a url')).toThrow(/gatewayUrl/);
  });

  it('refuses unbounded or malformed runs before sending anything', async () => {
    const gatewayUrl = 'http://127.0.0.1:9';
    await expect(runLoad({ ...BASE, gatewayUrl, maxRequests: undefined })).rejects.toThrow(/at least one bound/);
    await expect(runLoad({ ...BASE, gatewayUrl, routes: [] })).rejects.toThrow(/routes/);
    await expect(runLoad({ ...BASE, gatewayUrl, ratePerSecond: 0 })).rejects.toThrow(/ratePerSecond/);
    await expect(runLoad({ ...BASE, gatewayUrl, users: 0 })).rejects.toThrow(/users/);
    await expect(runLoad({ ...BASE, gatewayUrl, jsonShare: 2 })).rejects.toThrow(/jsonShare/);
  });

  it('stops immediately when the signal is already aborted', async () => {
    const summary = await runLoad({ ...BASE, gatewayUrl: 'http://127.0.0.1:9', maxRequests: 100, signal: AbortSignal.abort() });
    expect(summary.sent).toBe(0);
    expect(summary.aborted).toBe(true);
  });
});

import { createServer } from 'node:http';
import { describe, it, expect } from 'vitest';
import { gatewayChatUrl, runLoad } from '../../simulator/load-generator';
import { startSimulatedBackend } from '../../simulator/sim-backend';
import { listenOn } from '../../lib/listen';

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
    await expect(runLoad({ ...BASE, gatewayUrl, streamShare: 1.5 })).rejects.toThrow(
      'streamShare: must be in 0..1, got 1.5',
    );
    await expect(runLoad({ ...BASE, gatewayUrl, streamShare: Number.NaN })).rejects.toThrow(/streamShare/);
  });

  it('stops immediately when the signal is already aborted', async () => {
    const summary = await runLoad({
      ...BASE,
      gatewayUrl: 'http://127.0.0.1:9',
      maxRequests: 100,
      signal: AbortSignal.abort(),
    });
    expect(summary.sent).toBe(0);
    expect(summary.aborted).toBe(true);
  });
});

describe('load generator streaming', () => {
  it('streams the share of requests asked for and reads every stream to its end', async () => {
    const sim = await startSimulatedBackend({
      model: 'sim-load-8b',
      behaviour: { latencyMedianMs: 40, latencySigma: 0, firstTokenShare: 0.5, maxConcurrency: 256 },
    });
    // A stand-in gateway: records each request body, relays the simulator's answer as it comes
    // and names the backend the way the gateway does.
    const bodies: Array<{ stream?: boolean; stream_options?: unknown }> = [];
    const relay = createServer((req, res) => {
      void (async () => {
        const chunks: Buffer[] = [];
        for await (const chunk of req as AsyncIterable<Buffer>) chunks.push(chunk);
        const text = Buffer.concat(chunks).toString('utf8');
        bodies.push(JSON.parse(text) as (typeof bodies)[number]);
        const upstream = await fetch(`${sim.url}/chat/completions`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: text,
        });
        res.writeHead(upstream.status, {
          'content-type': upstream.headers.get('content-type') ?? '',
          'x-rollout-backend': 'sim',
        });
        for await (const chunk of upstream.body as unknown as AsyncIterable<Uint8Array>) res.write(chunk);
        res.end();
      })().catch(() => res.destroy());
    });
    const { origin } = await listenOn(relay, '127.0.0.1');
    try {
      const latencies: number[] = [];
      const summary = await runLoad({
        gatewayUrl: origin,
        routes: ['sim-load-8b'],
        ratePerSecond: 1000,
        maxRequests: 200,
        users: 20,
        jsonShare: 0.3,
        streamShare: 0.5,
        maxInFlight: 200,
        onResponse: (r) => latencies.push(r.latencyMs),
      });
      const streamed = bodies.filter((b) => b.stream === true);
      expect(bodies).toHaveLength(200);
      expect(streamed.length).toBeGreaterThan(70);
      expect(streamed.length).toBeLessThan(130);
      expect(streamed.every((b) => JSON.stringify(b.stream_options) === '{"include_usage":true}')).toBe(true);
      expect(bodies.filter((b) => b.stream === undefined && b.stream_options === undefined)).toHaveLength(
        200 - streamed.length,
      );
      expect(summary).toMatchObject({
        sent: 200,
        completed: 200,
        networkErrors: 0,
        skipped: 0,
        byStatus: { '200': 200 },
        byBackend: { sim: 200 },
      });
      // Every request, streamed or not, lasted until its answer's last byte: the whole 40 ms
      // latency, not the 20 ms to a stream's first token.
      expect(Math.min(...latencies)).toBeGreaterThanOrEqual(38);
      expect(sim.stats()).toMatchObject({ requests: 200, inFlight: 0 });
    } finally {
      relay.closeAllConnections();
      await new Promise((resolve) => relay.close(resolve));
      await sim.close();
    }
  });
});

describe('load generator connections', () => {
  /** A stand-in gateway that answers 200 and names the backend, resetting the sockets `reset` picks. */
  async function gateway(reset: (requestOnSocket: number) => boolean) {
    const seen = new WeakMap<object, number>();
    let resets = 0;
    const server = createServer((req, res) => {
      const onSocket = (seen.get(req.socket) ?? 0) + 1;
      seen.set(req.socket, onSocket);
      req.resume();
      req.on('end', () => {
        if (reset(onSocket)) {
          resets++;
          req.socket.destroy();
          return;
        }
        res.writeHead(200, { 'content-type': 'application/json', 'x-rollout-backend': 'sim' });
        res.end('{}');
      });
    });
    const { origin } = await listenOn(server, '127.0.0.1');
    return {
      origin,
      resets: () => resets,
      async close() {
        server.closeAllConnections();
        await new Promise((resolve) => server.close(resolve));
      },
    };
  }

  it('sends a request again once when the kept-alive socket it went out on was closed under it', async () => {
    // Every socket's second request is cut, as when the server timed out the idle connection just then.
    const stand = await gateway((onSocket) => onSocket === 2);
    try {
      const summary = await runLoad({ ...BASE, gatewayUrl: stand.origin, ratePerSecond: 20, maxRequests: 6 });
      expect(stand.resets()).toBeGreaterThan(0);
      expect(summary).toMatchObject({ sent: 6, completed: 6, networkErrors: 0, byStatus: { '200': 6 } });
    } finally {
      await stand.close();
    }
  });

  it('counts a reset on a fresh connection, and a second reset after the retry, as network errors', async () => {
    const stand = await gateway(() => true);
    try {
      const summary = await runLoad({ ...BASE, gatewayUrl: stand.origin, ratePerSecond: 20, maxRequests: 3 });
      expect(summary).toMatchObject({ sent: 3, completed: 0, networkErrors: 3 });
      // No request is sent more than twice.
      expect(stand.resets()).toBeLessThanOrEqual(6);
    } finally {
      await stand.close();
    }
  });
});

// The gateway's upstream client against a backend that drops a pooled keep-alive connection just
// as it is reused (what an idle timeout does in a race): the request is sent again on a new
// connection instead of failing the client with a 502. A fresh connection that fails is not retried.
import { createServer, type Server } from 'node:http';
import type { Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UpstreamClient } from '../../gateway/upstream';
import { listenOn } from '../../lib/listen';

describe('upstream keep-alive sockets closed by the backend', () => {
  let server: Server;
  let url: string;
  let mode: 'drop-reused' | 'drop-all' = 'drop-reused';
  const served = new WeakMap<Socket, number>();
  let received = 0;

  beforeAll(async () => {
    server = createServer((req, res) => {
      received += 1;
      const count = (served.get(req.socket) ?? 0) + 1;
      served.set(req.socket, count);
      req.resume();
      req.on('end', () => {
        if (mode === 'drop-all' || count > 1) {
          req.socket.destroy();
          return;
        }
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ choices: [] }));
      });
    });
    url = (await listenOn(server, '127.0.0.1')).origin;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  const exchange = (client: UpstreamClient) =>
    client.exchange({
      backend: { name: 'b', baseUrl: `${url}/v1`, model: 'm' },
      path: 'chat/completions',
      body: JSON.stringify({ model: 'm', messages: [] }),
      requestId: 'r',
      timeoutMs: 5_000,
      signal: new AbortController().signal,
    });

  it('resends a request whose reused connection was closed under it', async () => {
    const client = new UpstreamClient();
    try {
      mode = 'drop-reused';
      received = 0;
      expect((await exchange(client)).status).toBe(200);
      // Let the connection go idle in the pool (undici reuses a connection one event-loop turn
      // after its response ended), as a keep-alive connection is when the backend times it out.
      await new Promise((resolve) => setTimeout(resolve, 20));
      // Same pooled socket: the backend drops it; the retry goes out on a new connection.
      const second = await exchange(client);
      expect(second).toMatchObject({ status: 200, failure: null });
      expect(received).toBe(3);
    } finally {
      client.close();
    }
  });

  it('does not resend when a new connection fails', async () => {
    const client = new UpstreamClient();
    try {
      mode = 'drop-all';
      received = 0;
      const outcome = await exchange(client);
      expect(outcome.status).toBe(502);
      expect(outcome.failure).toMatch(/socket hang up|ECONNRESET|other side closed/);
      expect(received).toBe(1);
    } finally {
      client.close();
    }
  });
});

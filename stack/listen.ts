// Binds one of our own HTTP servers (gateway, simulated backends, Slack bot, incident receiver)
// and says where it listens. A bind error (port taken) rejects instead of crashing the process.
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export async function listenOn(server: Server, host: string, port = 0): Promise<{ port: number; origin: string }> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const bound = (server.address() as AddressInfo).port;
  return { port: bound, origin: `http://${host.includes(':') ? `[${host}]` : host}:${bound}` };
}

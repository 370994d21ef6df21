// Binds one of our own HTTP servers (gateway, simulated backends, incident receiver)
// to a port or a unix socket and says where it listens. A bind error (port taken) rejects
// instead of crashing the process.
import { chmod, lstat, unlink } from 'node:fs/promises';
import type { AddressInfo, Server } from 'node:net';

export async function listenOn(server: Server, host: string, port = 0): Promise<{ port: number; origin: string }> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const bound = (server.address() as AddressInfo).port;
  return { port: bound, origin: originOf(host, bound) };
}

/** http://host:port, with an IPv6 host in brackets. */
export function originOf(host: string, port: number): string {
  return `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
}

/**
 * Binds a server to a unix socket, readable and writable by this user only. A socket left behind
 * by a killed process is replaced; any other file at the path is refused, never deleted.
 */
export async function listenOnSocket(server: Server, path: string): Promise<void> {
  const existing = await lstat(path).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return null;
    throw error;
  });
  if (existing && !existing.isSocket()) throw new Error(`${path} exists and is not a socket; refusing to replace it`);
  if (existing) await unlink(path);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, () => {
      server.off('error', reject);
      resolve();
    });
  });
  await chmod(path, 0o600);
}

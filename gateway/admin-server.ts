// The admin plane as a node:http server (admin-handler.ts), on a loopback port or a unix socket.
// The one-process gateway and the multi-process primary both run it.
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import { handleAdminPlane } from './admin-handler';
import type { AdminDeps } from './admin-handler';
import { answerClientError, sendCaughtError } from './http-io';
import { listenOn, listenOnSocket } from '../lib/listen';

export interface AdminListen {
  adminPort?: number;
  adminHost?: string;
  adminSocket?: string;
}

/** Listening; `url` is http://host:port or `unix:/path`. */
export async function startAdminPlane(deps: AdminDeps, listen: AdminListen): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    void handleAdminPlane(req, res, deps).catch((error: unknown) => sendCaughtError(res, error));
  });
  server.on('clientError', answerClientError);
  if (listen.adminSocket) {
    await listenOnSocket(server, listen.adminSocket);
    return { server, url: `unix:${listen.adminSocket}` };
  }
  const bound = await listenOn(server, listen.adminHost ?? '127.0.0.1', listen.adminPort ?? 0);
  return { server, url: bound.origin };
}

// A data-plane worker of the multi-process gateway (cluster-primary.ts): it serves only the
// OpenAI-compatible API, on the client connections the primary hands it, from the route table the
// primary sends (cluster-messages.ts), and forwards every exchange, shadow pair, answer sample,
// capture and piece of feedback to the primary in batches (traffic-batch.ts). It holds no state
// of its own worth keeping: killed, it is restarted by the primary and gets the current table
// before it serves again.
import { createDataPlane } from './data-plane-server';
import { parsePrimaryMessage, parseWorkerConfig, WORKER_CONFIG_ENV } from './cluster-messages';
import type { WorkerMessage } from './cluster-messages';
import type { Socket } from 'node:net';
import { RouteTable } from './route-table';
import type { StoredRoute } from './route-table';
import { TrafficBatcher } from './traffic-batch';

/** A fresh table holding exactly `routes`, each checked as the state file's are; throws before anything is swapped in. */
export function tableFrom(routes: StoredRoute[]): RouteTable {
  const table = new RouteTable();
  for (const route of routes) table.restore(route);
  return table;
}

function send(message: WorkerMessage, callback?: () => void): void {
  // After the primary died the channel is gone; node:cluster then ends this process anyway.
  if (!process.connected) return;
  process.send!(message, undefined, {}, callback ? () => callback() : undefined);
}

export async function runClusterWorker(): Promise<void> {
  const config = parseWorkerConfig(process.env[WORKER_CONFIG_ENV]);
  const log = (line: string) => console.log(`[gateway worker ${process.pid}] ${line}`);
  const batcher = new TrafficBatcher((batch) => send({ type: 'traffic', ...batch }));
  const dataPlane = createDataPlane(
    new RouteTable(),
    { recorder: batcher, pairs: batcher, samples: batcher, captures: batcher, feedback: batcher },
    { ...config, random: Math.random },
  );
  let serving = false;
  let stopping = false;

  const fail = (error: unknown) => {
    const message = error instanceof Error ? error.message : String(error);
    log(`cannot serve: ${message}`);
    send({ type: 'failed', message }, () => process.exit(1));
  };

  const shutdown = async () => {
    if (stopping) return;
    stopping = true;
    await dataPlane.stop();
    // Requests aborted by the stop were recorded (499/502): they go with the last batch.
    batcher.flush();
    send({ type: 'stopped' }, () => process.exit(0));
  };

  process.on('message', (raw: unknown, handle?: unknown) => {
    const message = parsePrimaryMessage(raw);
    if (!message) return;
    if (message.type === 'connection') {
      const socket = handle as Socket | undefined;
      if (socket && (!serving || stopping)) socket.destroy();
      else if (socket) {
        // Accepted paused by the primary, so no byte was read there: this worker reads them all.
        dataPlane.server.emit('connection', socket);
        socket.resume();
      }
      // Said before any byte is read (that comes on a later tick): until then the primary keeps its
      // copy open, and closes it if this worker dies first, so no client is left on a connection
      // nobody serves.
      send({ type: 'connection-taken', id: message.id });
      return;
    }
    if (message.type === 'shutdown') {
      shutdown().catch(fail);
      return;
    }
    try {
      // Swapped whole: a request in flight keeps the route entry it resolved.
      dataPlane.deps.table = tableFrom(message.routes as StoredRoute[]);
    } catch (error) {
      fail(error);
      return;
    }
    // Only with a table is this worker given connections (the primary waits for this).
    serving = true;
    send({ type: 'routes-applied', version: message.version });
  });
  // Signals are the primary's to act on: it stops the workers first, then itself.
  process.on('SIGINT', () => {});
  process.on('SIGTERM', () => {});
  send({ type: 'hello' });
}

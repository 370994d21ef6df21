// The multi-process gateway (`gateway/main.ts --processes N`): this primary process plus N
// data-plane workers (node:cluster) behind one data address and one admin address. The primary
// accepts on the data address and hands each client connection to the next serving worker in
// turn, so a burst of new connections spreads evenly (workers accepting from one shared socket
// left 15 of 16 on one worker). The primary keeps its copy of a connection until the worker says it
// holds it, and closes the copies a dying worker had not taken yet: node:cluster leaves those open,
// with nobody serving them, and their clients hang. Once taken, the connection is the worker's alone.
//
// The primary owns everything that must be one: the route table and its state file, the admin
// plane (same token, endpoints and answers as one process), the TrafficLog (one epoch, seqs
// assigned here) and /metrics. Workers serve the data plane only (cluster-worker.ts). They get the
// whole table at start and after every change; an admin change answers only once it is saved AND
// every live worker acknowledged it, within syncTimeoutMs, after which a worker that has not is
// killed (and restarted, getting the current table before it serves): no worker keeps serving an
// old table. Workers send their exchanges and shadow pairs in batches; the primary records each
// exchange once, in the records and the series alike, so /metrics counts exactly what the records
// hold, summed over workers, and a worker's restart never resets a counter.
//
// A worker that dies is restarted (its in-flight requests fail as connection errors, its last
// ≤ 25 ms of unsent records are lost); the primary's death ends the workers too (node:cluster), and
// a supervisor restarting the gateway gets the routes back from the state file.
import cluster from 'node:cluster';
import { createServer as createNetServer, type Socket } from 'node:net';
import type { Worker } from 'node:cluster';
import type { ProcessesInfo } from './admin-api';
import { AdminAuth } from './admin-auth';
import { DEFAULT_ADMIN_TOKEN_ENV, generateAdminToken } from './admin-token';
import { startAdminPlane } from './admin-server';
import { parseWorkerMessage, WORKER_CONFIG_ENV } from './cluster-messages';
import type { PrimaryMessage, WorkerConfig, WorkerMessage } from './cluster-messages';
import { closeServer } from './data-plane-server';
import { ExchangeRecorder } from './exchange-recorder';
import { FEEDBACK_RETRY_MS, FeedbackRecorder } from './feedback-recorder';
import { decodeExchange } from './exchange-wire';
import { DEFAULT_MAX_BODY_BYTES } from './http-io';
import { GatewayMetrics } from './metrics';
import { openRouteTable } from './route-setup';
import { answerSamplingOf, capturingOf, trafficLogFor, type GatewayHandle, type GatewayOptions } from './server';
import { TableSync } from './table-sync';
import { listenOn, originOf } from '../lib/listen';

export const DEFAULT_SYNC_TIMEOUT_MS = 2_000;

export interface ClusterGatewayOptions extends Omit<GatewayOptions, 'random'> {
  /** Data-plane worker processes (>= 1). */
  processes: number;
  /** How long an admin change waits for every worker to apply it before the laggards are killed (default 2 s). */
  syncTimeoutMs?: number;
  /** How long the start waits for every worker to serve (default 60 s). */
  startTimeoutMs?: number;
  /** Graceful stop of a worker before it is killed (default 10 s). */
  stopTimeoutMs?: number;
}

export interface ClusterGatewayHandle extends GatewayHandle {
  processes(): ProcessesInfo;
}

interface Slot {
  worker: Worker;
  forkedAt: number;
  serving: boolean;
  failure: string | null;
  exited: Promise<void>;
  /** Connections sent to this worker that it has not said it holds, by handoff id: the primary's copies. */
  handedOver: Map<number, Socket>;
}

/** A worker that keeps dying young is restarted after a growing pause (up to 5 s), not in a tight loop. */
export function restartDelayMs(quickDeaths: number): number {
  return quickDeaths <= 1 ? 0 : Math.min(5_000, 100 * 2 ** (quickDeaths - 2));
}

const QUICK_DEATH_MS = 5_000;
let started = false;

export async function startClusterGateway(options: ClusterGatewayOptions): Promise<ClusterGatewayHandle> {
  if (!cluster.isPrimary) throw new Error('startClusterGateway runs in the primary process only');
  if (started) throw new Error('one multi-process gateway per process: node:cluster has one set of workers');
  if (!Number.isInteger(options.processes) || options.processes < 1)
    throw new Error(`processes must be an integer >= 1, got ${options.processes}`);
  started = true;
  const log = options.log ?? (() => {});
  const host = options.host ?? '127.0.0.1';
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const syncTimeoutMs = options.syncTimeoutMs ?? DEFAULT_SYNC_TIMEOUT_MS;
  const stopTimeoutMs = options.stopTimeoutMs ?? 10_000;
  const adminToken = options.adminToken ?? generateAdminToken();
  const startedAt = new Date().toISOString();
  const workerConfig: WorkerConfig = {
    upstreamTimeoutMs: options.upstreamTimeoutMs ?? 60_000,
    shadowTimeoutMs: options.shadowTimeoutMs,
    maxShadowInFlight: options.maxShadowInFlight,
    maxBodyBytes,
    clientBodyTimeoutMs: options.clientBodyTimeoutMs,
  };
  const answerSampling = answerSamplingOf(options);
  if (answerSampling) workerConfig.answerSampling = answerSampling;
  if (capturingOf(options)) workerConfig.capture = true;

  const metrics = new GatewayMetrics({ defaultMetrics: options.defaultMetrics ?? true });
  const { table, store } = await openRouteTable(options, metrics, log);
  const traffic = trafficLogFor(options);
  const recorder = new ExchangeRecorder(metrics, traffic);
  // Feedback sent on one worker may overtake the record of its answer, batched by another: an
  // unknown request id gets a second look before it is dropped.
  const feedback = new FeedbackRecorder(metrics, traffic, { retryUnknownMs: FEEDBACK_RETRY_MS });
  const sync = new TableSync<number>();
  const slots = new Map<number, Slot>();
  let restarts = 0;
  let quickDeaths = 0;
  let stopping = false;
  // Bound before any worker exists: a port that is taken fails the start, naming it, with no worker to clean up.
  const acceptor = createNetServer({ pauseOnConnect: true }, handOff);
  const { port: boundPort } = await listenOn(acceptor, host, options.port ?? 0).catch((error: unknown) => {
    started = false;
    throw error;
  });
  let nextWorker = 0;
  let handoffs = 0;

  /** The next serving worker in turn takes the connection; one that cannot (its channel just closed) passes it on. */
  function handOff(socket: Socket, tried = 0): void {
    const ready = [...slots.values()].filter((slot) => slot.serving && slot.worker.isConnected());
    if (ready.length === 0 || tried >= ready.length) {
      socket.destroy();
      return;
    }
    const slot = ready[nextWorker++ % ready.length]!;
    const id = ++handoffs;
    slot.handedOver.set(id, socket);
    const message: PrimaryMessage = { type: 'connection', id };
    slot.worker.send(message, socket, { keepOpen: true }, (error: Error | null) => {
      // Not sent (the channel closed first): no worker has it, so the next one can take it whole.
      if (error && slot.handedOver.delete(id)) handOff(socket, tried + 1);
    });
  }

  function taken(slot: Slot, id: number): void {
    slot.handedOver.get(id)?.destroy();
    slot.handedOver.delete(id);
  }

  /** A dead worker's untaken connections may have been read by it, so they are closed, never passed on. */
  function closeUntaken(slot: Slot): void {
    for (const socket of slot.handedOver.values()) socket.destroy();
    slot.handedOver.clear();
  }

  const routesMessage = (): Extract<PrimaryMessage, { type: 'routes' }> => ({
    type: 'routes',
    version: sync.version,
    routes: table.snapshot(),
  });
  const sendTo = (slot: Slot, message: PrimaryMessage) => {
    if (!slot.worker.isConnected()) return;
    slot.worker.send(message);
  };
  // The version rises at once (an admin handler waits for it right after the change); the
  // table is sent once per tick, however many changes the tick made.
  let broadcastPending = false;
  table.onChange(() => {
    sync.changed();
    if (broadcastPending) return;
    broadcastPending = true;
    queueMicrotask(() => {
      broadcastPending = false;
      const message = routesMessage();
      for (const [id, slot] of slots) if (sync.behind(message.version).includes(id)) sendTo(slot, message);
    });
  });

  const processes = (): ProcessesInfo => ({
    workers: options.processes,
    alive: [...slots.values()].filter((slot) => slot.serving).length,
    restarts,
  });

  async function killAndWait(slot: Slot): Promise<void> {
    slot.worker.process.kill('SIGKILL');
    await Promise.race([slot.exited, new Promise((resolve) => setTimeout(resolve, 2_000).unref())]);
  }

  /** Every live worker holds the table as it is now; laggards are killed (and restarted) instead. */
  async function inForce(): Promise<void> {
    const version = sync.version;
    const laggards = await sync.waitFor(version, syncTimeoutMs);
    await Promise.all(
      laggards.map((id) => {
        const slot = slots.get(id);
        if (!slot) return undefined;
        log(
          `data-plane worker ${slot.worker.process.pid} did not apply route table version ${version} within ${syncTimeoutMs} ms: killing it (restarted with the current table)`,
        );
        return killAndWait(slot);
      }),
    );
  }

  const admin = await startAdminPlane(
    {
      table,
      log: traffic,
      metrics,
      auth: new AdminAuth(adminToken),
      maxBodyBytes,
      startedAt,
      durable: async () => {
        await Promise.all([store?.flush(), inForce()]);
      },
      processes,
    },
    options,
  );

  let ready!: () => void;
  let failStart!: (error: Error) => void;
  const serving = new Promise<void>((resolve, reject) => {
    ready = resolve;
    failStart = reject;
  });
  let starting = true;

  function fork(): void {
    const worker = cluster.fork({
      [WORKER_CONFIG_ENV]: JSON.stringify(workerConfig),
      // Workers never need the admin token: keep it out of their environment.
      [DEFAULT_ADMIN_TOKEN_ENV]: undefined,
      [`${DEFAULT_ADMIN_TOKEN_ENV}_FILE`]: undefined,
    });
    const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
    worker.on('error', (error: Error) => log(`data-plane worker ${worker.process.pid}: ${error.message}`));
    slots.set(worker.id, {
      worker,
      forkedAt: Date.now(),
      serving: false,
      failure: null,
      exited,
      handedOver: new Map(),
    });
  }

  function onMessage(worker: Worker, raw: unknown): void {
    const slot = slots.get(worker.id);
    const message: WorkerMessage | null = parseWorkerMessage(raw);
    if (!slot || !message) return;
    switch (message.type) {
      case 'traffic':
        for (const exchange of message.exchanges) recorder.add(decodeExchange(exchange));
        for (const pair of message.pairs) traffic.addPair(pair);
        for (const sample of message.samples) traffic.addSample(sample);
        for (const capture of message.captures) traffic.addCapture(capture);
        // After the exchanges, so feedback finds the records of its own batch.
        for (const offer of message.feedback) feedback.offerFeedback(offer);
        return;
      case 'hello':
        sync.join(worker.id);
        sendTo(slot, routesMessage());
        return;
      case 'connection-taken':
        taken(slot, message.id);
        return;
      case 'routes-applied':
        sync.ack(worker.id, message.version);
        if (!slot.serving) becameServing(slot);
        return;
      case 'failed':
        slot.failure = message.message;
        return;
      case 'stopped':
        return;
    }
  }

  function becameServing(slot: Slot): void {
    slot.serving = true;
    if (starting && [...slots.values()].filter((s) => s.serving).length === options.processes) {
      starting = false;
      ready();
    }
  }

  function onExit(worker: Worker, code: number | null, signal: string | null): void {
    const slot = slots.get(worker.id);
    if (!slot) return;
    slots.delete(worker.id);
    sync.leave(worker.id);
    closeUntaken(slot);
    if (stopping) return;
    const how = signal ? `signal ${signal}` : `code ${code}`;
    if (starting) {
      failStart(
        new Error(`a data-plane worker exited (${how}) before it served${slot.failure ? `: ${slot.failure}` : ''}`),
      );
      return;
    }
    restarts++;
    quickDeaths = Date.now() - slot.forkedAt < QUICK_DEATH_MS ? quickDeaths + 1 : 0;
    const delay = restartDelayMs(quickDeaths);
    log(
      `data-plane worker ${worker.process.pid} exited (${how}${slot.failure ? `: ${slot.failure}` : ''}); restarting it${delay ? ` in ${delay} ms` : ''} (restart ${restarts})`,
    );
    setTimeout(() => {
      if (!stopping) fork();
    }, delay);
  }

  cluster.on('message', onMessage);
  cluster.on('exit', onExit);
  // The workers run this same entry point (process.argv[1], with tsx's loader in execArgv);
  // everything they need comes in WORKER_CONFIG_ENV and over IPC, not on their command line.
  cluster.setupPrimary({ args: [] });

  async function stopWorkers(): Promise<void> {
    stopping = true;
    // No new connections; those handed over are the workers' to finish.
    acceptor.close();
    await Promise.all(
      [...slots.values()].map(async (slot) => {
        sendTo(slot, { type: 'shutdown' });
        const timer = new Promise<'late'>((resolve) => setTimeout(() => resolve('late'), stopTimeoutMs).unref());
        if ((await Promise.race([slot.exited, timer])) === 'late') await killAndWait(slot);
      }),
    );
    cluster.off('message', onMessage);
    cluster.off('exit', onExit);
  }

  for (let i = 0; i < options.processes; i++) fork();
  const startTimeoutMs = options.startTimeoutMs ?? 60_000;
  const startTimer = setTimeout(
    () => failStart(new Error(`the data-plane workers did not all serve within ${startTimeoutMs} ms`)),
    startTimeoutMs,
  );
  try {
    await serving;
  } catch (error) {
    await Promise.all([stopWorkers(), closeServer(admin.server)]);
    started = false;
    throw error;
  } finally {
    clearTimeout(startTimer);
  }

  const url = originOf(host, boundPort);
  log(
    `gateway data plane on ${url} (OpenAI-compatible base URL ${url}/v1) served by ${options.processes} worker processes; admin plane on ${admin.url}; epoch ${traffic.epoch}`,
  );
  let closed: Promise<void> | null = null;
  return {
    url,
    baseUrl: `${url}/v1`,
    port: boundPort,
    adminUrl: admin.url,
    adminToken,
    epoch: traffic.epoch,
    routes: table,
    metrics,
    log: traffic,
    processes,
    close() {
      closed ??= (async () => {
        await Promise.all([stopWorkers(), closeServer(admin.server)]);
        // The workers' last batches are in: feedback still waiting for its record gets its last look.
        feedback.close();
        await store
          ?.flush()
          .catch((error: unknown) => log(`state file not saved at close: ${(error as Error).message}`));
        started = false;
        log('gateway stopped');
      })();
      return closed;
    },
  };
}

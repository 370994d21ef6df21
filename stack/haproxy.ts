// A real HAProxy (Debian's /usr/sbin/haproxy) on loopback: one HTTP frontend in front of one
// weighted round-robin backend, with the runtime API on a unix socket at admin level, so the
// HAProxy traffic router can move weights live, and its built-in Prometheus exporter on a port of
// its own (per-server response counters by status class). Runs in the foreground (-db).
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildHaproxyConfig, type HaproxyServer } from './haproxy-config';
import { freePort, startManagedProcess, tcpProbe, unixSocketProbe } from './managed-process';

export type { HaproxyServer } from './haproxy-config';

export interface HaproxyOptions {
  /** Holds haproxy.cfg and the runtime API socket (admin.sock). Keep the path short: unix sockets allow 107 bytes. */
  dataDir: string;
  logDir: string;
  /** Frontend port on 127.0.0.1; a free one by default. */
  port?: number;
  backendName: string;
  servers: HaproxyServer[];
  /** Health-check interval; no health checks by default (servers count as up unless in maintenance). */
  healthCheckIntervalMs?: number;
  binary?: string;
  readyTimeoutMs?: number;
}

export interface RunningHaproxy {
  /** Frontend root URL, e.g. http://127.0.0.1:41234 (clients use `${url}/v1`). */
  url: string;
  port: number;
  /** Runtime API unix socket path, for `router.statsSocket` in a plan. */
  statsSocket: string;
  /** host:port of HAProxy's Prometheus exporter (GET /metrics), for a scrape target. */
  metricsTarget: string;
  configFile: string;
  logFile: string;
  stop(): Promise<void>;
}

const HOST = '127.0.0.1';

export async function startHaproxy(options: HaproxyOptions): Promise<RunningHaproxy> {
  const port = options.port ?? (await freePort());
  const metricsPort = await freePort();
  mkdirSync(options.dataDir, { recursive: true });
  const statsSocket = join(options.dataDir, 'admin.sock');
  const configFile = join(options.dataDir, 'haproxy.cfg');
  writeFileSync(
    configFile,
    buildHaproxyConfig({
      host: HOST,
      port,
      backendName: options.backendName,
      servers: options.servers,
      statsSocket,
      healthCheckIntervalMs: options.healthCheckIntervalMs,
      metricsPort,
    }),
  );
  // A socket file left by an earlier run that was killed would make the probe pass too early.
  rmSync(statsSocket, { force: true });

  const child = await startManagedProcess({
    name: 'haproxy',
    command: options.binary ?? '/usr/sbin/haproxy',
    // -db: stay in the foreground, no daemon; stop() signals it directly.
    args: ['-f', configFile, '-db'],
    logFile: join(options.logDir, 'haproxy.log'),
    readyTimeoutMs: options.readyTimeoutMs ?? 15_000,
    // SIGTERM is HAProxy's hard stop: it exits at once.
    stopGraceMs: 5_000,
    ready: [
      unixSocketProbe(statsSocket, `connect to the runtime API at ${statsSocket}`),
      tcpProbe(HOST, port),
      tcpProbe(HOST, metricsPort),
    ],
  });

  return {
    url: `http://${HOST}:${port}`,
    port,
    statsSocket,
    metricsTarget: `${HOST}:${metricsPort}`,
    configFile,
    logFile: child.logFile,
    stop: async () => {
      await child.stop();
      rmSync(statsSocket, { force: true });
    },
  };
}

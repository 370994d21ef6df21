// The embedded default stack: a real Temporal dev server (with the Web UI), Prometheus scraping
// our gateway's admin plane, the gateway itself (data plane and admin plane on two loopback
// ports) and the rollout worker. `rollout up` runs it in the foreground; the demo and the
// end-to-end tests start it the same way.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_ADMIN_TOKEN_ENV, generateAdminToken, readAdminToken } from '../gateway/admin-token';
import { startGateway, type GatewayHandle } from '../gateway/server';
import type { ActivityDependencies } from '../activities';
import { DEFAULT_TASK_QUEUE } from '../client/temporal-config';
import { startRolloutWorker, type RunningWorker } from '../workers/rollout-worker';
import { ROLLOUT_SEARCH_ATTRIBUTES } from '../workflows/search-attributes';
import { startPrometheus, type RunningPrometheus } from './prometheus';
import { startTemporalDevServer, type TemporalDevServer } from './temporal-dev-server';

export interface EmbeddedStackOptions {
  /** Holds the Temporal database, Prometheus's TSDB and the logs. */
  dir: string;
  /** Fixed ports for a long-lived stack; free ports when omitted. */
  ports?: { temporal?: number; ui?: number; prometheus?: number; gateway?: number; gatewayAdmin?: number };
  /** The gateway's route table survives restarts in this file (none: routes live in memory only). */
  gatewayStateFile?: string;
  /** Admin token; default GATEWAY_ADMIN_TOKEN (or _FILE) from the environment, else a fresh random one. */
  gatewayAdminToken?: string;
  taskQueue?: string;
  /** Run the rollout worker in this process (default true). */
  worker?: boolean;
  activities?: ActivityDependencies;
  log?: (line: string) => void;
}

export interface EmbeddedStack {
  temporalAddress: string;
  namespace: string;
  uiUrl: string;
  prometheusUrl: string;
  /** The gateway's data plane root (clients: `${gatewayUrl}/v1`). */
  gatewayUrl: string;
  /** The gateway's admin plane: plans' router.adminUrl, Prometheus's scrape target. */
  gatewayAdminUrl: string;
  gatewayAdminToken: string;
  taskQueue: string;
  gateway: GatewayHandle;
  prometheus: RunningPrometheus;
  temporal: TemporalDevServer;
  worker: RunningWorker | null;
  stop(): Promise<void>;
}

export async function startEmbeddedStack(options: EmbeddedStackOptions): Promise<EmbeddedStack> {
  const log = options.log ?? (() => {});
  const logDir = join(options.dir, 'logs');
  mkdirSync(logDir, { recursive: true });
  const stops: Array<() => Promise<void>> = [];
  const stop = async () => {
    for (const undo of stops.reverse())
      await undo().catch((error: unknown) => log(`stop failed: ${(error as Error).message}`));
    stops.length = 0;
  };
  const adminToken = options.gatewayAdminToken ?? readAdminToken(DEFAULT_ADMIN_TOKEN_ENV) ?? generateAdminToken();
  // The in-process worker's activities read the token where any worker does: the environment.
  if (options.worker !== false) process.env[DEFAULT_ADMIN_TOKEN_ENV] = adminToken;
  try {
    const [temporal, gateway] = await Promise.all([
      startTemporalDevServer({
        dataDir: join(options.dir, 'temporal'),
        logDir,
        port: options.ports?.temporal,
        uiPort: options.ports?.ui,
        searchAttributes: Object.fromEntries(ROLLOUT_SEARCH_ATTRIBUTES.map((key) => [key.name, 'Keyword' as const])),
      }),
      // The statistical judge reads a whole window's per-request records back: keep enough of
      // them for a 15-minute window at ~100 requests/s (about 40 MB).
      startGateway({
        port: options.ports?.gateway ?? 0,
        adminPort: options.ports?.gatewayAdmin ?? 0,
        adminToken,
        stateFile: options.gatewayStateFile,
        recordsCapacity: 100_000,
      }),
    ]);
    stops.push(
      () => temporal.stop(),
      () => gateway.close(),
    );
    log(`Temporal dev server at ${temporal.address}; Web UI ${temporal.uiUrl}`);
    log(
      `gateway data plane at ${gateway.url} (OpenAI-compatible base URL ${gateway.baseUrl}); admin plane at ${gateway.adminUrl}`,
    );

    const prometheus = await startPrometheus({
      dataDir: join(options.dir, 'prometheus'),
      logDir,
      port: options.ports?.prometheus,
      scrapeIntervalSeconds: 1,
      // /metrics is served by the admin plane (loopback), not the data plane.
      targets: [{ job: 'llm-gateway', target: new URL(gateway.adminUrl).host }],
    });
    stops.push(() => prometheus.stop());
    // Debian's Prometheus applies new targets on its ~5 s discovery tick: wait for the first scrape.
    await prometheus.waitForTargetsUp(['llm-gateway'], 30_000);
    log(`Prometheus at ${prometheus.url}, scraping the gateway every 1 s`);

    const taskQueue = options.taskQueue ?? DEFAULT_TASK_QUEUE;
    let worker: RunningWorker | null = null;
    if (options.worker !== false) {
      worker = await startRolloutWorker({
        address: temporal.address,
        namespace: temporal.namespace,
        taskQueue,
        activities: options.activities,
      });
      stops.push(() => worker!.stop());
      log(`rollout worker on task queue "${taskQueue}"`);
    }
    return {
      temporalAddress: temporal.address,
      namespace: temporal.namespace,
      uiUrl: temporal.uiUrl,
      prometheusUrl: prometheus.url,
      gatewayUrl: gateway.url,
      gatewayAdminUrl: gateway.adminUrl,
      gatewayAdminToken: gateway.adminToken,
      taskQueue,
      gateway,
      prometheus,
      temporal,
      worker,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

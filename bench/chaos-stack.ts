// The stack bench:chaos breaks, every piece its own process as in production: the Temporal dev
// server on its SQLite file, the rollout worker (workers/main.ts), the gateway CLI with its state
// file, and Prometheus scraping the gateway. Each can be killed with SIGKILL and started again on
// the same ports and files, or stopped with SIGSTOP (unreachable: connections hang) and resumed.
import { join } from 'node:path';
import { GatewayAdminClient } from '../gateway/admin-client';
import { freePort } from '../stack/free-port';
import { GatewayCli, type RunningGateway } from '../stack/gateway-cli';
import { startPrometheus, type RunningPrometheus } from '../stack/prometheus';
import { startTemporalDevServer, type TemporalDevServer } from '../stack/temporal-dev-server';
import { TsxProcesses, type RunningTsxProcess } from '../stack/tsx-processes';
import { ROLLOUT_SEARCH_ATTRIBUTES } from '../workflows/search-attributes';

const TOKEN = 'chaos-bench-admin-token-0123456789abcdef';
const TASK_QUEUE = 'chaos';
/** Below the clients' own timeout, so a hanging backend becomes the gateway's 502, recorded as the candidate's error. */
const UPSTREAM_TIMEOUT_MS = 3_000;

export class ChaosStack {
  readonly token = TOKEN;
  readonly taskQueue = TASK_QUEUE;
  private readonly gateways = new GatewayCli(TOKEN);
  private readonly workers: TsxProcesses;
  private gateway!: RunningGateway;
  private worker!: RunningTsxProcess;
  private temporal!: TemporalDevServer;
  private prometheus!: RunningPrometheus;

  private constructor(
    private readonly dir: string,
    private readonly ports: { temporal: number; ui: number; data: number; admin: number },
  ) {
    this.workers = new TsxProcesses('workers/main.ts', 'rollout worker polling', {
      TEMPORAL_NAMESPACE: 'default',
      ROLLOUT_TASK_QUEUE: TASK_QUEUE,
      GATEWAY_ADMIN_TOKEN: TOKEN,
    });
  }

  static async start(dir: string): Promise<ChaosStack> {
    const ports = { temporal: await freePort(), ui: await freePort(), data: await freePort(), admin: await freePort() };
    const stack = new ChaosStack(dir, ports);
    await Promise.all([stack.startTemporal(), stack.startGateway()]);
    stack.prometheus = await startPrometheus({
      dataDir: join(dir, 'prometheus'),
      logDir: join(dir, 'logs'),
      scrapeIntervalSeconds: 1,
      targets: [{ job: 'llm-gateway', target: `127.0.0.1:${ports.admin}` }],
    });
    await stack.prometheus.waitForTargetsUp(['llm-gateway'], 30_000);
    await stack.startWorker();
    return stack;
  }

  get temporalAddress(): string {
    return `127.0.0.1:${this.ports.temporal}`;
  }
  get gatewayUrl(): string {
    return `http://127.0.0.1:${this.ports.data}`;
  }
  get adminUrl(): string {
    return `http://127.0.0.1:${this.ports.admin}`;
  }
  get prometheusUrl(): string {
    return this.prometheus.url;
  }
  admin(timeoutMs = 2_000): GatewayAdminClient {
    return new GatewayAdminClient({ adminUrl: this.adminUrl, token: TOKEN, timeoutMs });
  }

  /** kill -9 of the worker; a new one starts after `downMs` and resolves once it polls (its bundle built). */
  async killWorker(downMs: number): Promise<void> {
    await this.worker.kill9();
    await sleep(downMs);
    await this.startWorker();
  }

  /** kill -9 of the dev server; started again on the same database and ports. */
  async killTemporal(downMs: number): Promise<void> {
    process.kill(this.temporal.pid, 'SIGKILL');
    await waitGone(this.temporal.pid);
    await sleep(downMs);
    await this.startTemporal();
  }

  /** kill -9 of the gateway; started again on the same ports with its state file, as a supervisor would. */
  async killGateway(downMs: number): Promise<void> {
    await this.gateway.kill9();
    await sleep(downMs);
    await this.startGateway();
  }

  /**
   * The gateway frozen, then resumed; healthy again once a data-plane request is answered within
   * 300 ms: first it works off the connections that piled up while it was stopped.
   */
  async freezeGateway(ms: number): Promise<void> {
    await freeze(this.gateway.child.pid!, ms);
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      const answered = await fetch(`${this.gatewayUrl}/v1/models`, { signal: AbortSignal.timeout(300) })
        .then((response) => response.ok)
        .catch(() => false);
      if (answered) return;
      await sleep(100);
    }
  }

  freezePrometheus(ms: number): Promise<void> {
    return freeze(this.prometheus.pid, ms);
  }

  /** Everything the worker and gateway processes printed, to check no secret leaked. */
  output(): string {
    return `${this.gateways.allOutput()}\n${this.workers.allOutput()}`;
  }

  async stop(): Promise<void> {
    this.workers.killAll();
    this.gateways.killAll();
    await this.prometheus?.stop().catch(() => undefined);
    await this.temporal?.stop().catch(() => undefined);
  }

  private async startTemporal(): Promise<void> {
    this.temporal = await startTemporalDevServer({
      dataDir: join(this.dir, 'temporal'),
      logDir: join(this.dir, 'logs'),
      port: this.ports.temporal,
      uiPort: this.ports.ui,
      searchAttributes: Object.fromEntries(ROLLOUT_SEARCH_ATTRIBUTES.map((key) => [key.name, 'Keyword' as const])),
    });
  }

  private async startGateway(): Promise<void> {
    this.gateway = await this.gateways.start([
      '--port',
      String(this.ports.data),
      '--admin-port',
      String(this.ports.admin),
      '--state-file',
      join(this.dir, 'gateway-state.json'),
      '--upstream-timeout-ms',
      String(UPSTREAM_TIMEOUT_MS),
    ]);
  }

  private async startWorker(): Promise<void> {
    this.worker = await this.workers.start([], { TEMPORAL_ADDRESS: this.temporalAddress });
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function freeze(pid: number, ms: number): Promise<void> {
  process.kill(pid, 'SIGSTOP');
  try {
    await sleep(ms);
  } finally {
    process.kill(pid, 'SIGCONT');
  }
}

async function waitGone(pid: number): Promise<void> {
  for (;;) {
    try {
      process.kill(pid, 0);
    } catch {
      return;
    }
    await sleep(20);
  }
}

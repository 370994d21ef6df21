// A real Prometheus (Debian's /usr/bin/prometheus) on loopback with a generated config, for the
// demo and the integration tests. Note Debian's build applies static targets on its discovery tick
// (~5 s after start), so data from a fresh target is only there after waitForTargetsUp().
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { queryInstant } from '../activities/metrics/prometheus-client';
import { selector } from '../activities/metrics/promql';
import { logTail } from './log-tail';
import { freePort, httpProbe, startManagedProcess } from './managed-process';
import type { ScrapeTarget } from './prometheus-config';
import { buildPrometheusConfig } from './prometheus-config';
import { describeError } from './readiness';

export type { ScrapeTarget } from './prometheus-config';

export interface PrometheusOptions {
  dataDir: string;
  logDir: string;
  port?: number;
  scrapeIntervalSeconds?: number;
  targets: ScrapeTarget[];
  ruleFiles?: string[];
  alertmanagerUrl?: string;
  /**
   * Minimum time between re-sends of a firing alert to Alertmanager; default the scrape interval.
   * Prometheus's own default (1 m) means an alert that fired before Alertmanager was discovered
   * (discovery takes ~5 s here) reaches it only a minute later.
   */
  alertResendDelaySeconds?: number;
  binary?: string;
  readyTimeoutMs?: number;
}

export interface RunningPrometheus {
  url: string;
  configFile: string;
  logFile: string;
  /** The server's process id (what a fault injection's SIGSTOP acts on). */
  pid: number;
  stop(): Promise<void>;
  /** Resolves once every target of the given jobs (default: all) has `up == 1`. */
  waitForTargetsUp(jobs?: string[], timeoutMs?: number): Promise<void>;
}

const HOST = '127.0.0.1';

export async function startPrometheus(options: PrometheusOptions): Promise<RunningPrometheus> {
  const scrapeIntervalSeconds = options.scrapeIntervalSeconds ?? 1;
  const port = options.port ?? (await freePort());
  const url = `http://${HOST}:${port}`;
  const tsdbDir = join(options.dataDir, 'tsdb');
  mkdirSync(tsdbDir, { recursive: true });
  const configFile = join(options.dataDir, 'prometheus.yml');
  writeFileSync(
    configFile,
    buildPrometheusConfig({
      scrapeIntervalSeconds,
      targets: options.targets,
      ruleFiles: options.ruleFiles,
      alertmanagerUrl: options.alertmanagerUrl,
    }),
  );

  const child = await startManagedProcess({
    name: 'prometheus',
    command: options.binary ?? '/usr/bin/prometheus',
    args: [
      `--config.file=${configFile}`,
      `--web.listen-address=${HOST}:${port}`,
      `--storage.tsdb.path=${tsdbDir}`,
      // Lets callers reload the config (POST /-/reload) without a restart.
      '--web.enable-lifecycle',
      `--rules.alert.resend-delay=${options.alertResendDelaySeconds ?? scrapeIntervalSeconds}s`,
    ],
    logFile: join(options.logDir, 'prometheus.log'),
    readyTimeoutMs: options.readyTimeoutMs ?? 30_000,
    ready: [httpProbe(`${url}/-/ready`)],
  });

  const targetsPerJob = new Map<string, number>();
  for (const { job } of options.targets) targetsPerJob.set(job, (targetsPerJob.get(job) ?? 0) + 1);

  const waitForTargetsUp = async (jobs = [...targetsPerJob.keys()], timeoutMs = 30_000): Promise<void> => {
    const unknown = jobs.filter((job) => !targetsPerJob.has(job));
    if (unknown.length > 0) throw new Error(`prometheus: no scrape job named ${unknown.join(', ')}`);
    const deadline = Date.now() + timeoutMs;
    let pending = jobs;
    let lastError = '';
    while (Date.now() < deadline) {
      const stillPending: string[] = [];
      for (const job of pending) {
        const query = `count(${selector('up', [['job', '=', job]])} == 1)`;
        try {
          const result = await queryInstant({ baseUrl: url, query, timeMs: Date.now(), timeoutMs: 2_000 });
          const up = result.resultType === 'vector' ? (result.samples[0]?.value ?? 0) : 0;
          if (up < (targetsPerJob.get(job) ?? 0)) stillPending.push(job);
        } catch (err) {
          lastError = describeError(err);
          stillPending.push(job);
        }
      }
      pending = stillPending;
      if (pending.length === 0) return;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    const targetErrors = await describeTargets(url, pending);
    throw new Error(
      `prometheus: targets of job(s) ${pending.join(', ')} not up within ${timeoutMs} ms` +
        (lastError ? `; last query error: ${lastError}` : '') +
        `\n${targetErrors}\n--- last lines of ${child.logFile} ---\n${logTail(child.logFile)}`,
    );
  };

  return { url, configFile, logFile: child.logFile, pid: child.pid, stop: () => child.stop(), waitForTargetsUp };
}

/** Prometheus's own view of the targets (health and last scrape error), for timeout messages. */
async function describeTargets(url: string, jobs: string[]): Promise<string> {
  try {
    const res = await fetch(`${url}/api/v1/targets`, { signal: AbortSignal.timeout(2_000) });
    const body = (await res.json()) as {
      data?: { activeTargets?: Array<{ scrapePool: string; scrapeUrl: string; health: string; lastError: string }> };
    };
    const targets = (body.data?.activeTargets ?? []).filter((target) => jobs.includes(target.scrapePool));
    if (targets.length === 0) return 'no active targets yet for those jobs (service discovery has not applied them)';
    return targets
      .map((t) => `${t.scrapePool} ${t.scrapeUrl}: ${t.health}${t.lastError ? ` (${t.lastError})` : ''}`)
      .join('\n');
  } catch (err) {
    return `could not list targets: ${describeError(err)}`;
  }
}

// A real Alertmanager (Debian's prometheus-alertmanager) on loopback, single node, notifying one
// webhook. Short group timings by default so alerts reach the webhook within about a second.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildAlertmanagerConfig } from './alertmanager-config';
import { freePort, httpProbe, startManagedProcess } from './managed-process';

export interface AlertmanagerOptions {
  dataDir: string;
  logDir: string;
  port?: number;
  webhookUrl: string;
  webhookBearerToken?: string;
  groupBy?: string[];
  groupWait?: string;
  groupInterval?: string;
  repeatInterval?: string;
  binary?: string;
  readyTimeoutMs?: number;
}

export interface RunningAlertmanager {
  url: string;
  configFile: string;
  logFile: string;
  stop(): Promise<void>;
}

const HOST = '127.0.0.1';

/** Group timings unless given: alerts reach the webhook within about a second (docker/ uses them too). */
export const DEFAULT_GROUP_TIMINGS = { groupWait: '1s', groupInterval: '1s', repeatInterval: '1h' } as const;

export async function startAlertmanager(options: AlertmanagerOptions): Promise<RunningAlertmanager> {
  const port = options.port ?? (await freePort());
  const url = `http://${HOST}:${port}`;
  const storageDir = join(options.dataDir, 'storage');
  mkdirSync(storageDir, { recursive: true });
  const configFile = join(options.dataDir, 'alertmanager.yml');
  // The file holds the bearer token: readable by the owner only.
  writeFileSync(
    configFile,
    buildAlertmanagerConfig({
      webhookUrl: options.webhookUrl,
      webhookBearerToken: options.webhookBearerToken,
      groupBy: options.groupBy,
      groupWait: options.groupWait ?? DEFAULT_GROUP_TIMINGS.groupWait,
      groupInterval: options.groupInterval ?? DEFAULT_GROUP_TIMINGS.groupInterval,
      repeatInterval: options.repeatInterval ?? DEFAULT_GROUP_TIMINGS.repeatInterval,
    }),
    { mode: 0o600 },
  );

  const child = await startManagedProcess({
    name: 'alertmanager',
    command: options.binary ?? '/usr/bin/prometheus-alertmanager',
    args: [
      `--config.file=${configFile}`,
      `--web.listen-address=${HOST}:${port}`,
      `--storage.path=${storageDir}`,
      // Empty disables clustering: no gossip port, and no wait for peers before sending.
      '--cluster.listen-address=',
    ],
    logFile: join(options.logDir, 'alertmanager.log'),
    readyTimeoutMs: options.readyTimeoutMs ?? 30_000,
    ready: [httpProbe(`${url}/-/ready`)],
  });

  return { url, configFile, logFile: child.logFile, stop: () => child.stop() };
}

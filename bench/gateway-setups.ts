// The proxies bench:gateway puts in front of the static upstream, each started as its own child
// process and counted ready only once a real chat completion through it answers 200.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startHaproxy } from '../stack/haproxy';
import { freePort, startManagedProcess, tcpProbe, type Probe } from '../stack/managed-process';
import { BENCH_ROUTE } from './gateway-route';
import { REQUEST_BODY } from './gateway-wrk';
import { generateAdminToken } from '../gateway/admin-token';

const HOST = '127.0.0.1';
const REPO_ROOT = join(import.meta.dirname, '..');

export interface RunningProxy {
  /** Where wrk sends POSTs: the full chat-completions URL. */
  target: string;
  stop(): Promise<void>;
}

export const chatUrl = (root: string): string => `${root}/v1/chat/completions`;

/** Ready when a chat completion POSTed to `url` answers 200 (route defined, upstream reachable). */
export function chatProbe(url: string): Probe {
  return {
    description: `POST ${url} answers 200`,
    async attempt(signal) {
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: REQUEST_BODY,
        signal,
      });
      const text = await res.text();
      if (res.status !== 200) throw new Error(`HTTP ${res.status}: ${text.slice(0, 200)}`);
    },
  };
}

export async function startHaproxyProxy(dir: string, upstreamPort: number): Promise<RunningProxy> {
  const haproxy = await startHaproxy({
    dataDir: join(dir, 'haproxy'),
    logDir: dir,
    backendName: 'static',
    servers: [{ name: 'nginx', host: HOST, port: upstreamPort, weight: 1 }],
  });
  return { target: chatUrl(haproxy.url), stop: () => haproxy.stop() };
}

/** One gateway process (bench/gateway-child.ts); `cpuProfDir` runs it under `node --cpu-prof`. */
export async function startGatewayChild(options: {
  dir: string;
  name: string;
  upstream: string;
  shadowShare: number;
  cpuProfDir?: string;
}): Promise<RunningProxy> {
  const port = await freePort();
  const root = `http://${HOST}:${port}`;
  const profile = options.cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${options.cpuProfDir}`] : [];
  const child = await startManagedProcess({
    name: options.name,
    command: process.execPath,
    args: [
      ...profile,
      '--import',
      'tsx',
      join(REPO_ROOT, 'bench', 'gateway-child.ts'),
      '--port',
      String(port),
      '--upstream',
      `${options.upstream}/v1`,
      '--shadow-share',
      String(options.shadowShare),
    ],
    cwd: REPO_ROOT,
    logFile: join(options.dir, `${options.name}.log`),
    readyTimeoutMs: 20_000,
    stopGraceMs: 10_000,
    ready: [tcpProbe(HOST, port), chatProbe(chatUrl(root))],
  });
  return { target: chatUrl(root), stop: () => child.stop() };
}

// ─── HOOK: multi-process gateway (setup c) ───────────────────────────────────────────────────────
// The multi-process mode (`gateway/main.ts --processes N`: one admin plane, one shared route table):
// `gateway/main.ts --processes N --port P --admin-port 0 --config <routes.json>` with the same route as
// setup (a), a throwaway admin token in its environment. A tree without `--processes` reports the
// setup as not available and scale_out_ratio null.
export const MAIN_SCRIPT = join(REPO_ROOT, 'gateway', 'main.ts');

export function multiProcessSupport(): { available: true } | { available: false; reason: string } {
  const source = existsSync(MAIN_SCRIPT) ? readFileSync(MAIN_SCRIPT, 'utf8') : '';
  return /--processes/.test(source)
    ? { available: true }
    : { available: false, reason: 'gateway/main.ts has no --processes option in this tree' };
}

export async function startScaledGateway(options: {
  dir: string;
  upstream: string;
  processes: number;
}): Promise<RunningProxy> {
  const port = await freePort();
  const root = `http://${HOST}:${port}`;
  const config = join(options.dir, 'scaled-routes.json');
  writeFileSync(
    config,
    JSON.stringify({
      routes: {
        [BENCH_ROUTE]: { backends: [{ name: 'primary', baseUrl: `${options.upstream}/v1`, model: 'static' }] },
      },
    }),
  );
  const child = await startManagedProcess({
    name: 'gateway-scaled',
    command: process.execPath,
    args: [
      '--import',
      'tsx',
      MAIN_SCRIPT,
      '--processes',
      String(options.processes),
      '--host',
      HOST,
      '--port',
      String(port),
      '--admin-port',
      '0',
      '--config',
      config,
    ],
    cwd: REPO_ROOT,
    env: { ...process.env, GATEWAY_ADMIN_TOKEN: generateAdminToken() },
    logFile: join(options.dir, 'gateway-scaled.log'),
    readyTimeoutMs: 30_000,
    stopGraceMs: 10_000,
    ready: [tcpProbe(HOST, port), chatProbe(chatUrl(root))],
  });
  return { target: chatUrl(root), stop: () => child.stop() };
}
// ─── end of HOOK ─────────────────────────────────────────────────────────────────────────────────

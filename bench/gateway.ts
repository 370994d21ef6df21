// Data-plane speed (`npm run bench:gateway [-- --seconds 8 --latency-seconds 5]`): what the
// gateway adds in front of a backend, against HAProxy measured in the same run on the same
// machine, so a busy or slow machine moves both and the ratios stay comparable.
//
// A static upstream (Debian's nginx on loopback, one canned chat completion, one worker) is put
// behind, one at a time, each as its own child process: nothing (nginx direct, the reference),
// HAProxy (one thread), the gateway as one process, the gateway with 50 % shadow mirroring (the
// copies go to nginx too, as a second backend entry), and the gateway as N processes (when
// gateway/main.ts has --processes; see the hook in gateway-setups.ts). Debian's wrk POSTs a chat
// completion: after a warm-up, requests/s at 16 connections, then latency at 1 connection (p50,
// p99). "Added" latency = that setup's percentile minus nginx direct's at 1 connection.
//
// The last line printed is one JSON object: gateway_rps, haproxy_rps, throughput_ratio_vs_haproxy,
// gateway_p50_overhead_us, haproxy_p50_overhead_us, overhead_ratio_vs_haproxy,
// shadow_throughput_ratio (b over a), scale_out_ratio (c over a, null when c is not available),
// plus each setup's figures. `--cpu-prof DIR` runs the one-process gateway under node --cpu-prof.
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { startNginx, type RunningNginx } from './gateway-nginx';
import {
  chatUrl,
  multiProcessSupport,
  startGatewayChild,
  startHaproxyProxy,
  startScaledGateway,
  type RunningProxy,
} from './gateway-setups';
import { runWrk, writeWrkScript, type WrkResult } from './gateway-wrk';
import { runBench } from './run-bench';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '8' },
    'latency-seconds': { type: 'string', default: '5' },
    'warmup-seconds': { type: 'string', default: '2' },
    connections: { type: 'string', default: '16' },
    processes: { type: 'string', default: String(availableParallelism()) },
    // Comma-separated subset of: nginx,haproxy,gateway,shadow,scaled (nginx always runs: it is the reference).
    only: { type: 'string' },
    'cpu-prof': { type: 'string' },
  },
});
const SECONDS = Number(values.seconds);
const LATENCY_SECONDS = Number(values['latency-seconds']);
const WARMUP_SECONDS = Number(values['warmup-seconds']);
const CONNECTIONS = Number(values.connections);
const PROCESSES = Number(values.processes);
const ONLY = values.only ? new Set(values.only.split(',').map((s) => s.trim())) : null;
if (
  ![SECONDS, LATENCY_SECONDS, CONNECTIONS, PROCESSES].every((n) => Number.isInteger(n) && n >= 1) ||
  !(Number.isInteger(WARMUP_SECONDS) && WARMUP_SECONDS >= 0)
) {
  console.error(
    'usage: npm run bench:gateway -- [--seconds N] [--latency-seconds N] [--warmup-seconds N] [--connections N] [--processes N] [--only gateway,shadow,...] [--cpu-prof DIR]',
  );
  process.exit(1);
}

const GOALS = {
  throughputRatio: 0.25,
  overheadRatio: 3,
  shadowRatio: 0.8,
  scaleOutRatio: 1.4,
};

interface Measured {
  rps: number;
  p50Us: number;
  p99Us: number;
  /** Failed requests over all three runs (must be 0 for the figures to mean anything). */
  errors: number;
}

const dir = mkdtempSync(join(tmpdir(), 'llm-rollout-bench-gw-'));
let nginx: RunningNginx | undefined;
const running = new Set<RunningProxy>();

async function measure(label: string, target: string, script: string): Promise<Measured> {
  if (WARMUP_SECONDS > 0) await runWrk({ url: target, script, connections: CONNECTIONS, seconds: WARMUP_SECONDS });
  const load: WrkResult = await runWrk({ url: target, script, connections: CONNECTIONS, seconds: SECONDS });
  const single: WrkResult = await runWrk({ url: target, script, connections: 1, threads: 1, seconds: LATENCY_SECONDS });
  const result = { rps: load.rps, p50Us: single.p50Us, p99Us: single.p99Us, errors: load.errors + single.errors };
  console.log(
    `  ${label.padEnd(30)} ${Math.round(result.rps).toLocaleString('en-US').padStart(8)} req/s @${CONNECTIONS}   p50 ${String(result.p50Us).padStart(5)} µs   p99 ${String(result.p99Us).padStart(6)} µs @1${result.errors ? `   ${result.errors} FAILED REQUESTS` : ''}`,
  );
  return result;
}

async function withProxy(
  start: () => Promise<RunningProxy>,
  run: (proxy: RunningProxy) => Promise<Measured>,
): Promise<Measured> {
  const proxy = await start();
  running.add(proxy);
  try {
    return await run(proxy);
  } finally {
    running.delete(proxy);
    await proxy.stop();
  }
}

const wanted = (name: string) => ONLY === null || ONLY.has(name);
const ratio = (a: number | undefined, b: number | undefined): number | null =>
  a === undefined || b === undefined || b <= 0 ? null : round2(a / b);
const round2 = (n: number) => Math.round(n * 100) / 100;

async function main(): Promise<string> {
  const startedAt = performance.now();
  const script = writeWrkScript(dir);
  nginx = await startNginx({ dir });
  const upstream = nginx.url;
  console.log(
    `static upstream (nginx) at ${upstream}; ${availableParallelism()} cores; per setup: ${WARMUP_SECONDS} s warm-up, ${SECONDS} s at ${CONNECTIONS} connections, ${LATENCY_SECONDS} s at 1 connection`,
  );

  const direct = await measure('nginx direct (reference)', chatUrl(upstream), script);
  const haproxy = wanted('haproxy')
    ? await withProxy(
        () => startHaproxyProxy(dir, nginx!.port),
        (p) => measure('HAProxy (1 thread)', p.target, script),
      )
    : undefined;
  const gateway = wanted('gateway')
    ? await withProxy(
        () => startGatewayChild({ dir, name: 'gateway', upstream, shadowShare: 0, cpuProfDir: values['cpu-prof'] }),
        (p) => measure('gateway, 1 process', p.target, script),
      )
    : undefined;
  const shadow = wanted('shadow')
    ? await withProxy(
        () => startGatewayChild({ dir, name: 'gateway-shadow', upstream, shadowShare: 0.5 }),
        (p) => measure('gateway, 1 process, 50 % shadow', p.target, script),
      )
    : undefined;
  let scaled: Measured | undefined;
  let scaledNote = '';
  if (wanted('scaled')) {
    const support = multiProcessSupport();
    if (support.available) {
      scaled = await withProxy(
        () => startScaledGateway({ dir, upstream, processes: PROCESSES }),
        (p) => measure(`gateway, ${PROCESSES} processes`, p.target, script),
      );
    } else {
      scaledNote = support.reason;
      console.log(`  ${`gateway, ${PROCESSES} processes`.padEnd(30)} not available: ${scaledNote}`);
    }
  }

  const added = (m: Measured | undefined, key: 'p50Us' | 'p99Us') =>
    m === undefined ? undefined : m[key] - direct[key];
  const gatewayP50 = added(gateway, 'p50Us');
  const haproxyP50 = added(haproxy, 'p50Us');
  const figures = {
    throughputRatio: ratio(gateway?.rps, haproxy?.rps),
    // A non-positive HAProxy overhead (noise at the µs scale) gives no meaningful ratio.
    overheadRatio: ratio(gatewayP50, haproxyP50),
    shadowRatio: ratio(shadow?.rps, gateway?.rps),
    scaleOutRatio: ratio(scaled?.rps, gateway?.rps),
  };

  console.log('');
  console.log('added latency at 1 connection (setup minus nginx direct):');
  for (const [label, m] of [
    ['HAProxy', haproxy],
    ['gateway', gateway],
    ['gateway, 50 % shadow', shadow],
    [`gateway, ${PROCESSES} processes`, scaled],
  ] as const) {
    if (m) console.log(`  ${label.padEnd(30)} p50 +${added(m, 'p50Us')} µs   p99 +${added(m, 'p99Us')} µs`);
  }
  console.log('');
  console.log('goals (2 cores):');
  const goal = (label: string, value: number | null, ok: (v: number) => boolean, text: string) =>
    console.log(
      `  ${label.padEnd(34)} ${value === null ? 'n/a' : value.toFixed(2)}   goal ${text}   ${value === null ? 'NOT MEASURED' : ok(value) ? 'met' : 'NOT MET'}`,
    );
  goal(
    'throughput_ratio_vs_haproxy',
    figures.throughputRatio,
    (v) => v >= GOALS.throughputRatio,
    `≥ ${GOALS.throughputRatio} per process`,
  );
  goal(
    'overhead_ratio_vs_haproxy (p50)',
    figures.overheadRatio,
    (v) => v <= GOALS.overheadRatio,
    `≤ ${GOALS.overheadRatio}`,
  );
  goal('shadow_throughput_ratio', figures.shadowRatio, (v) => v >= GOALS.shadowRatio, `≥ ${GOALS.shadowRatio}`);
  goal(
    `scale_out_ratio (${PROCESSES} processes)`,
    figures.scaleOutRatio,
    (v) => v >= GOALS.scaleOutRatio,
    `≥ ${GOALS.scaleOutRatio} at 2 processes`,
  );
  const failed = [direct, haproxy, gateway, shadow, scaled].reduce((sum, m) => sum + (m?.errors ?? 0), 0);
  if (failed > 0) console.log(`  WARNING: ${failed} requests failed; the figures above are not trustworthy`);
  console.log(`(bench took ${Math.round((performance.now() - startedAt) / 1000)} s)`);

  const setup = (m: Measured | undefined) =>
    m === undefined ? null : { rps: Math.round(m.rps), p50_us: m.p50Us, p99_us: m.p99Us, errors: m.errors };
  return JSON.stringify({
    gateway_rps: gateway ? Math.round(gateway.rps) : null,
    haproxy_rps: haproxy ? Math.round(haproxy.rps) : null,
    throughput_ratio_vs_haproxy: figures.throughputRatio,
    gateway_p50_overhead_us: gatewayP50 ?? null,
    haproxy_p50_overhead_us: haproxyP50 ?? null,
    overhead_ratio_vs_haproxy: figures.overheadRatio,
    shadow_throughput_ratio: figures.shadowRatio,
    scale_out_ratio: figures.scaleOutRatio,
    gateway_p99_overhead_us: added(gateway, 'p99Us') ?? null,
    haproxy_p99_overhead_us: added(haproxy, 'p99Us') ?? null,
    processes: PROCESSES,
    scale_out_note: scaledNote || null,
    cores: availableParallelism(),
    connections: CONNECTIONS,
    seconds: SECONDS,
    failed_requests: failed,
    setups: {
      nginx: setup(direct),
      haproxy: setup(haproxy),
      gateway: setup(gateway),
      gateway_shadow: setup(shadow),
      gateway_scaled: setup(scaled),
    },
  });
}

async function shutdown(): Promise<void> {
  await Promise.allSettled([...running].map((proxy) => proxy.stop()));
  await nginx?.stop();
  rmSync(dir, { recursive: true, force: true });
}

runBench(main, shutdown);

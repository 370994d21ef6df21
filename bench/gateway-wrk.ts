// Load from Debian's wrk: a bounded run against one URL, POSTing a chat completion request. The
// Lua script's done() prints the figures as one JSON line (exact counts and µs percentiles from
// wrk's own histogram), so nothing is scraped from wrk's human-readable table.
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BENCH_ROUTE } from './gateway-route';

export interface WrkResult {
  requests: number;
  rps: number;
  /** Non-2xx/3xx answers plus socket errors (connect, read, write, timeout). */
  errors: number;
  p50Us: number;
  p99Us: number;
}

/** The request every setup gets; `model` names the gateway's route (nginx and HAProxy ignore it). */
export const REQUEST_BODY = JSON.stringify({
  model: BENCH_ROUTE,
  messages: [
    { role: 'system', content: 'You are a helpful assistant.' },
    { role: 'user', content: 'Say hello.' },
  ],
  temperature: 0,
});

const MARK = 'WRK_RESULT ';

export function writeWrkScript(dir: string): string {
  const path = join(dir, 'post.lua');
  const luaBody = REQUEST_BODY.replace(/[\\"]/g, (c) => `\\${c}`);
  writeFileSync(
    path,
    [
      'wrk.method = "POST"',
      `wrk.body = "${luaBody}"`,
      'wrk.headers["Content-Type"] = "application/json"',
      'function done(summary, latency, requests)',
      '  local e = summary.errors',
      `  io.write(string.format('${MARK}{"requests":%d,"duration_us":%d,"errors":%d,"p50_us":%d,"p99_us":%d}\\n',`,
      '    summary.requests, summary.duration, e.connect + e.read + e.write + e.timeout + e.status,',
      '    latency:percentile(50), latency:percentile(99)))',
      'end',
      '',
    ].join('\n'),
  );
  return path;
}

export function runWrk(options: {
  url: string;
  script: string;
  connections: number;
  seconds: number;
  threads?: number;
}): Promise<WrkResult> {
  const threads = options.threads ?? Math.min(2, options.connections);
  const args = [
    '-t',
    String(threads),
    '-c',
    String(options.connections),
    '-d',
    `${options.seconds}s`,
    '--timeout',
    '5s',
    '-s',
    options.script,
    options.url,
  ];
  return new Promise((resolve, reject) => {
    execFile('wrk', args, { timeout: (options.seconds + 15) * 1000 }, (error, stdout, stderr) => {
      if (error) {
        reject(new Error(`wrk ${args.join(' ')} failed: ${error.message}\n${stderr}`));
        return;
      }
      const line = stdout.split('\n').find((l) => l.startsWith(MARK));
      if (!line) {
        reject(new Error(`wrk printed no result line:\n${stdout}\n${stderr}`));
        return;
      }
      const raw = JSON.parse(line.slice(MARK.length)) as {
        requests: number;
        duration_us: number;
        errors: number;
        p50_us: number;
        p99_us: number;
      };
      resolve({
        requests: raw.requests,
        rps: raw.requests / (raw.duration_us / 1e6),
        errors: raw.errors,
        p50Us: raw.p50_us,
        p99Us: raw.p99_us,
      });
    });
  });
}

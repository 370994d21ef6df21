// The bench's static upstream: Debian's nginx on loopback answering POST /v1/chat/completions
// with one canned OpenAI chat completion (`return 200`, no file I/O), so what the bench measures
// is the proxy in front of it, not a model server. Foreground (`daemon off`) under our control,
// one worker, no access log; config and logs in a temp dir.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, startManagedProcess, tcpProbe } from '../stack/managed-process';

const HOST = '127.0.0.1';

/** A complete non-streamed answer with usage, as the gateway's inspection expects one. */
export const CANNED_ANSWER = JSON.stringify({
  id: 'chatcmpl-bench',
  object: 'chat.completion',
  created: 1700000000,
  model: 'static',
  choices: [
    { index: 0, message: { role: 'assistant', content: 'Hello! How can I help you today?' }, finish_reason: 'stop' },
  ],
  usage: { prompt_tokens: 9, completion_tokens: 9, total_tokens: 18 },
});

export interface RunningNginx {
  url: string;
  port: number;
  stop(): Promise<void>;
}

export function buildNginxConfig(input: { port: number; dir: string; answer: string }): string {
  // nginx single-quoted strings: only ' and \ need escaping.
  const quoted = input.answer.replace(/[\\']/g, (c) => `\\${c}`);
  return [
    'worker_processes 1;',
    'daemon off;',
    `pid ${join(input.dir, 'nginx.pid')};`,
    `error_log ${join(input.dir, 'error.log')} warn;`,
    'events { worker_connections 4096; }',
    'http {',
    '  access_log off;',
    // Temp paths inside our dir: the Debian defaults under /var/lib/nginx may not exist.
    ...['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map(
      (kind) => `  ${kind}_temp_path ${join(input.dir, `${kind}-temp`)};`,
    ),
    '  keepalive_requests 10000000;',
    '  keepalive_timeout 75s;',
    '  server {',
    `    listen ${HOST}:${input.port};`,
    '    location = /v1/chat/completions {',
    '      default_type application/json;',
    `      return 200 '${quoted}';`,
    '    }',
    '    location / { return 404; }',
    '  }',
    '}',
    '',
  ].join('\n');
}

export async function startNginx(options: { dir: string; binary?: string }): Promise<RunningNginx> {
  const port = await freePort();
  const configFile = join(options.dir, 'nginx.conf');
  writeFileSync(configFile, buildNginxConfig({ port, dir: options.dir, answer: CANNED_ANSWER }));
  const child = await startManagedProcess({
    name: 'nginx',
    command: options.binary ?? '/usr/sbin/nginx',
    // -e: the startup error log too, before the config's error_log is read (Debian's default is /var/log).
    args: ['-c', configFile, '-p', options.dir, '-e', join(options.dir, 'error.log')],
    logFile: join(options.dir, 'nginx.out.log'),
    readyTimeoutMs: 10_000,
    stopGraceMs: 3_000,
    ready: [tcpProbe(HOST, port)],
  });
  return { url: `http://${HOST}:${port}`, port, stop: () => child.stop() };
}

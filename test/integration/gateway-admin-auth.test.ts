// Every refusal of the admin plane, over real HTTP on a real gateway: no credential, another
// scheme, a wrong token, the admin API looked for on the data plane, and the CLI refusing to start
// without a usable token. The token itself never appears in any answer or in the gateway's log.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type GatewayHandle } from '../../gateway/server';
import { startSimulatedBackend, type SimulatedBackend } from '../../simulator/sim-backend';

const TOKEN = 'admin-token-for-auth-tests-0123456789';
const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

let sim: SimulatedBackend;
let gateway: GatewayHandle;
const logLines: string[] = [];
/** Everything the gateway sent back in this file, headers included: the token must be in none of it. */
const seen: string[] = [];

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- assertions inspect arbitrary JSON
async function request(url: string, init: RequestInit = {}): Promise<{ status: number; headers: Headers; body: any }> {
  const res = await fetch(url, init);
  const text = await res.text();
  seen.push(text, JSON.stringify([...res.headers.entries()]));
  return { status: res.status, headers: res.headers, body: text.startsWith('{') ? JSON.parse(text) : text };
}

beforeAll(async () => {
  sim = await startSimulatedBackend({ model: 'sim-auth', behaviour: { latencyMedianMs: 0, latencySigma: 0 } });
  gateway = await startGateway({
    defaultMetrics: false,
    adminToken: TOKEN,
    routes: { chat: { backends: [{ name: 'baseline', baseUrl: sim.url, model: 'sim-auth' }] } },
    log: (line) => logLines.push(line),
  });
  const chat = await request(`${gateway.baseUrl}/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'chat', messages: [{ role: 'user', content: 'hi' }] }),
  });
  expect(chat.status).toBe(200);
});

afterAll(async () => {
  await gateway?.close();
  await sim?.close();
  // Checked last, over every answer and log line of this file.
  const everything = [...seen, ...logLines].join('\n');
  expect(everything).not.toContain(TOKEN);
});

const ADMIN_PATHS = [
  '/admin/info',
  '/admin/routes',
  '/admin/routes/chat',
  '/admin/routes/chat/records?since=0',
  '/admin/routes/chat/shadow-pairs?since=0',
  '/admin/routes/nope',
];

describe('admin plane refusals', () => {
  it('refuses a request without credentials on every admin path, saying the credential is missing', async () => {
    for (const path of ADMIN_PATHS) {
      const reply = await request(`${gateway.adminUrl}${path}`);
      expect(reply.status, path).toBe(401);
      expect(reply.body).toEqual({
        error: { type: 'unauthorized', message: expect.stringContaining('missing credential') },
      });
      expect(reply.headers.get('www-authenticate')).toBe('Bearer realm="llm-rollout-gateway"');
    }
    expect(
      (await request(`${gateway.adminUrl}/admin/routes/chat`, { headers: { authorization: '' } })).body.error.message,
    ).toContain('missing credential');
  });

  it('refuses another scheme and a malformed header as an invalid credential, echoing neither', async () => {
    const basic = Buffer.from(`admin:${TOKEN}`).toString('base64');
    // [header sent, the secret part that must not come back]
    const cases: Array<[string, string]> = [
      [`Basic ${basic}`, basic],
      [`Token ${TOKEN}`, TOKEN],
      ['Bearer', ''],
      ['Bearer ', ''],
      [TOKEN, TOKEN],
      [`Bearer ${TOKEN} extra`, TOKEN],
    ];
    for (const [authorization, secret] of cases) {
      const reply = await request(`${gateway.adminUrl}/admin/routes`, { headers: { authorization } });
      expect(reply.status, authorization).toBe(401);
      expect(reply.body.error.message).toContain('invalid credential');
      if (secret) expect(JSON.stringify(reply.body)).not.toContain(secret);
    }
  });

  it('refuses a wrong token, also one differing only at the end or in length, and does not echo it', async () => {
    for (const wrong of ['wrong-token-0123456789abcdef', `${TOKEN.slice(0, -1)}X`, `${TOKEN}0`, TOKEN.slice(0, 16)]) {
      const reply = await request(`${gateway.adminUrl}/admin/routes`, {
        headers: { authorization: `Bearer ${wrong}` },
      });
      expect(reply.status).toBe(401);
      expect(reply.body.error.message).toContain('invalid credential');
      expect(JSON.stringify(reply.body)).not.toContain(wrong);
    }
  });

  it('refuses mutations without the token and leaves the route as it was', async () => {
    const weights = await request(`${gateway.adminUrl}/admin/routes/chat/weights`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ weights: { baseline: 100 } }),
    });
    expect(weights.status).toBe(401);
    const redirect = await request(`${gateway.adminUrl}/admin/routes/chat`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json', authorization: 'Bearer not-the-token-at-all' },
      body: JSON.stringify({ backends: [{ name: 'baseline', baseUrl: 'http://attacker.invalid/v1', model: 'x' }] }),
    });
    expect(redirect.status).toBe(401);
    const deleted = await request(`${gateway.adminUrl}/admin/routes/chat`, { method: 'DELETE' });
    expect(deleted.status).toBe(401);
    expect(gateway.routes.get('chat')).toMatchObject({ version: 1, backends: [{ baseUrl: sim.url }] });
  });

  it('serves the admin API with the token', async () => {
    const auth = { authorization: `Bearer ${TOKEN}` };
    expect((await request(`${gateway.adminUrl}/admin/routes/chat`, { headers: auth })).body).toMatchObject({
      route: 'chat',
    });
    expect(
      (
        await request(`${gateway.adminUrl}/admin/routes/chat/records?since=0`, {
          headers: { authorization: `bearer ${TOKEN}` },
        })
      ).body.records,
    ).toHaveLength(1);
  });

  it('has no admin API, records, shadow pairs or /metrics on the data plane, even with the right token', async () => {
    const auth = { authorization: `Bearer ${TOKEN}` };
    for (const path of [...ADMIN_PATHS, '/metrics']) {
      for (const headers of [{}, auth]) {
        const reply = await request(`${gateway.url}${path}`, { headers });
        expect(reply.status, path).toBe(404);
        expect(reply.body.error.type).toBe('not_found');
      }
    }
    const put = await request(`${gateway.url}/admin/routes/chat/weights`, {
      method: 'PUT',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ weights: { baseline: 100 } }),
    });
    expect(put.status).toBe(404);
  });

  it('serves /metrics and /healthz on the admin plane without credentials, and no /v1 there', async () => {
    expect((await request(`${gateway.adminUrl}/metrics`)).body).toContain('llm_gateway_requests_total{route="chat"');
    expect((await request(`${gateway.adminUrl}/healthz`)).body).toEqual({ ok: true });
    const chat = await request(`${gateway.adminUrl}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'chat', messages: [] }),
    });
    expect(chat.status).toBe(404);
    expect((await request(`${gateway.adminUrl}/v1/models`)).status).toBe(404);
  });

  it('listens on loopback for both planes by default', () => {
    expect(new URL(gateway.url).hostname).toBe('127.0.0.1');
    expect(new URL(gateway.adminUrl).hostname).toBe('127.0.0.1');
    expect(gateway.adminUrl).not.toBe(gateway.url);
  });
});

function runGatewayCli(
  args: string[],
  env: Record<string, string | undefined>,
): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const childEnv: NodeJS.ProcessEnv = { ...process.env };
    delete childEnv.GATEWAY_ADMIN_TOKEN;
    delete childEnv.GATEWAY_ADMIN_TOKEN_FILE;
    const child = spawn('npx', ['tsx', 'gateway/main.ts', '--port', '0', '--admin-port', '0', ...args], {
      cwd: repoRoot,
      env: { ...childEnv, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

describe('gateway CLI start-up', () => {
  it('refuses to start without a token and says how to make one', async () => {
    const { code, output } = await runGatewayCli([], {});
    expect(code).toBe(1);
    expect(output).toContain('no admin token: set GATEWAY_ADMIN_TOKEN');
    expect(output).toContain('openssl rand -hex 24');
    expect(output).not.toContain('listening');
  }, 40_000);

  it('refuses a token shorter than 16 characters without printing it', async () => {
    const { code, output } = await runGatewayCli([], { GATEWAY_ADMIN_TOKEN: 'short-secret-15' });
    expect(code).toBe(1);
    expect(output).toContain('the admin token is too short (15 characters, at least 16 needed)');
    expect(output).not.toContain('short-secret-15');
  }, 40_000);

  it('refuses an unreadable token file, naming the file', async () => {
    const { code, output } = await runGatewayCli(['--admin-token-file', '/nonexistent/token'], {});
    expect(code).toBe(1);
    expect(output).toContain('cannot read the admin token file /nonexistent/token');
  }, 40_000);
});

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, it, expect } from 'vitest';
import { applyGatewayConfig, loadGatewayConfig } from '../../gateway/config-file';
import { RouteTable } from '../../gateway/route-table';

let dir: string;

async function write(name: string, text: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, text);
  return path;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'gateway-config-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('gateway config file', () => {
  it('loads YAML routes with weights and shadow through the route table rules', async () => {
    const path = await write(
      'routes.yaml',
      `routes:
  support-chat:
    backends:
      - { name: baseline, baseUrl: http://127.0.0.1:9001/v1, model: sim-a }
      - { name: candidate, baseUrl: http://127.0.0.1:9002/v1, model: sim-b }
    weights: { baseline: 95, candidate: 5 }
    shadow: { enabled: true, target: candidate, share: 0.2 }
`,
    );
    const table = new RouteTable();
    applyGatewayConfig(table, await loadGatewayConfig(path));
    expect(table.get('support-chat')).toMatchObject({
      weights: { baseline: 95, candidate: 5 },
      shadow: { enabled: true, target: 'candidate', share: 0.2 },
    });
  });

  it("loads a route's fallback, and reports a bad one with its path in the file", async () => {
    const route = (fallback: string) =>
      write(
        'fallback.yaml',
        `routes:
  support-chat:
    backends:
      - { name: baseline, baseUrl: http://127.0.0.1:9001/v1, model: sim-a }
    fallback: ${fallback}
`,
      );
    const table = new RouteTable();
    const good = await route(
      '{ backend: { name: spare, baseUrl: http://127.0.0.1:9003/v1, model: sim-s }, maxAttempts: 2 }',
    );
    applyGatewayConfig(table, await loadGatewayConfig(good));
    expect(table.get('support-chat').fallback).toEqual({
      backend: { name: 'spare', baseUrl: 'http://127.0.0.1:9003/v1', model: 'sim-s' },
      maxAttempts: 2,
    });
    const bad = await route(
      '{ backend: { name: spare, baseUrl: http://127.0.0.1:9003/v1, model: sim-s }, maxAttempts: 9 }',
    );
    const badConfig = await loadGatewayConfig(bad);
    expect(() => applyGatewayConfig(new RouteTable(), badConfig)).toThrow(
      'routes.support-chat.fallback.maxAttempts: must be <= 3',
    );
  });

  it('loads a pooled backend, and reports a bad member with its path in the file', async () => {
    const route = (members: string) =>
      write(
        'pool.yaml',
        `routes:
  support-chat:
    backends:
      - { name: baseline, baseUrl: http://127.0.0.1:9001/v1, model: sim-a }
      - name: candidate
        baseUrl: http://127.0.0.1:9002/v1
        model: sim-b
        members: ${members}
`,
      );
    const table = new RouteTable();
    const good = await route(
      '[{ name: eu, baseUrl: http://127.0.0.1:9101/v1, weight: 1, apiKey: sk-eu }, { name: us, baseUrl: http://127.0.0.1:9102/v1, weight: 3 }]',
    );
    applyGatewayConfig(table, await loadGatewayConfig(good));
    expect(table.get('support-chat').backends[1]!.members).toEqual([
      { name: 'eu', baseUrl: 'http://127.0.0.1:9101/v1', weight: 1 },
      { name: 'us', baseUrl: 'http://127.0.0.1:9102/v1', weight: 3 },
    ]);
    expect(table.resolve('support-chat')!.pools!.get('candidate')!.targets[0]!.target.apiKey).toBe('sk-eu');
    const bad = await route('[{ name: eu, baseUrl: http://127.0.0.1:9101/v1, weight: 0 }]');
    const badConfig = await loadGatewayConfig(bad);
    expect(() => applyGatewayConfig(new RouteTable(), badConfig)).toThrow(
      'routes.support-chat.backends[1].members: at least one member must have a weight > 0',
    );
  });

  it("loads a route's cohort and capture setting, and reports bad ones with their path in the file", async () => {
    const route = (extra: string) =>
      write(
        'cohort.yaml',
        `routes:
  support-chat:
    backends:
      - { name: baseline, baseUrl: http://127.0.0.1:9001/v1, model: sim-a }
      - { name: candidate, baseUrl: http://127.0.0.1:9002/v1, model: sim-b }
${extra}`,
      );
    const table = new RouteTable();
    const good = await route(`    cohort:
      match: { header: x-tenant, values: [acme] }
      weights: { baseline: 50, candidate: 50 }
    capture: { enabled: true, share: 0.25 }
`);
    applyGatewayConfig(table, await loadGatewayConfig(good));
    const state = table.get('support-chat');
    // No weights of its own: the cohort comes with the route's current ones (all on the first backend).
    expect(state.weights).toEqual({ baseline: 100, candidate: 0 });
    expect(state.cohort).toEqual({
      match: { header: 'x-tenant', values: ['acme'] },
      weights: { baseline: 50, candidate: 50 },
    });
    expect(state.capture).toMatchObject({ share: 0.25 });
    const badCohort = await loadGatewayConfig(
      await route(`    cohort: { match: { header: x-tenant, values: [acme] }, weights: { baseline: 40 } }
`),
    );
    expect(() => applyGatewayConfig(new RouteTable(), badCohort)).toThrow(
      /^gateway config: routes\.support-chat\.cohort/,
    );
    const badCapture = await loadGatewayConfig(await route('    capture: { enabled: true, share: 2 }\n'));
    expect(() => applyGatewayConfig(new RouteTable(), badCapture)).toThrow(
      'routes.support-chat.capture.share: must be <= 1',
    );
  });

  it('loads JSON and reports errors with their path in the file', async () => {
    const path = await write(
      'routes.json',
      JSON.stringify({
        routes: {
          chat: {
            backends: [{ name: 'baseline', baseUrl: 'http://127.0.0.1:1/v1', model: 'm' }],
            weights: { baseline: 90 },
          },
        },
      }),
    );
    const config = await loadGatewayConfig(path);
    expect(() => applyGatewayConfig(new RouteTable(), config)).toThrow('routes.chat.weights: must sum to 100, got 90');

    const badBackend = await write(
      'bad.yaml',
      'routes:\n  chat:\n    backends:\n      - { name: baseline, baseUrl: nope, model: m }\n',
    );
    expect(() => applyGatewayConfig(new RouteTable(), { routes: { chat: { backends: [] } } })).toThrow(
      'routes.chat.backends',
    );
    await expect(loadGatewayConfig(badBackend).then((c) => applyGatewayConfig(new RouteTable(), c))).rejects.toThrow(
      'routes.chat.backends[0].baseUrl',
    );
    await expect(loadGatewayConfig(await write('typo.yaml', 'rootes: {}\n'))).rejects.toThrow(
      'routes: must be a map of route name',
    );
    await expect(loadGatewayConfig(await write('broken.json', '{'))).rejects.toThrow(/cannot parse/);
  });
});

// Real Prometheus with a generated config: rule files are evaluated at the scrape interval and
// alerts reach a real Alertmanager and from there our webhook; a broken rule file fails the start
// with Prometheus's own complaint.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { RunningAlertmanager } from '../../stack/alertmanager';
import { startAlertmanager } from '../../stack/alertmanager';
import { freePort } from '../../stack/managed-process';
import type { RunningPrometheus } from '../../stack/prometheus';
import { startPrometheus } from '../../stack/prometheus';
import { buildPrometheusConfig } from '../../stack/prometheus-config';

const dir = mkdtempSync(join(tmpdir(), 'llm-rollout-prom-stack-'));
const cleanups: Array<() => Promise<unknown>> = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
  rmSync(dir, { recursive: true, force: true });
});

describe('buildPrometheusConfig', () => {
  it('refuses targets that are not host:port and jobs with two metrics paths', () => {
    expect(() =>
      buildPrometheusConfig({ scrapeIntervalSeconds: 1, targets: [{ job: 'a', target: 'http://x:1' }] }),
    ).toThrow(/must be host:port/);
    expect(() =>
      buildPrometheusConfig({
        scrapeIntervalSeconds: 1,
        targets: [
          { job: 'a', target: 'h:1' },
          { job: 'a', target: 'h:2', metricsPath: '/other' },
        ],
      }),
    ).toThrow(/job a has targets with different metrics paths/);
  });
});

describe('startPrometheus', () => {
  it('evaluates rule files and sends firing alerts to Alertmanager, which notifies the webhook', async () => {
    const received: Array<{ alerts: Array<{ labels: Record<string, string> }> }> = [];
    const webhook: Server = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        received.push(JSON.parse(body) as (typeof received)[number]);
        res.end();
      });
    });
    const webhookPort = await freePort();
    await new Promise<void>((resolve) => webhook.listen(webhookPort, '127.0.0.1', resolve));
    cleanups.push(() => new Promise((resolve) => webhook.close(resolve)));

    const alertmanager: RunningAlertmanager = await startAlertmanager({
      dataDir: join(dir, 'am'),
      logDir: join(dir, 'logs'),
      webhookUrl: `http://127.0.0.1:${webhookPort}/`,
    });
    cleanups.push(() => alertmanager.stop());

    const rules = join(dir, 'rules.yml');
    writeFileSync(
      rules,
      'groups:\n  - name: test\n    rules:\n      - alert: AlwaysFiring\n        expr: vector(1) > 0\n        labels: { route: chat }\n',
    );
    const prometheus: RunningPrometheus = await startPrometheus({
      dataDir: join(dir, 'prom'),
      logDir: join(dir, 'logs'),
      targets: [],
      ruleFiles: [rules],
      alertmanagerUrl: alertmanager.url,
    });
    cleanups.push(() => prometheus.stop());

    const rulesRes = await fetch(`${prometheus.url}/api/v1/rules`);
    const rulesBody = (await rulesRes.json()) as {
      data: { groups: Array<{ name: string; interval: number; rules: Array<{ name: string }> }> };
    };
    expect(rulesBody.data.groups).toMatchObject([{ name: 'test', interval: 1, rules: [{ name: 'AlwaysFiring' }] }]);

    // Prometheus applies the Alertmanager address on its ~5 s discovery tick, then sends.
    const deadline = Date.now() + 25_000;
    while (received.length === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 200));
    expect(
      received.length,
      `no alert reached the webhook; see ${prometheus.logFile} and ${alertmanager.logFile}`,
    ).toBeGreaterThan(0);
    expect(received[0]!.alerts[0]!.labels).toMatchObject({ alertname: 'AlwaysFiring', route: 'chat' });
  });

  it('fails with the tail of the log when Prometheus rejects its config', async () => {
    const broken = join(dir, 'broken-rules.yml');
    writeFileSync(broken, 'groups:\n  - name: broken\n    rules:\n      - alert: Broken\n        expr: sum(\n');
    const error = await startPrometheus({
      dataDir: join(dir, 'prom-broken'),
      logDir: join(dir, 'logs-broken'),
      targets: [],
      ruleFiles: [broken],
    }).catch((err: unknown) => err);
    expect((error as Error).message).toMatch(
      /^prometheus: did not become ready: exited before becoming ready \(exit code 1\)/,
    );
    expect((error as Error).message).toContain('broken-rules.yml');
  });
});

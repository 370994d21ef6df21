// Real Alertmanager: an alert posted to its API reaches our webhook with the bearer token.
import { mkdtempSync, rmSync } from 'node:fs';
import type { IncomingHttpHeaders, Server } from 'node:http';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningAlertmanager } from '../../stack/alertmanager';
import { startAlertmanager } from '../../stack/alertmanager';
import { freePort } from '../../stack/managed-process';

interface Delivery {
  url: string;
  headers: IncomingHttpHeaders;
  body: {
    version: string;
    status: string;
    receiver: string;
    alerts: Array<{ labels: Record<string, string>; annotations: Record<string, string> }>;
  };
}

describe('startAlertmanager', () => {
  const dir = mkdtempSync(join(tmpdir(), 'llm-rollout-am-'));
  const deliveries: Delivery[] = [];
  let webhook: Server;
  let alertmanager: RunningAlertmanager;

  beforeAll(async () => {
    webhook = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        deliveries.push({
          url: req.url ?? '',
          headers: req.headers,
          body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as Delivery['body'],
        });
        res.writeHead(200).end();
      });
    });
    const port = await freePort();
    await new Promise<void>((resolve) => webhook.listen(port, '127.0.0.1', resolve));
    alertmanager = await startAlertmanager({
      dataDir: join(dir, 'data'),
      logDir: join(dir, 'logs'),
      webhookUrl: `http://127.0.0.1:${port}/hooks/alertmanager`,
      webhookBearerToken: 'test-token-123',
    });
  });

  afterAll(async () => {
    await alertmanager?.stop();
    await new Promise((resolve) => webhook?.close(resolve));
    rmSync(dir, { recursive: true, force: true });
  });

  it('delivers a posted alert to the webhook as a version 4 payload with the bearer token', async () => {
    const res = await fetch(`${alertmanager.url}/api/v2/alerts`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify([
        {
          labels: { alertname: 'CandidateErrorRateHigh', route: 'chat', severity: 'critical' },
          annotations: { summary: 'candidate error rate above baseline' },
          startsAt: new Date().toISOString(),
        },
      ]),
    });
    expect(res.status).toBe(200);

    // group_wait is 1 s; allow generous slack on a loaded two-core machine.
    const deadline = Date.now() + 15_000;
    while (deliveries.length === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
    expect(
      deliveries.length,
      `no webhook delivery within 15 s; alertmanager log at ${alertmanager.logFile}`,
    ).toBeGreaterThan(0);

    const [delivery] = deliveries;
    expect(delivery!.url).toBe('/hooks/alertmanager');
    expect(delivery!.headers.authorization).toBe('Bearer test-token-123');
    expect(delivery!.body.version).toBe('4');
    expect(delivery!.body.status).toBe('firing');
    expect(delivery!.body.receiver).toBe('webhook');
    expect(delivery!.body.alerts).toHaveLength(1);
    expect(delivery!.body.alerts[0]!.labels).toMatchObject({
      alertname: 'CandidateErrorRateHigh',
      route: 'chat',
      severity: 'critical',
    });
    expect(delivery!.body.alerts[0]!.annotations.summary).toBe('candidate error rate above baseline');
  });
});

// The notify activity posts every rollout event to the plan's webhook, and a webhook that refuses
// the event (4xx) fails the activity non-retryably instead of retrying forever.
import { MockActivityEnvironment } from '@temporalio/testing';
import { ApplicationFailure } from '@temporalio/common';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNotifyActivities } from '../../activities/notify';
import type { NotifyInput } from '../../activities/contract';
import { FailureType } from '../../workflows/failure-types';

let server: Server;
let url: string;
let status = 200;
const received: Array<{ headers: IncomingMessage['headers']; body: unknown }> = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    let text = '';
    req.on('data', (chunk) => (text += chunk));
    req.on('end', () => {
      received.push({ headers: req.headers, body: JSON.parse(text) });
      res.writeHead(status).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const input = (): NotifyInput => ({
  notifications: { webhookUrl: url },
  event: {
    rolloutId: 'r1',
    type: 'rolled_back',
    message: 'canary-2: errorRate up 8.00 pts',
    stage: 'canary-2',
    at: '2026-11-22T10:00:00.000Z',
  },
});

describe('notify activity', () => {
  it('POSTs the event as JSON with an idempotency key', async () => {
    status = 200;
    await new MockActivityEnvironment().run(createNotifyActivities().notify, input());
    expect(received.at(-1)?.body).toEqual(input().event);
    expect(received.at(-1)?.headers['idempotency-key']).toBe('r1:rolled_back:2026-11-22T10:00:00.000Z');
  });

  it('fails non-retryably when the webhook refuses the event, and retryably on a 5xx', async () => {
    status = 410;
    const refused = await new MockActivityEnvironment()
      .run(createNotifyActivities().notify, input())
      .catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(ApplicationFailure);
    expect((refused as ApplicationFailure).nonRetryable).toBe(true);
    expect((refused as ApplicationFailure).type).toBe(FailureType.WebhookRefused);
    status = 503;
    const unavailable = await new MockActivityEnvironment()
      .run(createNotifyActivities().notify, input())
      .catch((error: unknown) => error);
    expect(unavailable).not.toBeInstanceOf(ApplicationFailure);
    expect(String(unavailable)).toContain('answered 503');
  });

  it('sends nothing without a webhook, and hands the event to extra sinks', async () => {
    const before = received.length;
    const seen: string[] = [];
    await new MockActivityEnvironment().run(
      createNotifyActivities([async (event) => void seen.push(event.type)]).notify,
      { ...input(), notifications: {} },
    );
    expect(received.length).toBe(before);
    expect(seen).toEqual(['rolled_back']);
  });
});

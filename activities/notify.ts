// Telling release owners what happened: every event goes to the worker's structured log, and to
// the plan's webhook when it names one. (The Slack bot subscribes to the same events.)
import { ApplicationFailure, Context } from '@temporalio/activity';
import type { NotifyInput, RolloutEvent } from './contract';

export type EventSink = (event: RolloutEvent, input: NotifyInput) => Promise<void>;

async function postWebhook(event: RolloutEvent, input: NotifyInput): Promise<void> {
  const url = input.notifications.webhookUrl;
  if (!url) return;
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'idempotency-key': `${event.rolloutId}:${event.type}:${event.at}` },
    body: JSON.stringify(event),
    signal: AbortSignal.timeout(5_000),
  });
  if (response.status >= 400 && response.status < 500) {
    throw ApplicationFailure.nonRetryable(`webhook ${url} refused the event: ${response.status}`, 'WebhookRefused');
  }
  if (!response.ok) throw new Error(`webhook ${url} answered ${response.status}`);
}

export function createNotifyActivities(extraSinks: EventSink[] = []) {
  return {
    async notify(input: NotifyInput): Promise<void> {
      const { event } = input;
      Context.current().log.info(`[${event.rolloutId}] ${event.type}: ${event.message}`, { rolloutId: event.rolloutId, type: event.type, stage: event.stage });
      await postWebhook(event, input);
      for (const sink of extraSinks) await sink(event, input);
    },
  };
}

// Telling release owners what happened: every event goes to the worker's structured log, to the
// plan's webhook when it names one, and to the extra sinks (Slack: activities/slack-notify.ts).
// Every destination is tried even when one fails; the activity then fails with what went wrong,
// retryably unless every failure was permanent (sinks skip what they already delivered).
import { ApplicationFailure, Context } from '@temporalio/activity';
import type { NotifyInput, RolloutEvent } from './contract';
import { FailureType } from '../workflows/failure-types';

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
    throw ApplicationFailure.nonRetryable(
      `webhook ${url} refused the event: ${response.status}`,
      FailureType.WebhookRefused,
    );
  }
  if (!response.ok) throw new Error(`webhook ${url} answered ${response.status}`);
}

export function createNotifyActivities(extraSinks: EventSink[] = []) {
  return {
    async notify(input: NotifyInput): Promise<void> {
      const { event } = input;
      Context.current().log.info(`[${event.rolloutId}] ${event.type}: ${event.message}`, {
        rolloutId: event.rolloutId,
        type: event.type,
        stage: event.stage,
      });
      const failures: unknown[] = [];
      for (const deliver of [() => postWebhook(event, input), ...extraSinks.map((sink) => () => sink(event, input))]) {
        try {
          await deliver();
        } catch (error) {
          failures.push(error);
        }
      }
      if (failures.length === 1) throw failures[0];
      if (failures.length > 1) {
        const permanent = failures.every((failure) => failure instanceof ApplicationFailure && failure.nonRetryable);
        const message = failures
          .map((failure) => (failure instanceof Error ? failure.message : String(failure)))
          .join('; ');
        throw ApplicationFailure.create({
          type: FailureType.NotifyFailed,
          message: `${failures.length} destinations failed: ${message}`,
          nonRetryable: permanent,
        });
      }
    },
  };
}

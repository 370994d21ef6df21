// alertmanager.yml routing every alert to a single webhook receiver. The rollout's worker is that
// receiver, so there is no need for Alertmanager's own routing tree.
import { stringify } from 'yaml';

export interface AlertmanagerConfigInput {
  webhookUrl: string;
  /** Sent as `Authorization: Bearer <token>` with every notification. */
  webhookBearerToken?: string;
  /** Or a file holding that token, read by Alertmanager (a container secret, say); not both. */
  webhookBearerTokenFile?: string;
  groupBy?: string[];
  groupWait: string;
  groupInterval: string;
  repeatInterval: string;
}

export function buildAlertmanagerConfig(input: AlertmanagerConfigInput): string {
  const webhook: Record<string, unknown> = {
    url: new URL(input.webhookUrl).toString(),
    // Resolutions matter too: a rollout waiting on an alert must learn that it cleared.
    send_resolved: true,
  };
  if (input.webhookBearerToken && input.webhookBearerTokenFile) {
    throw new Error('give the webhook bearer token or a file holding it, not both');
  }
  if (input.webhookBearerToken) {
    webhook.http_config = { authorization: { type: 'Bearer', credentials: input.webhookBearerToken } };
  } else if (input.webhookBearerTokenFile) {
    webhook.http_config = { authorization: { type: 'Bearer', credentials_file: input.webhookBearerTokenFile } };
  }
  return stringify({
    route: {
      receiver: 'webhook',
      group_by: input.groupBy ?? ['alertname'],
      group_wait: input.groupWait,
      group_interval: input.groupInterval,
      repeat_interval: input.repeatInterval,
    },
    receivers: [{ name: 'webhook', webhook_configs: [webhook] }],
  });
}

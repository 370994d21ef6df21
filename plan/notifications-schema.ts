// notifications: where rollout events go.
import { z } from 'zod';
import { httpUrl } from './common-schema';

/** A Slack user group id (the `S…` in a group's profile URL). */
const slackUserGroupId = z.string().regex(/^S[A-Z0-9]{2,}$/, 'expected a Slack user group id like "S0123ABCD"');

export const slackNotificationsSchema = z.strictObject({
  /**
   * Where the rollout's thread lives, and the only channel its decisions are taken in. A channel
   * id (`C…`) is best; a name (`#releases`) also matches, by the channel name Slack sends.
   */
  channel: z
    .string()
    .min(1)
    .refine((value) => !/\s/.test(value), 'a Slack channel id like "C0123ABCD" or a name like "#releases"'),
  /** Slack user groups (on call) whose members may roll back or pause the rollout from Slack, besides its approvers. */
  onCallGroups: z.array(slackUserGroupId).optional(),
});

export const notificationsSchema = z
  .strictObject({
    /** POSTs each rollout event as JSON. */
    webhookUrl: httpUrl.optional(),
    slack: slackNotificationsSchema.optional(),
    /** Link target for the rollout in the Temporal UI, e.g. http://127.0.0.1:8233 */
    temporalUiUrl: httpUrl.optional(),
  })
  .prefault({});

export type SlackNotifications = z.output<typeof slackNotificationsSchema>;

// What every listener works with: the rollouts (on Temporal), who may do what, gate decisions, and
// Slack's Web API. Built once per bot by startRolloutBot.
import type { webApi } from '@slack/bolt';
import type { RolloutService } from '../client/rollout-service';
import type { SlackAccess } from './access';
import type { GateDecisions } from './gate-decisions';

export interface BotContext {
  service: RolloutService;
  access: SlackAccess;
  decisions: GateDecisions;
  slack: InstanceType<typeof webApi.WebClient>;
  /** The rollout in the Temporal UI, when its URL is known. */
  uiLink(rolloutId: string): string | undefined;
  /** The slash command's name (/rollout unless configured). */
  command: string;
  /** How long a modal submission may wait for the workflow before the answer goes to the response URL instead (Slack allows 3 s). */
  modalDecisionTimeoutMs: number;
}

// Who may do what to a rollout from Slack, from its plan:
//
//   approve, reject, resume   the plan's approvers (user ids, or members of `group:S…` entries),
//                             in the plan's channel only
//   pause, rollback           the approvers and members of the plan's on-call groups
//                             (notifications.slack.onCallGroups), from any channel: they are the
//                             safe direction, and incidents are handled where they happen
//   status, list              anyone
//
// The workflow's own validator still has the final word on decisions (self-approval, stale
// gates, …); these checks only keep strangers from reaching it.
import type { webApi } from '@slack/bolt';
import type { RolloutPlan } from '../plan/schema';
import { mention } from '../block-kit/rollout-blocks';

type WebClient = InstanceType<typeof webApi.WebClient>;

export type AccessResult = { ok: true; viaGroup?: string } | { ok: false; message: string };

export interface Requester {
  userId: string;
  channelId: string;
  channelName?: string;
}

const GROUP_CACHE_MS = 60_000;

export class SlackAccess {
  private readonly groups = new Map<string, { members: Set<string>; at: number }>();

  constructor(
    private readonly client: WebClient,
    private readonly now: () => number = Date.now,
  ) {}

  /** The plan's Slack channel, or null when the plan has none. */
  static channelOf(plan: RolloutPlan): string | null {
    return plan.notifications.slack?.channel ?? null;
  }

  static inChannel(plan: RolloutPlan, who: Requester): boolean {
    const channel = SlackAccess.channelOf(plan);
    if (!channel) return false;
    if (channel === who.channelId) return true;
    const name = channel.replace(/^#/, '');
    return who.channelName !== undefined && who.channelName === name && !/^[CG][A-Z0-9]+$/.test(channel);
  }

  /** Decisions (approve, reject) and resume: approvers, in the plan's channel. */
  async mayDecide(plan: RolloutPlan, who: Requester, what: string): Promise<AccessResult> {
    const channel = SlackAccess.channelOf(plan);
    if (!channel)
      return {
        ok: false,
        message: `rollout \`${plan.rollout.id}\` names no Slack channel (notifications.slack.channel), so it cannot be ${what} from Slack; use the \`rollout\` CLI`,
      };
    if (!SlackAccess.inChannel(plan, who))
      return { ok: false, message: `rollout \`${plan.rollout.id}\` can only be ${what} in ${channelMention(channel)}` };
    const approver = await this.memberOf(who.userId, plan.approvals.approvers);
    if (approver.ok) return approver;
    return {
      ok: false,
      message: `you are not an approver of rollout \`${plan.rollout.id}\` (approvers: ${plan.approvals.approvers.map(mention).join(', ') || 'none'})${approver.message ? `; ${approver.message}` : ''}`,
    };
  }

  /** Rollback and pause: approvers and the on-call groups, anywhere. */
  async mayStop(plan: RolloutPlan, who: Requester, what: string): Promise<AccessResult> {
    const onCall = (plan.notifications.slack?.onCallGroups ?? []).map((group) => `group:${group}`);
    const entitled = [...plan.approvals.approvers, ...onCall];
    const result = await this.memberOf(who.userId, entitled);
    if (result.ok) return result;
    return {
      ok: false,
      message: `only the approvers and the on-call group of rollout \`${plan.rollout.id}\` may ${what} it (${entitled.map(mention).join(', ') || 'nobody'})${result.message ? `; ${result.message}` : ''}`,
    };
  }

  /** Whether the user is named in `entries` directly or through a `group:S…` entry. */
  private async memberOf(
    userId: string,
    entries: string[],
  ): Promise<{ ok: true; viaGroup?: string } | { ok: false; message?: string }> {
    if (entries.includes(userId)) return { ok: true };
    const problems: string[] = [];
    for (const entry of entries) {
      const group = /^group:(.+)$/.exec(entry)?.[1];
      if (!group) continue;
      try {
        if ((await this.members(group)).has(userId)) return { ok: true, viaGroup: group };
      } catch (error) {
        problems.push(
          `could not read the members of group ${group}: ${(error as { data?: { error?: string } }).data?.error ?? (error as Error).message}`,
        );
      }
    }
    return { ok: false, message: problems.join('; ') || undefined };
  }

  private async members(group: string): Promise<Set<string>> {
    const cached = this.groups.get(group);
    if (cached && this.now() - cached.at < GROUP_CACHE_MS) return cached.members;
    const result = await this.client.usergroups.users.list({ usergroup: group });
    const members = new Set(result.users ?? []);
    this.groups.set(group, { members, at: this.now() });
    return members;
  }
}

export function channelMention(channel: string): string {
  return /^[CG][A-Z0-9]+$/.test(channel) ? `<#${channel}>` : `#${channel.replace(/^#/, '')}`;
}

// Deciding a gate from Slack, whichever way it is asked (a button, the reject form, `/rollout
// approve|reject`): the access check, the Update (its id is the gate's, so a second click gets the
// first decision back), and the gate message updated in place.
import type { types, webApi } from '@slack/bolt';
import type { DecisionResult, RolloutService } from '../client/rollout-service';
import { decidedGateBlocks, escapeText, mention, type GateButtonValue } from '../block-kit/rollout-blocks';
import type { Requester, SlackAccess } from './access';
import { notAnswering, refusalText } from './replies';

type WebClient = InstanceType<typeof webApi.WebClient>;
type Block = types.KnownBlock;

export interface DecisionCheck {
  openGateId: string | null;
  openBefore: string | null;
  openGateDecided: boolean;
  /** The approver group through which the user may decide, if not named directly. */
  viaGroup?: string;
}

export type DecisionOutcome = { refusal: string } | (Extract<DecisionResult, { ok: true }> & { text: string });

export class GateDecisions {
  constructor(
    private readonly service: RolloutService,
    private readonly access: SlackAccess,
    private readonly slack: WebClient,
  ) {}

  /** Whether `who` may decide on rollout `id` now, and its open gate as the rollout reports it. */
  async check(id: string, who: Requester, what: string): Promise<{ refusal: string } | DecisionCheck> {
    const found = await this.service.lookup(id);
    if (found.kind !== 'running') return { refusal: `${found.message}; nothing to decide` };
    const allowed = await this.access.mayDecide(found.plan, who, what);
    if (!allowed.ok) return { refusal: allowed.message };
    if (!found.status) return { refusal: notAnswering(id) };
    const { gate } = found.status;
    return {
      openGateId: gate?.id ?? null,
      openBefore: gate?.before ?? null,
      openGateDecided: gate?.decision !== undefined,
      viaGroup: allowed.viaGroup,
    };
  }

  /**
   * Checks (unless the caller just did), then the Update; the answer is a refusal, a duplicate's
   * explanation, or the receipt.
   */
  async decide(
    decision: 'approve' | 'reject',
    gate: Pick<GateButtonValue, 'rolloutId' | 'gateId'>,
    who: Requester,
    reason: string | undefined,
    checked?: DecisionCheck,
  ): Promise<DecisionOutcome> {
    const check = checked ?? (await this.check(gate.rolloutId, who, decision === 'approve' ? 'approved' : 'rejected'));
    if ('refusal' in check) return check;
    // Already decided when we looked (a double click, a late click): a receipt can only be the first decision's.
    const decidedEarlier = check.openGateId !== gate.gateId || check.openGateDecided;
    const decided = await this.service.decide(gate.rolloutId, decision, {
      by: who.userId,
      gateId: gate.gateId,
      reason,
      viaGroup: check.viaGroup,
    });
    if (!decided.ok) return { refusal: refusalText(decided.kind, decided.message) };
    const result = { ...decided, duplicate: decided.duplicate || decidedEarlier };
    const text = result.duplicate
      ? `This gate was already ${result.receipt.decision} by ${mention(result.receipt.by)}; nothing changed.`
      : `${result.receipt.decision === 'approved' ? ':white_check_mark: Approved' : ':no_entry: Rejected'} \`${gate.rolloutId}\` before *${escapeText(result.receipt.before)}*${reason ? `: ${escapeText(reason)}` : ''} (by ${mention(who.userId)})`;
    return { ...result, text };
  }

  /** Updates the gate message in place: buttons gone, who decided and when. */
  async markDecided(
    channel: string,
    ts: string,
    blocks: Block[] | null,
    outcome: Extract<DecisionResult, { ok: true }>,
    reason: string | undefined,
  ): Promise<void> {
    let current = blocks;
    if (!current) {
      const history = await this.slack.conversations
        .history({ channel, latest: ts, inclusive: true, limit: 1 })
        .catch(() => null);
      current = ((history?.messages?.[0] as { blocks?: Block[] } | undefined)?.blocks ?? null) as Block[] | null;
    }
    if (!current) return; // the worker's Slack sink updates it on the decision event
    const { receipt } = outcome;
    await this.slack.chat.update({
      channel,
      ts,
      text: `${receipt.decision} by ${receipt.by} before ${receipt.before}`,
      blocks: decidedGateBlocks(current, {
        decision: receipt.decision,
        by: receipt.by,
        at: new Date().toISOString(),
        reason,
      }),
    });
  }
}

// Deciding a gate from Slack, whichever way it is asked (a button, the reject form, `/rollout
// approve|reject`): the access check, the Update (its id is the gate's, so a second click gets the
// first decision back; on a gate needing several approvers, the gate's and the approver's), and the
// gate message updated in place.
import type { types, webApi } from '@slack/bolt';
import type { DecisionResult, RolloutService } from '../client/rollout-service';
import {
  approvalProgressText,
  decidedGateBlocks,
  escapeText,
  gateProgressBlocks,
  mention,
  type GateButtonValue,
} from '../block-kit/rollout-blocks';
import { FailureType } from '../workflows/failure-types';
import { awaitsMoreApprovals } from '../workflows/model-rollout-messages';
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
  /** The open gate needs this many distinct approvers (absent: one), and these have approved it. */
  required?: number;
  approvedBy?: string[];
  /** The plan's approvers and the rollout's requester, for the gate message's progress line. */
  approvers: string[];
  requestedBy: string;
}

export type DecisionOutcome =
  | { refusal: string }
  | (Extract<DecisionResult, { ok: true }> & { text: string; approvers: string[]; requestedBy: string });

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
      ...(gate?.required && { required: gate.required, approvedBy: (gate.approvals ?? []).map((a) => a.by) }),
      approvers: found.plan.approvals.approvers,
      requestedBy: found.status.requestedBy,
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
    // A repeat approval's Update would only hand back the first one's receipt (same update id).
    if (decision === 'approve' && !decidedEarlier && check.approvedBy?.includes(who.userId))
      return {
        refusal: refusalText(
          FailureType.AlreadyApproved,
          `${who.userId} has already approved this gate; it needs ${(check.required ?? 1) - check.approvedBy.length} more from other approvers`,
        ),
      };
    const decided = await this.service.decide(
      gate.rolloutId,
      decision,
      { by: who.userId, gateId: gate.gateId, reason, viaGroup: check.viaGroup },
      { required: check.required ?? 1 },
    );
    if (!decided.ok) return { refusal: refusalText(decided.kind, decided.message) };
    const result = { ...decided, duplicate: decided.duplicate || decidedEarlier };
    const { receipt } = result;
    const progress = receipt.required
      ? ` · ${approvalProgressText({ approvedBy: receipt.approvedBy ?? [], required: receipt.required, approvers: check.approvers, requestedBy: check.requestedBy })}`
      : '';
    const text = result.duplicate
      ? `This gate was already ${receipt.decision} by ${mention(receipt.by)}; nothing changed.`
      : `${receipt.decision === 'approved' ? ':white_check_mark: Approved' : ':no_entry: Rejected'} \`${gate.rolloutId}\` before *${escapeText(receipt.before)}*${reason ? `: ${escapeText(reason)}` : ''} (by ${mention(who.userId)})${progress}`;
    return { ...result, text, approvers: check.approvers, requestedBy: check.requestedBy };
  }

  /** Updates the gate message in place: buttons gone, who decided and when. */
  async markDecided(
    channel: string,
    ts: string,
    blocks: Block[] | null,
    outcome: Extract<DecisionOutcome, { text: string }>,
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
    if (awaitsMoreApprovals(receipt)) {
      // One approval of several: the buttons stay for the others.
      await this.slack.chat.update({
        channel,
        ts,
        text: `approved by ${receipt.by} before ${receipt.before}`,
        blocks: gateProgressBlocks(current, {
          approvedBy: receipt.approvedBy ?? [],
          required: receipt.required!,
          approvers: outcome.approvers,
          requestedBy: outcome.requestedBy,
        }),
      });
      return;
    }
    await this.slack.chat.update({
      channel,
      ts,
      text: `${receipt.decision} by ${receipt.by} before ${receipt.before}`,
      blocks: decidedGateBlocks(current, {
        decision: receipt.decision,
        by: receipt.by,
        at: new Date().toISOString(),
        reason,
        ...(receipt.required && receipt.decision === 'approved' && { approvedBy: receipt.approvedBy }),
      }),
    });
  }
}

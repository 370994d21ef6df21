// The gate message's buttons. Approve decides at once; Reject first checks the same things a
// decision would (strangers get no form), then opens the form asking for a reason.
import type { BlockButtonAction, RespondFn, types } from '@slack/bolt';
import { parseGateButtonValue, rejectModal } from '../../../block-kit/rollout-blocks';
import type { Requester } from '../../access';
import type { BotContext } from '../../bot-context';
import { ephemeral, REFUSAL_PREFIX } from '../../replies';

type Block = types.KnownBlock;

export async function onApproveClick(
  bot: BotContext,
  body: BlockButtonAction,
  value: string | undefined,
  respond: RespondFn,
): Promise<void> {
  const gate = parseGateButtonValue(value);
  if (!gate) return ephemeral(respond, `${REFUSAL_PREFIX}this button is malformed; nothing changed`);
  const outcome = await bot.decisions.decide('approve', gate, requesterOf(body), undefined);
  if ('refusal' in outcome) return ephemeral(respond, `${REFUSAL_PREFIX}${outcome.refusal}`);
  if (outcome.duplicate) return ephemeral(respond, outcome.text);
  if (body.message?.ts && body.channel?.id)
    await bot.decisions.markDecided(
      body.channel.id,
      body.message.ts,
      (body.message.blocks ?? null) as Block[] | null,
      outcome,
      undefined,
    );
}

export async function onRejectClick(
  bot: BotContext,
  body: BlockButtonAction,
  value: string | undefined,
  respond: RespondFn,
): Promise<void> {
  const gate = parseGateButtonValue(value);
  if (!gate) return ephemeral(respond, `${REFUSAL_PREFIX}this button is malformed; nothing changed`);
  const who = requesterOf(body);
  const check = await bot.decisions.check(gate.rolloutId, who, 'rejected');
  if ('refusal' in check) return ephemeral(respond, `${REFUSAL_PREFIX}${check.refusal}`);
  if (check.openGateId !== gate.gateId) {
    return ephemeral(
      respond,
      `${REFUSAL_PREFIX}this gate is no longer open${check.openGateId ? ` (the open gate is before ${check.openBefore})` : ''}; nothing changed`,
    );
  }
  await bot.slack.views.open({
    trigger_id: body.trigger_id,
    view: rejectModal({
      ...gate,
      channel: who.channelId,
      channelName: who.channelName,
      messageTs: body.message?.ts,
      responseUrl: body.response_url,
    }),
  });
}

function requesterOf(body: BlockButtonAction): Requester {
  return {
    userId: body.user.id,
    channelId: body.channel?.id ?? body.container?.channel_id ?? '',
    channelName: body.channel?.name,
  };
}

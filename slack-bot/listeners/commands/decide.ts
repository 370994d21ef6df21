// `/rollout approve|reject <id> [reason]`: decides the rollout's open gate. A reject without a
// reason opens the form that asks for one.
import { rejectModal } from '../../../block-kit/rollout-blocks';
import { refusal } from '../../replies';
import type { CommandHandler } from './command-handler';

export const decideCommand: CommandHandler<'approve' | 'reject'> = async (bot, command, { slash, who }) => {
  const check = await bot.decisions.check(command.id, who, command.kind === 'approve' ? 'approved' : 'rejected');
  if ('refusal' in check) return refusal(check.refusal);
  if (!check.openGateId) return refusal(`rollout \`${command.id}\` is not waiting for approval; nothing to decide`);
  if (command.kind === 'reject' && !command.reason) {
    await bot.slack.views.open({
      trigger_id: slash.trigger_id,
      view: rejectModal({
        rolloutId: command.id,
        gateId: check.openGateId,
        before: check.openBefore ?? '',
        channel: who.channelId,
        channelName: who.channelName,
        responseUrl: slash.response_url,
      }),
    });
    return null;
  }
  const outcome = await bot.decisions.decide(
    command.kind,
    { rolloutId: command.id, gateId: check.openGateId },
    who,
    command.reason,
    check,
  );
  if ('refusal' in outcome) return refusal(outcome.refusal);
  return { text: outcome.text, inChannel: !outcome.duplicate };
};

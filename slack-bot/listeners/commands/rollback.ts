// `/rollout rollback <id> <reason>`: the rollback signal, then the traffic put back on the
// baseline directly. Without a status (worker down) the signal still goes out: the workflow acts
// on it when it runs.
import { describeBreakGlass } from '../../../client/break-glass';
import { escapeText, mention } from '../../../block-kit/rollout-blocks';
import { refusal } from '../../replies';
import type { CommandHandler } from './command-handler';
import { runningRolloutFor } from './running-rollout';

export const rollbackCommand: CommandHandler<'rollback'> = async (bot, { id, reason }, { who }) => {
  const found = await runningRolloutFor(bot, id, who, 'rollback');
  if ('refused' in found) return found.refused;
  const { status } = found.running;
  if (status?.rollbackRequest)
    return {
      text: `A rollback of \`${id}\` was already requested by ${mention(status.rollbackRequest.by)}: ${escapeText(status.rollbackRequest.reason)}`,
    };
  const result = await bot.service.rollback(id, { reason, by: who.userId });
  if (!result.ok) return refusal(result.message);
  return {
    text: `:rotating_light: Rollback of \`${id}\` requested by ${mention(who.userId)}: ${escapeText(reason)}\n${escapeText(describeBreakGlass(result.traffic))}`,
    inChannel: true,
  };
};

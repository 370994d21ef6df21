// `/rollout pause <id> [reason]`: hold the rollout where it is.
import { escapeText, mention } from '../../../block-kit/rollout-blocks';
import { refusal } from '../../replies';
import type { CommandHandler } from './command-handler';
import { runningRolloutFor } from './running-rollout';

export const pauseCommand: CommandHandler<'pause'> = async (bot, { id, reason }, { who }) => {
  const found = await runningRolloutFor(bot, id, who, 'pause');
  if ('refused' in found) return found.refused;
  const { status } = found.running;
  if (status?.paused) return { text: `\`${id}\` is already paused (by ${mention(status.paused.by)})` };
  const result = await bot.service.pause(id, { by: who.userId, reason });
  if (!result.ok) return refusal(result.message);
  return {
    text: `:double_vertical_bar: \`${id}\` paused by ${mention(who.userId)}${reason ? `: ${escapeText(reason)}` : ''}`,
    inChannel: true,
  };
};

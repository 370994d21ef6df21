// `/rollout resume <id>`: let a paused rollout go on.
import { mention } from '../../../block-kit/rollout-blocks';
import { refusal } from '../../replies';
import type { CommandHandler } from './command-handler';
import { runningRolloutFor } from './running-rollout';

export const resumeCommand: CommandHandler<'resume'> = async (bot, { id, reason }, { who }) => {
  const found = await runningRolloutFor(bot, id, who, 'resume');
  if ('refused' in found) return found.refused;
  const { status } = found.running;
  if (status && !status.paused) return { text: `\`${id}\` is not paused; nothing to resume` };
  const result = await bot.service.resume(id, { by: who.userId, reason });
  if (!result.ok) return refusal(result.message);
  return { text: `:arrow_forward: \`${id}\` resumed by ${mention(who.userId)}`, inChannel: true };
};

// `/rollout status <id>`: stage, weights, gate, latest verdict; a finished rollout's last status.
import { statusText } from '../../../block-kit/rollout-blocks';
import { notAnswering, refusal } from '../../replies';
import type { CommandHandler } from './command-handler';

export const statusCommand: CommandHandler<'status'> = async (bot, { id }) => {
  const found = await bot.service.lookup(id);
  if (found.kind === 'running')
    return found.status ? { text: statusText(found.status, bot.uiLink(id)) } : refusal(notAnswering(id));
  if (found.kind === 'finished' && found.status) return { text: statusText(found.status, bot.uiLink(id)) };
  return refusal(found.message);
};

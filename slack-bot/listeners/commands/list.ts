// `/rollout list`: the running rollouts, newest first.
import { escapeText } from '../../../block-kit/rollout-blocks';
import type { CommandHandler } from './command-handler';

export const listCommand: CommandHandler<'list'> = async (bot) => {
  const rows = await bot.service.listRunning();
  if (rows.length === 0) return { text: 'No rollouts are running.' };
  return {
    text: [
      '*Running rollouts*',
      ...rows.map(
        (row) =>
          `• \`${row.id}\` ${row.stage ? `stage *${escapeText(row.stage)}*` : ''}${row.candidate ? ` · ${escapeText(row.candidate)}` : ''}`,
      ),
    ].join('\n'),
  };
};

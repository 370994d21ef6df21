// `/rollout revert <id> <reason>`: after promotion, within the plan's revert window, the previous
// baseline back on the route at once (the revert Update; it answers once traffic is back).
import { escapeText, mention } from '../../../block-kit/rollout-blocks';
import { refusal } from '../../replies';
import type { CommandHandler } from './command-handler';
import { runningRolloutFor } from './running-rollout';

export const revertCommand: CommandHandler<'revert'> = async (bot, { id, reason }, { who }) => {
  const found = await runningRolloutFor(bot, id, who, 'revert');
  if ('refused' in found) return found.refused;
  const result = await bot.service.revert(id, { reason, by: who.userId });
  if (!result.ok) return refusal(result.message);
  const { receipt } = result;
  return {
    text: `:leftwards_arrow_with_hook: \`${id}\` reverted by ${mention(who.userId)}: ${escapeText(reason)}\n${escapeText(receipt.baselineModel)} is back on route \`${escapeText(receipt.route)}\` at 100 %`,
    inChannel: true,
  };
};

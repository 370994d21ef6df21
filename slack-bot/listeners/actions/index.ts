// Block actions: the Approve and Reject buttons of a gate message.
import type { App, BlockButtonAction } from '@slack/bolt';
import { APPROVE_ACTION, REJECT_ACTION } from '../../../block-kit/rollout-blocks';
import type { BotContext } from '../../bot-context';
import { guarded } from '../../replies';
import { onApproveClick, onRejectClick } from './gate-buttons';

export function register(app: App, bot: BotContext): void {
  app.action<BlockButtonAction>(APPROVE_ACTION, async ({ ack, body, action, respond }) => {
    await ack();
    await guarded(respond, () => onApproveClick(bot, body, action.value, respond));
  });
  app.action<BlockButtonAction>(REJECT_ACTION, async ({ ack, body, action, respond }) => {
    await ack();
    await guarded(respond, () => onRejectClick(bot, body, action.value, respond));
  });
}

// View submissions: the reject form.
import type { App } from '@slack/bolt';
import { REJECT_MODAL } from '../../../block-kit/rollout-blocks';
import type { BotContext } from '../../bot-context';
import { onRejectSubmission } from './reject-modal';

export function register(app: App, bot: BotContext): void {
  app.view(REJECT_MODAL, (args) => onRejectSubmission(bot, args));
}

// Every listener of the bot, registered on one App: block actions (the gate buttons), view
// submissions (the reject form) and the slash command.
import type { App } from '@slack/bolt';
import type { BotContext } from '../bot-context';
import * as actions from './actions';
import * as commands from './commands';
import * as views from './views';

export function registerListeners(app: App, bot: BotContext): void {
  actions.register(app, bot);
  views.register(app, bot);
  commands.register(app, bot);
}

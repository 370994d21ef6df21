// The slash command: `/rollout <subcommand>` parsed (slack-bot/command-parser.ts), then one
// handler per subcommand. Every answer is ephemeral unless it records something the channel
// should see.
import type { App } from '@slack/bolt';
import type { BotContext } from '../../bot-context';
import { parseRolloutCommand, USAGE, type RolloutCommand } from '../../command-parser';
import { guarded, refusal, type Reply } from '../../replies';
import type { CommandHandler, CommandRequest } from './command-handler';
import { decideCommand } from './decide';
import { listCommand } from './list';
import { pauseCommand } from './pause';
import { resumeCommand } from './resume';
import { revertCommand } from './revert';
import { rollbackCommand } from './rollback';
import { statusCommand } from './status';

const HANDLERS: { [K in RolloutCommand['kind']]: CommandHandler<K> } = {
  help: async () => ({ text: USAGE }),
  invalid: async (_bot, { message }) => refusal(message),
  list: listCommand,
  status: statusCommand,
  approve: decideCommand,
  reject: decideCommand,
  rollback: rollbackCommand,
  revert: revertCommand,
  pause: pauseCommand,
  resume: resumeCommand,
};

function handle(bot: BotContext, command: RolloutCommand, request: CommandRequest): Promise<Reply | null> {
  // The map is keyed by kind, so the handler found takes exactly this command.
  const handler = HANDLERS[command.kind] as CommandHandler<RolloutCommand['kind']>;
  return handler(bot, command, request);
}

export function register(app: App, bot: BotContext): void {
  app.command(bot.command, async ({ ack, command: slash, respond }) => {
    await ack();
    await guarded(respond, async () => {
      const who = { userId: slash.user_id, channelId: slash.channel_id, channelName: slash.channel_name };
      const reply = await handle(bot, parseRolloutCommand(slash.text), { slash, who });
      if (reply) await respond({ response_type: reply.inChannel ? 'in_channel' : 'ephemeral', text: reply.text });
    });
  });
}

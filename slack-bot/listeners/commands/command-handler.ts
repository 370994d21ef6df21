// One `/rollout` subcommand's handler: the parsed command and who asked, to a reply (null when
// the handler answered otherwise, e.g. by opening a form).
import type { SlashCommand } from '@slack/bolt';
import type { Requester } from '../../access';
import type { BotContext } from '../../bot-context';
import type { RolloutCommand } from '../../command-parser';
import type { Reply } from '../../replies';

export interface CommandRequest {
  slash: SlashCommand;
  who: Requester;
}

export type CommandHandler<K extends RolloutCommand['kind']> = (
  bot: BotContext,
  command: RolloutCommand & { kind: K },
  request: CommandRequest,
) => Promise<Reply | null>;

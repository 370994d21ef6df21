// What rollback, pause and resume check first: the rollout runs, and the asker may do this to it.
import type { RolloutLookup } from '../../../client/rollout-service';
import type { Requester } from '../../access';
import type { BotContext } from '../../bot-context';
import { refusal, type Reply } from '../../replies';

type Running = Extract<RolloutLookup, { kind: 'running' }>;

export async function runningRolloutFor(
  bot: BotContext,
  id: string,
  who: Requester,
  verb: 'rollback' | 'pause' | 'resume',
): Promise<{ refused: Reply } | { running: Running }> {
  const found = await bot.service.lookup(id);
  if (found.kind !== 'running') return { refused: refusal(`${found.message}; nothing to ${verb}`) };
  const allowed =
    verb === 'resume'
      ? await bot.access.mayDecide(found.plan, who, 'resumed')
      : await bot.access.mayStop(found.plan, who, verb === 'pause' ? 'pause' : 'roll back');
  if (!allowed.ok) return { refused: refusal(allowed.message) };
  return { running: found };
}

// What rollback, pause, resume and revert check first: the rollout runs (and is, or is not yet,
// promoted), and the asker may do this to it.
import type { RolloutLookup } from '../../../client/rollout-service';
import type { Requester } from '../../access';
import type { BotContext } from '../../bot-context';
import { refusal, type Reply } from '../../replies';

type Running = Extract<RolloutLookup, { kind: 'running' }>;

export async function runningRolloutFor(
  bot: BotContext,
  id: string,
  who: Requester,
  verb: 'rollback' | 'pause' | 'resume' | 'revert',
): Promise<{ refused: Reply } | { running: Running }> {
  const found = await bot.service.lookup(id);
  if (found.kind !== 'running') return { refused: refusal(`${found.message}; nothing to ${verb}`) };
  // Without a status (no worker) the rollout's own validator has the last word.
  const promoted = found.status?.phase === 'promoted';
  if (verb === 'revert' && found.status && !promoted)
    return {
      refused: refusal(
        `rollout \`${id}\` is not promoted (phase ${found.status.phase}); nothing to revert. To stop it, \`/rollout rollback ${id} <reason>\``,
      ),
    };
  if (verb !== 'revert' && promoted)
    return {
      refused: refusal(
        `rollout \`${id}\` has been promoted; nothing to ${verb}. To put the previous model back, \`/rollout revert ${id} <reason>\``,
      ),
    };
  const allowed =
    verb === 'resume'
      ? await bot.access.mayDecide(found.plan, who, 'resumed')
      : await bot.access.mayStop(found.plan, who, verb === 'rollback' ? 'roll back' : verb);
  if (!allowed.ok) return { refused: refusal(allowed.message) };
  return { running: found };
}

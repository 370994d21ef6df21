// The reject form's submission. A refusal or a duplicate is shown on the form itself when the
// workflow answers in time; a slow workflow's answer goes to the channel through the response URL
// once the form has closed.
import type { SlackViewMiddlewareArgs } from '@slack/bolt';
import { parseRejectModalContext, REASON_BLOCK, REASON_INPUT } from '../../../block-kit/rollout-blocks';
import type { Requester } from '../../access';
import type { BotContext } from '../../bot-context';
import { postToResponseUrl, REFUSAL_PREFIX } from '../../replies';

export async function onRejectSubmission(bot: BotContext, { ack, body, view }: SlackViewMiddlewareArgs): Promise<void> {
  const context = parseRejectModalContext(view.private_metadata);
  if (!context) {
    await ack({ response_action: 'errors', errors: { [REASON_BLOCK]: 'This form is malformed; nothing changed.' } });
    return;
  }
  const reason = view.state.values[REASON_BLOCK]?.[REASON_INPUT]?.value?.trim();
  if (!reason) {
    await ack({ response_action: 'errors', errors: { [REASON_BLOCK]: 'A reason is required to reject.' } });
    return;
  }
  const who: Requester = { userId: body.user.id, channelId: context.channel, channelName: context.channelName };
  const decision = bot.decisions.decide('reject', context, who, reason).catch((error: unknown) => ({
    refusal: `could not reach the rollout (${(error as Error).message}); check \`/rollout status ${context.rolloutId}\``,
  }));
  const settled = await Promise.race([
    decision,
    new Promise<null>((resolve) => setTimeout(() => resolve(null), bot.modalDecisionTimeoutMs).unref()),
  ]);
  if (settled && ('refusal' in settled || settled.duplicate)) {
    const text = 'refusal' in settled ? settled.refusal : settled.text;
    await ack({ response_action: 'errors', errors: { [REASON_BLOCK]: text.slice(0, 2_000) } });
    return;
  }
  await ack();
  const outcome = settled ?? (await decision);
  const reply = 'refusal' in outcome ? `${REFUSAL_PREFIX}${outcome.refusal}` : outcome.duplicate ? outcome.text : null;
  if (reply && context.responseUrl) await postToResponseUrl(context.responseUrl, reply);
  if ('receipt' in outcome && !outcome.duplicate) {
    // From a button: the gate message shows it. From `/rollout reject`: say it in the channel.
    if (context.messageTs) await bot.decisions.markDecided(context.channel, context.messageTs, null, outcome, reason);
    else if (context.responseUrl) await postToResponseUrl(context.responseUrl, outcome.text, 'in_channel');
  }
}

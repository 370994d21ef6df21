// How the bot answers people: refusals (ephemeral, naming why, saying nothing changed), failures
// that must reach the user instead of vanishing, and late answers through a response URL.
import type { RespondFn } from '@slack/bolt';
import { escapeText } from '../block-kit/rollout-blocks';
import { FailureType, type FailureTypeName } from '../workflows/failure-types';

export const REFUSAL_PREFIX = ':no_entry_sign: ';

export interface Reply {
  text: string;
  inChannel?: boolean;
}

export function notAnswering(id: string): string {
  return `rollout \`${id}\` is not answering (is its worker running?); nothing changed`;
}

/** A refusal as a reply: ephemeral, prefixed. */
export function refusal(text: string): Reply {
  return { text: `${REFUSAL_PREFIX}${text}` };
}

const REFUSALS: Partial<Record<FailureTypeName, string>> = {
  [FailureType.UnauthorizedApprover]: 'the rollout does not accept you as an approver',
  [FailureType.SelfApprovalForbidden]: 'you requested this rollout, so someone else must approve it',
  [FailureType.NoOpenGate]: 'the rollout is not waiting for approval',
  [FailureType.GateAlreadyDecided]: 'this gate was already decided',
  [FailureType.AlreadyApproved]: 'you have already approved this gate; it needs other approvers',
  [FailureType.StaleGate]: 'this gate is no longer open',
  [FailureType.ReasonRequired]: 'a reason is required to reject',
  [FailureType.RolloutFinished]: 'the rollout has finished',
  [FailureType.InvalidDecision]: 'the decision was malformed',
};

/** The workflow's refusal of a decision (its failure type and message), for people. */
export function refusalText(kind: string, message: string): string {
  const lead = REFUSALS[kind as FailureTypeName];
  return `${lead ? `${lead}: ` : ''}${escapeText(message)}; nothing changed`;
}

export async function ephemeral(respond: RespondFn, text: string): Promise<void> {
  await respond({ response_type: 'ephemeral', replace_original: false, text });
}

/** Any failure (Temporal unreachable, Slack refusing) reaches the user instead of vanishing. */
export async function guarded(respond: RespondFn, work: () => Promise<void>): Promise<void> {
  try {
    await work();
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    await respond({
      response_type: 'ephemeral',
      replace_original: false,
      text: `:warning: could not complete that: ${escapeText(message)}. Check the rollout with \`/rollout status <id>\` before trying again.`,
    }).catch(() => undefined);
  }
}

export async function postToResponseUrl(
  url: string,
  text: string,
  responseType: 'ephemeral' | 'in_channel' = 'ephemeral',
): Promise<void> {
  await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ response_type: responseType, replace_original: false, text }),
    signal: AbortSignal.timeout(5_000),
  }).catch(() => undefined);
}

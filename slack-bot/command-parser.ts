// `/rollout …`: parsing the slash command's text into one request, or a usage message.
export const USAGE = [
  '*Usage:* `/rollout <command>`',
  '• `status <id>`: stage, weights, gate, latest verdict',
  '• `list`: running rollouts',
  '• `approve <id> [reason]`: approve the open gate (approvers, in the rollout’s channel)',
  '• `reject <id> [reason]`: reject the open gate; without a reason a form asks for one',
  '• `pause <id> [reason]` / `resume <id>`: hold the rollout where it is, or let it go on',
  '• `rollback <id> <reason>`: put all traffic back on the baseline now (approvers and on-call)',
  '• `revert <id> <reason>`: after promotion, within its revert window, put the previous model back (approvers and on-call)',
].join('\n');

export type RolloutCommand =
  | { kind: 'help' }
  | { kind: 'list' }
  | { kind: 'status'; id: string }
  | { kind: 'approve' | 'reject' | 'pause' | 'resume'; id: string; reason?: string }
  | { kind: 'rollback' | 'revert'; id: string; reason: string }
  | { kind: 'invalid'; message: string };

const WITH_ID = new Set(['status', 'approve', 'reject', 'pause', 'resume', 'rollback', 'revert']);
/** Commands that record why. */
const NEED_REASON = new Set(['rollback', 'revert']);

export function parseRolloutCommand(text: string): RolloutCommand {
  const trimmed = (text ?? '').trim();
  if (!trimmed || trimmed === 'help') return { kind: 'help' };
  const [verb = '', id, ...rest] = trimmed.split(/\s+/);
  const command = verb.toLowerCase();
  const reason = rest.join(' ').trim() || undefined;
  if (command === 'list') return { kind: 'list' };
  if (!WITH_ID.has(command)) return { kind: 'invalid', message: `unknown command \`${verb.slice(0, 40)}\`\n${USAGE}` };
  if (!id)
    return {
      kind: 'invalid',
      message: `\`${command}\` needs a rollout id: \`/rollout ${command} <id>${NEED_REASON.has(command) ? ' <reason>' : ''}\``,
    };
  switch (command) {
    case 'status':
      return { kind: 'status', id };
    case 'rollback':
    case 'revert':
      if (!reason)
        return { kind: 'invalid', message: `a ${command} needs a reason: \`/rollout ${command} ${id} <reason>\`` };
      return { kind: command, id, reason };
    default:
      return { kind: command as 'approve' | 'reject' | 'pause' | 'resume', id, reason };
  }
}

// `/rollout` text → one request, or a clear usage message.
import { describe, expect, it } from 'vitest';
import { parseRolloutCommand } from '../../slack-bot/command-parser';

describe('parseRolloutCommand', () => {
  it('reads every subcommand with its id and reason', () => {
    expect(parseRolloutCommand('')).toEqual({ kind: 'help' });
    expect(parseRolloutCommand('  help ')).toEqual({ kind: 'help' });
    expect(parseRolloutCommand('list')).toEqual({ kind: 'list' });
    expect(parseRolloutCommand('status support-bot')).toEqual({ kind: 'status', id: 'support-bot' });
    expect(parseRolloutCommand('APPROVE support-bot')).toEqual({
      kind: 'approve',
      id: 'support-bot',
      reason: undefined,
    });
    expect(parseRolloutCommand('approve support-bot  dashboards   clean')).toEqual({
      kind: 'approve',
      id: 'support-bot',
      reason: 'dashboards clean',
    });
    expect(parseRolloutCommand('reject support-bot')).toEqual({ kind: 'reject', id: 'support-bot', reason: undefined });
    expect(parseRolloutCommand('reject support-bot cost too high')).toEqual({
      kind: 'reject',
      id: 'support-bot',
      reason: 'cost too high',
    });
    expect(parseRolloutCommand('pause support-bot checking')).toEqual({
      kind: 'pause',
      id: 'support-bot',
      reason: 'checking',
    });
    expect(parseRolloutCommand('resume support-bot')).toEqual({ kind: 'resume', id: 'support-bot', reason: undefined });
    expect(parseRolloutCommand('rollback support-bot INC-4312 elevated 5xx')).toEqual({
      kind: 'rollback',
      id: 'support-bot',
      reason: 'INC-4312 elevated 5xx',
    });
    expect(parseRolloutCommand('Revert support-bot INC-4320 answers cut off')).toEqual({
      kind: 'revert',
      id: 'support-bot',
      reason: 'INC-4320 answers cut off',
    });
  });

  it('refuses unknown commands, missing ids and reasonless rollbacks', () => {
    expect(parseRolloutCommand('deploy x')).toMatchObject({
      kind: 'invalid',
      message: expect.stringContaining('unknown command `deploy`'),
    });
    expect(parseRolloutCommand('status')).toMatchObject({
      kind: 'invalid',
      message: expect.stringContaining('`status` needs a rollout id'),
    });
    expect(parseRolloutCommand('rollback x')).toMatchObject({
      kind: 'invalid',
      message: expect.stringContaining('a rollback needs a reason'),
    });
    expect(parseRolloutCommand('revert x')).toMatchObject({
      kind: 'invalid',
      message: expect.stringContaining('a revert needs a reason: `/rollout revert x <reason>`'),
    });
    expect(parseRolloutCommand('revert')).toMatchObject({
      kind: 'invalid',
      message: expect.stringContaining('`/rollout revert <id> <reason>`'),
    });
  });
});

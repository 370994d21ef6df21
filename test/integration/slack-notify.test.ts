// The worker's Slack sink (inside the real notify activity) against the Slack Web API stand-in:
// one root message per rollout and everything else in its thread; the gate message with buttons,
// updated in place by the decision; found again by its metadata after a worker restart.
import { ApplicationFailure } from '@temporalio/common';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { MockActivityEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NotifyInput, RolloutEvent } from '../../activities/contract';
import { createNotifyActivities } from '../../activities/notify';
import { createSlackEventSink, type SlackSinkOptions } from '../../activities/slack-notify';
import { GATE_METADATA, ROOT_METADATA } from '../../block-kit/rollout-blocks';
import { FailureType } from '../../workflows/failure-types';
import { SlackApiStandIn } from '../support/slack-api-stand-in';

let slack: SlackApiStandIn;
beforeAll(async () => {
  slack = await new SlackApiStandIn().start();
});
afterAll(() => slack.close());

const CHANNEL = 'C0NOTIFY';
let clock = Date.parse('2026-11-22T10:00:00.000Z');
const at = () => new Date((clock += 1_000)).toISOString();

function sink(overrides: Partial<SlackSinkOptions> = {}) {
  const notify = createNotifyActivities([
    createSlackEventSink({
      token: slack.botToken,
      apiUrl: slack.apiUrl,
      describeRollout: async () => ({ baselineModel: 'llama-8b', candidateModel: 'llama-70b', requestedBy: 'U0CAROL' }),
      ...overrides,
    }),
  ]).notify;
  return (event: Omit<RolloutEvent, 'at'> & { at?: string }, channel = CHANNEL) => {
    const input: NotifyInput = {
      notifications: { slack: { channel }, temporalUiUrl: 'http://127.0.0.1:8233' },
      event: { at: at(), ...event },
    };
    return new MockActivityEnvironment().run(notify, input);
  };
}

const gate = (id: string) => ({
  id,
  before: 'cutover',
  reason: 'plan',
  deadline: '2026-11-22T14:00:00.000Z',
  approvers: ['U0ALICE', 'group:S0OWNERS'],
});
const threadOf = (ts: string) => slack.messages.filter((m) => m.thread_ts === ts && m.ts !== ts);
const rootOf = (rolloutId: string) =>
  slack.messages.filter(
    (m) => m.metadata?.event_type === ROOT_METADATA && m.metadata.event_payload.rollout_id === rolloutId,
  );

describe('Slack sink', () => {
  it('posts a root message, then the stage changes, verdicts and the gate in its thread; the decision updates the gate message in place', async () => {
    const notify = sink();
    await notify({
      rolloutId: 'r-thread',
      name: 'support bot',
      type: 'stage_started',
      message: 'canary: 5% of live traffic on the candidate (600s window)',
      stage: 'canary-1',
    });
    const [root] = rootOf('r-thread');
    expect(root).toBeDefined();
    expect(root!.channel).toBe(CHANNEL);
    expect(root!.thread_ts).toBeUndefined();
    expect(JSON.stringify(root!.blocks)).toContain('*llama-70b* vs *llama-8b*');
    expect(JSON.stringify(root!.blocks)).toContain('http://127.0.0.1:8233/namespaces/default/workflows/r-thread');
    expect(threadOf(root!.ts).map((m) => m.text)).toEqual([
      'stage_started: canary: 5% of live traffic on the candidate (600s window)',
    ]);

    await notify({
      rolloutId: 'r-thread',
      type: 'verdict',
      message: 'canary-1 failed: errorRate up',
      stage: 'canary-1',
      verdict: {
        stage: 'canary-1',
        outcome: 'fail',
        reason: 'errorRate up 8 pts',
        at: '2026-11-22T10:00:00.000Z',
        metrics: [],
      },
    });
    expect(JSON.stringify(threadOf(root!.ts).at(-1)!.blocks)).toContain('*Verdict (canary-1): fail*');

    await notify({
      rolloutId: 'r-thread',
      type: 'gate_opened',
      message: 'approval needed before cutover',
      stage: 'canary-1',
      gate: gate('g-1'),
    });
    const gateMessage = slack.messages.find(
      (m) => m.metadata?.event_type === GATE_METADATA && m.metadata.event_payload.gate_id === 'g-1',
    )!;
    expect(gateMessage.thread_ts).toBe(root!.ts);
    expect(gateMessage.reply_broadcast).toBe(true);
    expect(gateMessage.blocks!.some((block) => block.type === 'actions')).toBe(true);
    expect(root!.text).toContain('waiting for approval before cutover');

    await notify({
      rolloutId: 'r-thread',
      type: 'gate_approved',
      message: 'approved by U0ALICE before cutover: looks good',
      by: 'U0ALICE',
      stage: 'cutover',
      gate: gate('g-1'),
    });
    expect(gateMessage.blocks!.some((block) => block.type === 'actions')).toBe(false);
    expect(JSON.stringify(gateMessage.blocks)).toMatch(
      /Approved\* by <@U0ALICE> on <!date\^\d+\^\{date_short_pretty\} \{time\}\|2026-11-22T10:00:\d\d.000Z>: looks good/,
    );
    expect(threadOf(root!.ts).at(-1)!.text).toBe('gate_approved: approved by U0ALICE before cutover: looks good');
    expect(rootOf('r-thread')).toHaveLength(1);
  });

  it('after a restart finds the thread and the gate message again by their metadata', async () => {
    await sink()({
      rolloutId: 'r-restart',
      type: 'gate_opened',
      message: 'approval needed before cutover',
      stage: 'canary-2',
      gate: gate('g-2'),
    });
    const rootsBefore = rootOf('r-restart');
    expect(rootsBefore).toHaveLength(1);
    // A new worker process: nothing in memory.
    const restarted = sink();
    await restarted({
      rolloutId: 'r-restart',
      type: 'gate_rejected',
      message: 'rejected by U0BOB before cutover: cost too high',
      by: 'U0BOB',
      stage: 'cutover',
      gate: gate('g-2'),
    });
    expect(rootOf('r-restart')).toHaveLength(1);
    const gateMessage = slack.messages.find((m) => m.metadata?.event_payload.gate_id === 'g-2')!;
    expect(JSON.stringify(gateMessage.blocks)).toContain('Rejected* by <@U0BOB>');
    expect(JSON.stringify(gateMessage.blocks)).toContain('cost too high');
    expect(threadOf(rootsBefore[0]!.ts).at(-1)!.text).toBe(
      'gate_rejected: rejected by U0BOB before cutover: cost too high',
    );

    // The outcome finishes the thread; the same rollout id started again gets a new one.
    await restarted({
      rolloutId: 'r-restart',
      type: 'aborted',
      message: 'rejected by U0BOB before cutover: cost too high',
    });
    expect(rootsBefore[0]!.metadata!.event_payload.finished).toBe(true);
    expect(rootsBefore[0]!.text).toContain('aborted');
    await sink()({ rolloutId: 'r-restart', type: 'stage_started', message: 'shadow soak', stage: 'shadow' });
    expect(rootOf('r-restart')).toHaveLength(2);
  });

  it('closes a gate message that ends without a decision, and posts a retried event once', async () => {
    const notify = sink();
    await notify({
      rolloutId: 'r-closed',
      type: 'gate_opened',
      message: 'approval needed before canary-1',
      stage: null,
      gate: gate('g-3'),
    });
    const rolledBack = {
      rolloutId: 'r-closed',
      type: 'rolled_back',
      message: 'rollback requested by dave: INC-9',
      at: '2026-11-22T11:00:00.000Z',
    };
    await notify(rolledBack);
    await notify(rolledBack);
    const gateMessage = slack.messages.find((m) => m.metadata?.event_payload.gate_id === 'g-3')!;
    expect(gateMessage.blocks!.some((block) => block.type === 'actions')).toBe(false);
    expect(JSON.stringify(gateMessage.blocks)).toContain('Closed without a decision');
    const root = rootOf('r-closed')[0]!;
    expect(threadOf(root.ts).filter((m) => m.text?.startsWith('rolled_back'))).toHaveLength(1);
  });

  it('sends nothing for plans without a Slack channel, and fails permanently when Slack refuses the channel', async () => {
    const calls = slack.calls.length;
    const notify = createNotifyActivities([
      createSlackEventSink({ token: slack.botToken, apiUrl: slack.apiUrl }),
    ]).notify;
    await new MockActivityEnvironment().run(notify, {
      notifications: {},
      event: { rolloutId: 'r-none', type: 'promoted', message: 'ok', at: at() },
    });
    expect(slack.calls.length).toBe(calls);

    const refused = await sink()({ rolloutId: 'r-refused', type: 'promoted', message: 'ok' }, '').catch(
      (error: unknown) => error,
    );
    expect(refused).toBeInstanceOf(ApplicationFailure);
    expect((refused as ApplicationFailure).nonRetryable).toBe(true);
    expect((refused as ApplicationFailure).type).toBe(FailureType.SlackRefused);
    expect((refused as ApplicationFailure).message).toContain('channel_not_found');

    const badToken = await sink({ token: 'xoxb-wrong' })({
      rolloutId: 'r-refused',
      type: 'promoted',
      message: 'ok',
    }).catch((error: unknown) => error);
    expect((badToken as ApplicationFailure).message).toContain('invalid_auth');
  });

  it('without a way to describe the rollout still posts, with what the event says', async () => {
    // MockActivityEnvironment has no client: the status query cannot run.
    const notify = createNotifyActivities([
      createSlackEventSink({ token: slack.botToken, apiUrl: slack.apiUrl }),
    ]).notify;
    await new MockActivityEnvironment().run(notify, {
      notifications: { slack: { channel: CHANNEL } },
      event: {
        rolloutId: 'r-bare',
        name: 'bare',
        type: 'stage_started',
        message: 'shadow soak',
        stage: 'shadow',
        at: at(),
      },
    });
    const root = rootOf('r-bare')[0]!;
    expect(root.text).toBe('Rollout r-bare: candidate vs baseline: in progress (shadow)');
    expect(JSON.stringify(root.blocks)).toContain('Temporal workflow `r-bare`');
  });

  it('a failing webhook does not keep the event from Slack, and the retry does not post it twice', async () => {
    const webhook = createServer((req, res) => {
      req.resume();
      req.on('end', () => res.writeHead(503).end());
    });
    await new Promise<void>((resolve) => webhook.listen(0, '127.0.0.1', resolve));
    try {
      const notify = createNotifyActivities([
        createSlackEventSink({ token: slack.botToken, apiUrl: slack.apiUrl, describeRollout: async () => null }),
      ]).notify;
      const input: NotifyInput = {
        notifications: {
          webhookUrl: `http://127.0.0.1:${(webhook.address() as AddressInfo).port}/hook`,
          slack: { channel: CHANNEL },
        },
        event: {
          rolloutId: 'r-webhook-down',
          type: 'stage_started',
          message: 'shadow soak',
          stage: 'shadow',
          at: at(),
        },
      };
      for (let attempt = 0; attempt < 2; attempt++) {
        const failure = await new MockActivityEnvironment().run(notify, input).catch((error: unknown) => error);
        // Retryable: the activity's retry policy tries again; Slack already has it.
        expect(failure).not.toBeInstanceOf(ApplicationFailure);
        expect(String(failure)).toContain('answered 503');
      }
      const root = rootOf('r-webhook-down')[0]!;
      expect(threadOf(root.ts).map((m) => m.text)).toEqual(['stage_started: shadow soak']);
    } finally {
      await new Promise((resolve) => webhook.close(resolve));
    }
  });
});

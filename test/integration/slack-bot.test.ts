// The Slack bot on the real Bolt code path, with no Slack: Bolt's Web API client (and the
// worker's Slack sink) talk to a local stand-in for Slack's Web API, and correctly signed
// interactive payloads and slash commands are POSTed to the bot's HTTP receiver (and delivered
// over a stand-in Socket Mode connection). Rollouts run on the real Temporal dev server with the
// real activities against a real gateway.
import { LogLevel } from '@slack/bolt';
import type { Client } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createActivities } from '../../activities';
import { rolloutHandle, startRollout } from '../../client/rollouts';
import type { RouteState } from '../../gateway/admin-api';
import { startGateway, type GatewayHandle } from '../../gateway/server';
import { adminOf } from '../support/gateway-over-pair';
import { parsePlan, type RolloutPlanInput } from '../../plan/schema';
import { startRolloutBot, type RunningRolloutBot } from '../../slack-bot/bot';
import {
  APPROVE_ACTION,
  GATE_METADATA,
  REJECT_ACTION,
  REJECT_MODAL,
  ROOT_METADATA,
} from '../../block-kit/rollout-blocks';
import { statusQuery } from '../../workflows/model-rollout';
import {
  blockActionPayload,
  interactionBody,
  postSigned,
  slashCommandBody,
  SlackApiStandIn,
  viewSubmissionPayload,
  type StandInMessage,
} from '../support/slack-api-stand-in';
import { createDevServerEnv, workflowBundle } from '../support/temporal';
import { eventually } from '../support/eventually';

const SECRET = 'stand-in-signing-secret-0123456789';
const CHANNEL = 'C0RELEASES';
const TASK_QUEUE = 'slack-bot-test';

let env: TestWorkflowEnvironment;
let client: Client;
let gateway: GatewayHandle;
let slack: SlackApiStandIn;
let worker: Worker;
let workerDone: Promise<void>;
let bot: RunningRolloutBot;

beforeAll(async () => {
  slack = await new SlackApiStandIn({ userGroups: { S0OWNERS: ['U0GROUPIE'], S0ONCALL: ['U0ONCALL'] } }).start();
  [env, gateway] = await Promise.all([createDevServerEnv(), startGateway({ port: 0 })]);
  // The in-process worker's activities find the admin token where any worker does.
  process.env.GATEWAY_ADMIN_TOKEN = gateway.adminToken;
  client = env.client;
  worker = await Worker.create({
    connection: env.nativeConnection,
    namespace: env.namespace ?? 'default',
    taskQueue: TASK_QUEUE,
    workflowBundle: await workflowBundle(),
    activities: createActivities({
      slack: { token: slack.botToken, apiUrl: slack.apiUrl, temporalUiUrl: 'http://127.0.0.1:8233' },
    }),
  });
  workerDone = worker.run();
  bot = await startRolloutBot({
    temporal: client,
    botToken: slack.botToken,
    mode: 'http',
    signingSecret: SECRET,
    slackApiUrl: slack.apiUrl,
    temporalUiUrl: 'http://127.0.0.1:8233',
    logLevel: LogLevel.ERROR,
  });
}, 120_000);

afterAll(async () => {
  await bot?.stop();
  if (worker?.getState() === 'RUNNING') worker.shutdown();
  await workerDone?.catch(() => undefined);
  delete process.env.GATEWAY_ADMIN_TOKEN;
  await gateway?.close();
  await env?.teardown();
  await slack?.close();
});

function plan(id: string, overrides: Partial<RolloutPlanInput> = {}) {
  const input: RolloutPlanInput = {
    rollout: { id, name: `slack ${id}`, requestedBy: 'U0CAROL' },
    backends: {
      baseline: { baseUrl: 'http://127.0.0.1:9/v1', model: 'sim-base' },
      candidate: { baseUrl: 'http://127.0.0.1:9/v1', model: 'sim-candidate' },
    },
    router: { kind: 'gateway', adminUrl: gateway.adminUrl, route: id },
    // No traffic and no checks within the test: the first window is long, checks far apart.
    stages: {
      shadow: { enabled: false },
      canary: { steps: [{ weight: 5, window: '10m' }], checkInterval: '5m' },
      cutover: { bake: '10m' },
    },
    approvals: {
      requiredBefore: ['canary'],
      approvers: ['U0ALICE', 'U0BOB', 'U0CAROL', 'group:S0OWNERS'],
      timeout: '1h',
    },
    guardrails: { judge: 'threshold' },
    notifications: { slack: { channel: CHANNEL, onCallGroups: ['S0ONCALL'] }, temporalUiUrl: 'http://127.0.0.1:8233' },
    ...overrides,
  };
  return parsePlan(input);
}

async function start(id: string, overrides: Partial<RolloutPlanInput> = {}) {
  return startRollout(client, plan(id, overrides), { taskQueue: TASK_QUEUE, requestedBy: 'U0CAROL' });
}

async function status(id: string) {
  return rolloutHandle(client, id).query(statusQuery);
}

async function route(name: string): Promise<RouteState> {
  const state = await adminOf(gateway).getRoute(name);
  if (!state) throw new Error(`gateway route ${name} is not defined`);
  return state;
}

function gateMessage(id: string): Promise<StandInMessage> {
  return slack.waitFor(`the gate message of ${id}`, () =>
    slack.messages.find((m) => m.metadata?.event_type === GATE_METADATA && m.metadata.event_payload.rollout_id === id),
  );
}

function buttonValue(message: StandInMessage, actionId: string): string {
  const actions = message.blocks?.find((block) => block.type === 'actions') as
    { elements: Array<{ action_id: string; value: string }> } | undefined;
  const button = actions?.elements.find((element) => element.action_id === actionId);
  if (!button) throw new Error(`no ${actionId} button on message ${message.ts}`);
  return button.value;
}

async function click(
  user: string,
  message: StandInMessage,
  actionId: string,
  options: { channel?: string; value?: string } = {},
) {
  const responseUrl = slack.responseUrl();
  const payload = blockActionPayload({
    user,
    channel: options.channel ?? CHANNEL,
    message: { ts: message.ts, blocks: message.blocks, text: message.text },
    actionId,
    value: options.value ?? buttonValue(message, actionId),
    responseUrl,
  });
  const response = await postSigned(bot.url!, SECRET, interactionBody(payload));
  return { response, responseUrl, triggerId: payload.trigger_id as string };
}

async function command(user: string, text: string, channel = CHANNEL) {
  const responseUrl = slack.responseUrl();
  const response = await postSigned(
    bot.url!,
    SECRET,
    slashCommandBody({ text, user_id: user, channel_id: channel, response_url: responseUrl }),
  );
  expect(response.status).toBe(200);
  const reply = await slack.waitFor(`the answer to /rollout ${text}`, () => slack.responsesTo(responseUrl)[0]);
  return reply as { text: string; response_type: string };
}

function reply(responseUrl: string) {
  return slack.waitFor(`a reply at ${responseUrl}`, () => slack.responsesTo(responseUrl)[0]) as Promise<{
    text: string;
    response_type: string;
  }>;
}

describe('gate messages and Approve clicks', () => {
  it('posts the gate with its evidence to the rollout thread; strangers, other channels and the requester are refused; an approver’s click moves the rollout on, once', async () => {
    const id = 'slack-approve';
    await start(id);
    const gate = await gateMessage(id);
    const root = slack.messages.find(
      (m) => m.metadata?.event_type === ROOT_METADATA && m.metadata.event_payload.rollout_id === id,
    )!;
    expect(root.channel).toBe(CHANNEL);
    expect(gate.thread_ts).toBe(root.ts);
    expect(gate.reply_broadcast).toBe(true);
    const rendered = JSON.stringify(gate.blocks);
    expect(rendered).toContain('Approval needed before canary-1');
    expect(rendered).toContain('sim-candidate');
    expect(rendered).toContain('sim-base');
    expect(rendered).toContain(`http://127.0.0.1:8233/namespaces/default/workflows/${id}`);
    expect(rendered).toContain('<@U0ALICE>');
    expect(rendered).toContain('<!subteam^S0OWNERS>');
    const openGate = (await status(id)).gate!;
    expect(JSON.parse(buttonValue(gate, APPROVE_ACTION))).toEqual({
      rolloutId: id,
      gateId: openGate.id,
      before: 'canary-1',
    });
    // Bolt verified its token at start-up.
    expect(slack.callsTo('auth.test').length).toBeGreaterThanOrEqual(1);

    // A stranger: an ephemeral refusal, and nothing changes.
    const stranger = await click('U0MALLORY', gate, APPROVE_ACTION);
    expect(stranger.response.status).toBe(200);
    const refusal = await reply(stranger.responseUrl);
    expect(refusal.response_type).toBe('ephemeral');
    expect(refusal.text).toContain('you are not an approver of rollout `slack-approve`');
    // The right person in the wrong channel.
    const elsewhere = await reply((await click('U0ALICE', gate, APPROVE_ACTION, { channel: 'C0RANDOM' })).responseUrl);
    expect(elsewhere.text).toContain(`can only be approved in <#${CHANNEL}>`);
    // The requester may not approve their own rollout: the workflow's validator says so.
    const self = await reply((await click('U0CAROL', gate, APPROVE_ACTION)).responseUrl);
    expect(self.text).toContain('you requested this rollout');
    expect(self.text).toContain('nothing changed');
    let now = await status(id);
    expect(now.gate?.id).toBe(openGate.id);
    expect(now.decisions).toEqual([]);
    expect(slack.message(CHANNEL, gate.ts)!.edited).toBeUndefined();

    // Alice approves: the message is updated in place, the rollout moves to its 5% canary.
    const before = structuredClone(gate);
    const approved = await click('U0ALICE', before, APPROVE_ACTION);
    expect(approved.response.status).toBe(200);
    const updated = await slack.waitFor('the gate message updated', () => {
      const message = slack.message(CHANNEL, gate.ts)!;
      return message.edited && !message.blocks?.some((block) => block.type === 'actions') ? message : undefined;
    });
    expect(JSON.stringify(updated.blocks)).toMatch(/Approved\* by <@U0ALICE> on <!date\^\d+\^/);
    await eventually('the canary weight at the gateway', async () => (await route(id)).weights.candidate === 5);
    now = await status(id);
    expect(now.gate).toBeNull();
    expect(now.decisions).toMatchObject([{ decision: 'approved', by: 'U0ALICE', gateId: openGate.id }]);

    // A double click, and Bob's late click on the same gate: the first decision stands, once.
    const again = await reply((await click('U0ALICE', before, APPROVE_ACTION)).responseUrl);
    expect(again.text).toContain('already approved by <@U0ALICE>');
    const late = await reply((await click('U0BOB', before, APPROVE_ACTION)).responseUrl);
    expect(late.text).toContain('already approved by <@U0ALICE>');
    expect((await status(id)).decisions).toHaveLength(1);

    // The thread tells the story: the decision and the stage change.
    const thread = await slack.waitFor('the stage change in the thread', () => {
      const replies = slack.messages
        .filter((m) => m.thread_ts === root.ts && m.ts !== gate.ts)
        .map((m) => m.text ?? '');
      return replies.some((text) => text.startsWith('stage_started: canary')) ? replies : undefined;
    });
    expect(thread.some((text) => text.startsWith('gate_approved: approved by U0ALICE before canary-1'))).toBe(true);

    await rolloutHandle(client, id).signal('rollback', { reason: 'test over', by: 'test' });
    await rolloutHandle(client, id).result();
  });

  it('a gate needing two approvers: each Approve is recorded and shown with who is still needed, a second click by the same person is refused, the second approver moves the rollout on', async () => {
    const id = 'slack-two-approvers';
    await start(id, {
      approvals: {
        requiredBefore: ['canary'],
        approvers: ['U0ALICE', 'U0BOB', 'U0CAROL', 'group:S0OWNERS'],
        timeout: '1h',
        required: 2,
      },
    });
    const gate = await gateMessage(id);
    expect(JSON.stringify(gate.blocks)).toContain(
      '0 of 2 approvals; 2 more needed from <@U0ALICE> or <@U0BOB> or <!subteam^S0OWNERS>',
    );
    const first = await click('U0ALICE', structuredClone(gate), APPROVE_ACTION);
    expect(first.response.status).toBe(200);
    // The message shows the approval and keeps its buttons for the others.
    const progressed = await slack.waitFor('the gate message showing one approval', () => {
      const message = slack.message(CHANNEL, gate.ts)!;
      return message.edited &&
        JSON.stringify(message.blocks).includes(
          '1 of 2 approvals (<@U0ALICE>); 1 more needed from <@U0BOB> or <!subteam^S0OWNERS>',
        )
        ? message
        : undefined;
    });
    expect(progressed.blocks?.some((block) => block.type === 'actions')).toBe(true);
    let now = await status(id);
    expect(now.gate?.approvals?.map((approval) => approval.by)).toEqual(['U0ALICE']);
    expect((await route(id)).weights.candidate).toBe(0);

    const again = await reply((await click('U0ALICE', progressed, APPROVE_ACTION)).responseUrl);
    expect(again.text).toContain('you have already approved this gate');
    expect(again.text).toContain('nothing changed');
    const self = await reply((await click('U0CAROL', progressed, APPROVE_ACTION)).responseUrl);
    expect(self.text).toContain('you requested this rollout');

    expect((await click('U0BOB', progressed, APPROVE_ACTION)).response.status).toBe(200);
    await eventually('the canary weight at the gateway', async () => (await route(id)).weights.candidate === 5);
    const decided = await slack.waitFor('the gate message decided', () => {
      const message = slack.message(CHANNEL, gate.ts)!;
      return message.blocks?.some((block) => block.type === 'actions') ? undefined : message;
    });
    expect(JSON.stringify(decided.blocks)).toMatch(/Approved\* by <@U0ALICE> and <@U0BOB> on/);
    now = await status(id);
    expect(now.decisions.map((decision) => decision.by)).toEqual(['U0ALICE', 'U0BOB']);
    // The thread has the first approval as its own line.
    await slack.waitFor('the approval in the thread', () =>
      slack.messages.find(
        (m) => m.thread_ts === gate.thread_ts && (m.text ?? '').startsWith('gate_approval: approved by U0ALICE'),
      ),
    );
    await rolloutHandle(client, id).signal('rollback', { reason: 'test over', by: 'test' });
    await rolloutHandle(client, id).result();
  });

  it('a member of an approver group rejects through the modal, which insists on a reason', async () => {
    const id = 'slack-reject';
    await start(id);
    const gate = await gateMessage(id);
    // A stranger gets no form.
    const stranger = await click('U0MALLORY', gate, REJECT_ACTION);
    expect((await reply(stranger.responseUrl)).text).toContain('you are not an approver');
    expect(slack.callsTo('views.open').filter((call) => call.args.trigger_id === stranger.triggerId)).toEqual([]);

    const clicked = await click('U0GROUPIE', gate, REJECT_ACTION);
    const open = await slack.waitFor('the reject modal', () =>
      slack.callsTo('views.open').find((call) => call.args.trigger_id === clicked.triggerId),
    );
    const view = open.args.view as Record<string, unknown>;
    expect(view.callback_id).toBe(REJECT_MODAL);

    const submit = (reason: string | null) =>
      postSigned(
        bot.url!,
        SECRET,
        interactionBody(
          viewSubmissionPayload({
            user: 'U0GROUPIE',
            view,
            values: { reason: { reason_input: { type: 'plain_text_input', value: reason } } },
          }),
        ),
      );
    const empty = await submit('   ');
    expect(empty.status).toBe(200);
    expect(empty.json).toEqual({ response_action: 'errors', errors: { reason: 'A reason is required to reject.' } });
    expect((await status(id)).gate).not.toBeNull();

    const rejected = await submit('p99 too close to the limit');
    expect(rejected.status).toBe(200);
    expect(rejected.text).toBe('');
    const result = await rolloutHandle(client, id).result();
    expect(result.outcome).toBe('aborted');
    expect(result.reason).toBe('rejected by U0GROUPIE before canary-1: p99 too close to the limit');
    const updated = await slack.waitFor('the gate message updated', () =>
      slack.message(CHANNEL, gate.ts)!.edited ? slack.message(CHANNEL, gate.ts) : undefined,
    );
    expect(JSON.stringify(updated.blocks)).toContain('Rejected* by <@U0GROUPIE>');
    expect(updated.blocks!.some((block) => block.type === 'actions')).toBe(false);
  });

  it('a malformed button, a stale gate and a finished rollout each get a clear answer', async () => {
    const id = 'slack-stale';
    await start(id);
    const live = await gateMessage(id);
    const gate = structuredClone(live);
    const malformed = await reply((await click('U0ALICE', gate, APPROVE_ACTION, { value: '{"nope":1}' })).responseUrl);
    expect(malformed.text).toContain('this button is malformed; nothing changed');
    const stale = await reply(
      (
        await click('U0ALICE', gate, APPROVE_ACTION, {
          value: JSON.stringify({ rolloutId: id, gateId: 'an-old-gate', before: 'canary-1' }),
        })
      ).responseUrl,
    );
    expect(stale.text).toContain('this gate is no longer open');
    const unknown = await reply(
      (
        await click('U0ALICE', gate, APPROVE_ACTION, {
          value: JSON.stringify({ rolloutId: 'no-such-rollout', gateId: 'g', before: 'x' }),
        })
      ).responseUrl,
    );
    expect(unknown.text).toContain('no rollout with id `no-such-rollout`');
    expect((await status(id)).decisions).toEqual([]);

    await rolloutHandle(client, id).signal('rollback', { reason: 'INC-1', by: 'test' });
    await rolloutHandle(client, id).result();
    const finished = await reply((await click('U0ALICE', gate, APPROVE_ACTION)).responseUrl);
    expect(finished.text).toContain('rollout `slack-stale` has finished (rolled_back');
    // The gate message lost its buttons when the rollout rolled back.
    const closed = await slack.waitFor('the gate closed', () => (live.edited ? live : undefined));
    expect(JSON.stringify(closed.blocks)).toContain('Closed without a decision');
  });
});

describe('/rollout', () => {
  it('status, list, approve, pause, resume and rollback, with refusals for strangers, other channels, bad input and finished rollouts', async () => {
    const id = 'slack-command';
    await start(id);
    await gateMessage(id);

    expect((await command('U0MALLORY', '')).text).toContain('*Usage:*');
    expect((await command('U0MALLORY', 'frobnicate x')).text).toContain('unknown command `frobnicate`');
    expect((await command('U0MALLORY', 'rollback')).text).toContain('`rollback` needs a rollout id');
    expect((await command('U0ALICE', `rollback ${id}`)).text).toContain('a rollback needs a reason');
    expect((await command('U0ALICE', 'status NOT_AN_ID')).text).toContain('is not a rollout id');
    expect((await command('U0ALICE', 'status no-such-rollout')).text).toContain('no rollout with id `no-such-rollout`');

    const shown = await command('U0MALLORY', `status ${id}`);
    expect(shown.response_type).toBe('ephemeral');
    expect(shown.text).toContain('waiting for approval before *canary-1*');
    expect((await command('U0MALLORY', 'list')).text).toContain(`\`${id}\``);

    // Approve from the command: only approvers, only in the plan's channel.
    expect((await command('U0MALLORY', `approve ${id}`)).text).toContain('you are not an approver');
    expect((await command('U0BOB', `approve ${id}`, 'C0RANDOM')).text).toContain(
      `can only be approved in <#${CHANNEL}>`,
    );
    const approved = await command('U0BOB', `approve ${id} dashboards clean`);
    expect(approved.response_type).toBe('in_channel');
    expect(approved.text).toContain('Approved `slack-command` before *canary-1*: dashboards clean');
    await eventually(
      'the canary',
      async () => (await status(id)).stage === 'canary-1' && (await status(id)).gate === null,
    );
    expect((await command('U0BOB', `approve ${id}`)).text).toContain('is not waiting for approval; nothing to decide');
    // The worker's sink updated the gate message for a decision taken outside the buttons.
    const gate = await gateMessage(id);
    await slack.waitFor('the gate message updated by the sink', () =>
      slack.message(CHANNEL, gate.ts)!.edited ? true : undefined,
    );
    expect(JSON.stringify(slack.message(CHANNEL, gate.ts)!.blocks)).toContain('Approved* by <@U0BOB>');

    // Pause and resume.
    expect((await command('U0MALLORY', `pause ${id}`)).text).toContain('only the approvers and the on-call group');
    expect((await command('U0ALICE', `pause ${id} checking a dashboard`)).response_type).toBe('in_channel');
    await eventually('paused', async () => (await status(id)).paused?.by === 'U0ALICE');
    expect((await command('U0ALICE', `pause ${id}`)).text).toContain('already paused');
    expect((await command('U0ONCALL', `resume ${id}`)).text).toContain('you are not an approver');
    expect((await command('U0ALICE', `resume ${id}`)).text).toContain('resumed by <@U0ALICE>');
    await eventually('resumed', async () => (await status(id)).paused === null);

    // Rollback: a stranger cannot; the on-call group can, from its incident channel.
    expect((await command('U0MALLORY', `rollback ${id} because`)).text).toContain(
      'only the approvers and the on-call group',
    );
    const rolledBack = await command('U0ONCALL', `rollback ${id} INC-4312 elevated 5xx`, 'C0INCIDENT');
    expect(rolledBack.response_type).toBe('in_channel');
    expect(rolledBack.text).toContain('Rollback of `slack-command` requested by <@U0ONCALL>: INC-4312 elevated 5xx');
    const result = await rolloutHandle(client, id).result();
    expect(result.outcome).toBe('rolled_back');
    expect(result.reason).toBe('rollback requested by U0ONCALL: INC-4312 elevated 5xx');
    expect((await route(id)).weights).toEqual({ baseline: 100, candidate: 0 });
    // Finished: every command answers so, and nothing is sent.
    expect((await command('U0ALICE', `rollback ${id} again`)).text).toContain('has finished (rolled_back');
    expect((await command('U0ALICE', `approve ${id}`)).text).toContain('has finished (rolled_back');
    expect((await command('U0ALICE', `status ${id}`)).text).toContain('outcome *rolled_back*');
    // The rollout's thread got the rollback and the outcome; the root message shows it.
    const root = slack.messages.find(
      (m) => m.metadata?.event_type === ROOT_METADATA && m.metadata.event_payload.rollout_id === id,
    )!;
    await slack.waitFor('the outcome in the thread', () =>
      slack.messages.some(
        (m) => m.thread_ts === root.ts && m.text?.startsWith('rolled_back: rollback requested by U0ONCALL'),
      ),
    );
    await slack.waitFor(
      'the root message updated',
      () => (root.text?.includes('rolled back') && root.metadata?.event_payload.finished === true) || undefined,
    );
  });
});

describe('/rollout reject and rollouts whose worker is down', () => {
  it('`reject <id>` without a reason opens the form; a second decision on the same gate is refused in the form', async () => {
    const id = 'slack-command-reject';
    await start(id);
    await gateMessage(id);
    const responseUrl = slack.responseUrl();
    const triggerId = 'trigger-command-reject';
    const body = slashCommandBody({
      text: `reject ${id}`,
      user_id: 'U0BOB',
      channel_id: CHANNEL,
      response_url: responseUrl,
      trigger_id: triggerId,
    });
    expect((await postSigned(bot.url!, SECRET, body)).status).toBe(200);
    const open = await slack.waitFor('the reject modal', () =>
      slack.callsTo('views.open').find((call) => call.args.trigger_id === triggerId),
    );
    const view = open.args.view as Record<string, unknown>;
    // Meanwhile Alice approves from the command line of Slack.
    expect((await command('U0ALICE', `approve ${id}`)).text).toContain('Approved `slack-command-reject`');
    const late = await postSigned(
      bot.url!,
      SECRET,
      interactionBody(
        viewSubmissionPayload({
          user: 'U0BOB',
          view,
          values: { reason: { reason_input: { type: 'plain_text_input', value: 'too expensive' } } },
        }),
      ),
    );
    expect(late.json).toEqual({
      response_action: 'errors',
      errors: { reason: expect.stringContaining('already approved by <@U0ALICE>') },
    });
    expect((await status(id)).decisions).toMatchObject([{ decision: 'approved', by: 'U0ALICE' }]);
    await rolloutHandle(client, id).signal('rollback', { reason: 'test over', by: 'test' });
    await rolloutHandle(client, id).result();
  });

  it('rolls back a rollout whose worker does not answer, and says decisions must wait', async () => {
    const id = 'slack-no-worker';
    // A task queue no worker polls: the workflow exists but never answers a query.
    const handle = await startRollout(client, plan(id), { taskQueue: 'nobody-polls-this', requestedBy: 'U0CAROL' });
    try {
      expect((await command('U0ALICE', `approve ${id}`)).text).toContain(
        'is not answering (is its worker running?); nothing changed',
      );
      const rolledBack = await command('U0ALICE', `rollback ${id} worker is down, INC-9`);
      expect(rolledBack.text).toContain('Rollback of `slack-no-worker` requested by <@U0ALICE>');
      const history = await handle.fetchHistory();
      expect(
        history.events?.some((event) => event.workflowExecutionSignaledEventAttributes?.signalName === 'rollback'),
      ).toBe(true);
    } finally {
      await handle.terminate('test over');
    }
  }, 30_000);
});

describe('request verification', () => {
  it('refuses unsigned, badly signed, stale, future-dated and replayed requests, and malformed payloads, changing nothing', async () => {
    const id = 'slack-signed';
    await start(id);
    const gate = await gateMessage(id);
    const payload = blockActionPayload({
      user: 'U0ALICE',
      channel: CHANNEL,
      message: { ts: gate.ts, blocks: gate.blocks },
      actionId: APPROVE_ACTION,
      value: buttonValue(gate, APPROVE_ACTION),
      responseUrl: slack.responseUrl(),
    });
    const body = interactionBody(payload);
    const nowSec = Math.floor(Date.now() / 1000);
    expect((await postSigned(bot.url!, SECRET, body, { unsigned: true })).status).toBe(401);
    expect((await postSigned(bot.url!, SECRET, body, { secret: 'not-the-secret' })).status).toBe(401);
    expect((await postSigned(bot.url!, SECRET, body, { timestampSec: nowSec - 6 * 60 })).status).toBe(401);
    const future = await postSigned(bot.url!, SECRET, body, { timestampSec: nowSec + 10 * 60 });
    expect(future.status).toBe(401);
    expect(future.text).toContain('in the future');
    const malformed = await postSigned(bot.url!, SECRET, 'payload=%7Bnot-json');
    expect(malformed.status).toBe(400);
    expect((await status(id)).gate).not.toBeNull();

    // A captured request sent again: accepted once, refused the second time.
    const signedAt = nowSec;
    const first = await postSigned(bot.url!, SECRET, body, { timestampSec: signedAt });
    expect(first.status).toBe(200);
    const replay = await postSigned(bot.url!, SECRET, body, { timestampSec: signedAt });
    expect(replay.status).toBe(401);
    expect(replay.text).toContain('replayed request');
    await eventually('the approval', async () => (await status(id)).decisions.length === 1);
    expect((await status(id)).decisions).toMatchObject([{ by: 'U0ALICE' }]);

    // Other methods and paths.
    expect((await fetch(bot.url!)).status).toBe(405);
    expect((await fetch(bot.url!.replace('/slack/events', '/elsewhere'), { method: 'POST' })).status).toBe(404);
    expect((await fetch(bot.url!.replace('/slack/events', '/healthz'))).status).toBe(200);

    await rolloutHandle(client, id).signal('rollback', { reason: 'test over', by: 'test' });
    await rolloutHandle(client, id).result();
  });
});

describe('Socket Mode', () => {
  it('connects through apps.connections.open, answers a slash command and takes an approval over the socket', async () => {
    const socketBot = await startRolloutBot({
      temporal: client,
      botToken: slack.botToken,
      mode: 'socket',
      appToken: slack.appToken,
      slackApiUrl: slack.apiUrl,
      logLevel: LogLevel.ERROR,
    });
    try {
      expect(socketBot.url).toBeNull();
      expect(slack.callsTo('apps.connections.open').at(-1)?.token).toBe(slack.appToken);
      const peer = await slack.socket();
      const id = 'slack-socket';
      await start(id);
      const gate = await gateMessage(id);

      const statusUrl = slack.responseUrl();
      const commandFields = Object.fromEntries(
        new URLSearchParams(
          slashCommandBody({ text: `status ${id}`, user_id: 'U0ALICE', channel_id: CHANNEL, response_url: statusUrl }),
        ),
      );
      const ack = await peer.deliver('slash_commands', commandFields);
      expect(ack.envelope_id).toBeTypeOf('string');
      expect((await reply(statusUrl)).text).toContain('waiting for approval before *canary-1*');

      const approveUrl = slack.responseUrl();
      await peer.deliver(
        'interactive',
        blockActionPayload({
          user: 'U0MALLORY',
          channel: CHANNEL,
          message: { ts: gate.ts, blocks: gate.blocks },
          actionId: APPROVE_ACTION,
          value: buttonValue(gate, APPROVE_ACTION),
          responseUrl: approveUrl,
        }),
      );
      expect((await reply(approveUrl)).text).toContain('you are not an approver');
      await peer.deliver(
        'interactive',
        blockActionPayload({
          user: 'U0BOB',
          channel: CHANNEL,
          message: { ts: gate.ts, blocks: gate.blocks },
          actionId: APPROVE_ACTION,
          value: buttonValue(gate, APPROVE_ACTION),
          responseUrl: slack.responseUrl(),
        }),
      );
      await eventually('the approval over the socket', async () => (await status(id)).decisions[0]?.by === 'U0BOB');
      await rolloutHandle(client, id).signal('rollback', { reason: 'test over', by: 'test' });
      await rolloutHandle(client, id).result();
    } finally {
      await socketBot.stop();
    }
  });
});

describe('/rollout revert', () => {
  it('puts the previous model back after promotion, for approvers and on-call only, with a reason, and only once promoted', async () => {
    const id = 'slack-revert';
    // No traffic: every window is inconclusive and asks a person, which is how this one gets promoted.
    await start(id, {
      stages: {
        shadow: { enabled: false },
        canary: { steps: [{ weight: 50, window: '2s' }], checkInterval: '1s' },
        cutover: { bake: '2s', revertWindow: '1h' },
      },
      approvals: { requiredBefore: [], approvers: ['U0ALICE', 'U0BOB', 'U0CAROL'], timeout: '1h' },
      guardrails: { judge: 'statistical', onInconclusive: 'ask' },
    });
    const approveNextGate = async (before: string) => {
      await eventually(`the gate before ${before}`, async () => (await status(id)).gate?.before === before, 60_000);
      expect((await command('U0BOB', `approve ${id} no traffic in the test`)).response_type).toBe('in_channel');
    };
    await approveNextGate('cutover');
    // Not promoted yet: nothing to revert.
    await eventually('the bake', async () => (await status(id)).stage === 'cutover');
    expect((await command('U0ALICE', `revert ${id} too early`)).text).toContain('is not promoted');
    await approveNextGate('retire');
    await eventually('promotion', async () => (await status(id)).phase === 'promoted', 60_000);
    expect((await route(id)).backends.map((backend) => backend.model)).toEqual(['sim-candidate']);

    expect((await command('U0ALICE', `revert ${id}`)).text).toContain('a revert needs a reason');
    expect((await command('U0MALLORY', `revert ${id} I say so`)).text).toContain(
      'only the approvers and the on-call group',
    );
    const reverted = await command('U0ONCALL', `revert ${id} INC-4320 answers cut off`, 'C0INCIDENT');
    expect(reverted.response_type).toBe('in_channel');
    expect(reverted.text).toContain('`slack-revert` reverted by <@U0ONCALL>: INC-4320 answers cut off');
    expect(reverted.text).toContain('sim-base is back on route `slack-revert` at 100 %');
    // The gateway serves the previous baseline again, and the rollout ends reverted.
    expect((await route(id)).backends.find((backend) => backend.name === 'baseline')?.model).toBe('sim-base');
    expect((await route(id)).weights.baseline).toBe(100);
    const result = await rolloutHandle(client, id).result();
    expect(result.outcome).toBe('reverted');
    expect(result.reverted).toMatchObject({ by: 'U0ONCALL', reason: 'INC-4320 answers cut off' });
    expect((await command('U0ALICE', `revert ${id} again`)).text).toContain('has finished (reverted');
  });
});

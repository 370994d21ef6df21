// The Slack EventSink: every rollout event of a plan with `notifications.slack` goes to Slack with
// Block Kit. The first event posts the rollout's root message in the plan's channel; everything
// after is a reply in its thread. A gate posts the approval message (broadcast to the channel)
// with Approve / Reject buttons; its decision, or the gate closing without one, updates that
// message in place, whoever decided (Slack, CLI, temporal CLI, UI).
//
// Where the thread is: kept in this worker's memory (rollout id → root ts, gate id → message).
// After a restart, or on another worker, the sink finds it again from the messages' metadata
// (`conversations.history` / `conversations.replies` with include_all_metadata), scanning the
// channel's latest MAX_HISTORY_PAGES × 200 messages; a rollout older than that in a very busy
// channel gets a new root message. Nothing is stored anywhere else.
import { ApplicationFailure, Context } from '@temporalio/activity';
import { webApi, type types } from '@slack/bolt';
import {
  closedGateBlocks,
  decidedGateBlocks,
  FINAL_EVENTS,
  GATE_METADATA,
  gateMessage,
  gateProgressBlocks,
  hasOpenButtons,
  ROOT_METADATA,
  rootMessage,
  rootState,
  threadLine,
  type RolloutFacts,
} from '../block-kit/rollout-blocks';
import type { NotifyInput, RolloutEvent } from './contract';
import type { EventSink } from './notify';
import type { RolloutStatus } from '../workflows/rollout-state';
import { FailureType } from '../workflows/failure-types';
import { rolloutUiLink } from '../lib/ui-link';

type Block = types.KnownBlock;
type WebClient = InstanceType<typeof webApi.WebClient>;

const MAX_HISTORY_PAGES = 5;
const MAX_REMEMBERED = 2_000;

export interface SlackSinkOptions {
  /** Bot token (xoxb-…), with chat:write and channels:history / groups:history. */
  token?: string;
  /** Slack's Web API base URL; a stand-in in tests. */
  apiUrl?: string;
  /** A ready client instead of token + apiUrl. */
  client?: WebClient;
  /** Temporal UI base URL for links when the plan names none. */
  temporalUiUrl?: string;
  /**
   * What the messages say about a rollout (models, requester), overriding the event's own facts.
   * Default: the event's facts; for an event without them (sent by an older workflow), the
   * workflow's `status` query through the activity's client; failing that, just the id and name.
   */
  describeRollout?: (rolloutId: string) => Promise<Partial<RolloutFacts> | null>;
}

interface Thread {
  channel: string;
  ts: string;
  facts: RolloutFacts;
  blocks: Block[];
  /** The gate message still showing buttons, if any. */
  openGate?: GateMessage;
}

interface GateMessage {
  gateId: string;
  channel: string;
  ts: string;
  blocks: Block[];
}

interface SlackMessage {
  ts?: string;
  blocks?: Block[];
  metadata?: { event_type?: string; event_payload?: Record<string, unknown> };
}

/** Slack's answers that retrying cannot fix: the activity fails at once instead. */
const PERMANENT = new Set([
  'channel_not_found',
  'not_in_channel',
  'is_archived',
  'invalid_auth',
  'not_authed',
  'account_inactive',
  'token_revoked',
  'missing_scope',
  'invalid_blocks',
  'msg_too_long',
  'no_permission',
]);

export function slackClient(options: { token: string; apiUrl?: string }): WebClient {
  return new webApi.WebClient(options.token, {
    slackApiUrl: options.apiUrl,
    // The activity has its own retry policy: one quick retry here, then let it decide.
    retryConfig: { retries: 1, factor: 1, minTimeout: 200, maxTimeout: 200 },
    rejectRateLimitedCalls: true,
    timeout: 5_000,
  });
}

export function createSlackEventSink(options: SlackSinkOptions): EventSink {
  if (!options.client && !options.token)
    throw new Error('Slack sink: a bot token (SLACK_BOT_TOKEN) or a client is required');
  const client = options.client ?? slackClient({ token: options.token!, apiUrl: options.apiUrl });
  const threads = new Map<string, Thread>();
  const posted = new Set<string>();
  const queues = new Map<string, Promise<void>>();

  const remember = (key: string) => {
    posted.add(key);
    if (posted.size > MAX_REMEMBERED) posted.delete(posted.values().next().value!);
  };

  async function call<T>(what: string, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      const code = (error as { data?: { error?: string } }).data?.error;
      if (code && PERMANENT.has(code))
        throw ApplicationFailure.nonRetryable(`Slack refused ${what}: ${code}`, FailureType.SlackRefused);
      throw new Error(`Slack ${what} failed: ${(error as Error).message}`, { cause: error });
    }
  }

  async function describe(event: RolloutEvent): Promise<RolloutFacts> {
    const base: RolloutFacts = { rolloutId: event.rolloutId, name: event.name };
    // Events carry the models and the requester; only an event from an older workflow needs asking.
    if (event.candidateModel && !options.describeRollout) {
      return {
        ...base,
        baselineModel: event.baselineModel,
        candidateModel: event.candidateModel,
        requestedBy: event.requestedBy,
      };
    }
    try {
      const found = options.describeRollout
        ? await options.describeRollout(event.rolloutId)
        : await describeFromWorkflow(event.rolloutId);
      return { ...base, ...(found ?? {}) };
    } catch {
      return base;
    }
  }

  async function findThread(channel: string, rolloutId: string): Promise<Thread | null> {
    let cursor: string | undefined;
    for (let page = 0; page < MAX_HISTORY_PAGES; page++) {
      const result = await call('conversations.history', () =>
        client.conversations.history({ channel, limit: 200, include_all_metadata: true, cursor }),
      );
      for (const message of (result.messages ?? []) as SlackMessage[]) {
        const payload = message.metadata?.event_payload;
        if (
          message.metadata?.event_type === ROOT_METADATA &&
          payload?.rollout_id === rolloutId &&
          payload.finished !== true &&
          message.ts
        ) {
          const facts = (payload.facts ?? { rolloutId }) as RolloutFacts;
          return { channel, ts: message.ts, facts: { ...facts, rolloutId }, blocks: message.blocks ?? [] };
        }
      }
      cursor = result.response_metadata?.next_cursor || undefined;
      if (!cursor) break;
    }
    return null;
  }

  async function threadFor(event: RolloutEvent, channel: string, uiLink: string | undefined): Promise<Thread> {
    const known = threads.get(event.rolloutId);
    if (known && known.channel === channel) return known;
    const found = await findThread(channel, event.rolloutId);
    if (found) {
      threads.set(event.rolloutId, found);
      return found;
    }
    const facts = { ...(await describe(event)), uiLink, ...(event.report && { report: event.report }) };
    const root = rootMessage(facts, rootState(event));
    const result = await call('chat.postMessage (rollout root)', () =>
      client.chat.postMessage({
        channel,
        text: root.text,
        blocks: root.blocks,
        unfurl_links: false,
        metadata: {
          event_type: ROOT_METADATA,
          event_payload: { rollout_id: event.rolloutId, finished: false, facts: compactFacts(facts) },
        },
      }),
    );
    const thread: Thread = { channel: result.channel ?? channel, ts: result.ts!, facts, blocks: root.blocks };
    threads.set(event.rolloutId, thread);
    if (threads.size > MAX_REMEMBERED) threads.delete(threads.keys().next().value!);
    return thread;
  }

  async function findGate(thread: Thread, gateId: string): Promise<GateMessage | null> {
    if (thread.openGate?.gateId === gateId) return thread.openGate;
    const result = await call('conversations.replies', () =>
      client.conversations.replies({
        channel: thread.channel,
        ts: thread.ts,
        include_all_metadata: true,
        limit: 1_000,
      }),
    );
    for (const message of (result.messages ?? []) as SlackMessage[]) {
      if (
        message.metadata?.event_type === GATE_METADATA &&
        message.metadata.event_payload?.gate_id === gateId &&
        message.ts
      ) {
        return { gateId, channel: thread.channel, ts: message.ts, blocks: message.blocks ?? [] };
      }
    }
    return null;
  }

  async function updateGate(gate: GateMessage, blocks: Block[], text: string): Promise<void> {
    await call('chat.update (gate)', () => client.chat.update({ channel: gate.channel, ts: gate.ts, text, blocks }));
    gate.blocks = blocks;
  }

  async function updateRoot(thread: Thread, event: RolloutEvent): Promise<void> {
    const root = rootMessage(thread.facts, rootState(event));
    const finished = FINAL_EVENTS.has(event.type);
    await call('chat.update (rollout root)', () =>
      client.chat.update({
        channel: thread.channel,
        ts: thread.ts,
        text: root.text,
        blocks: root.blocks,
        metadata: {
          event_type: ROOT_METADATA,
          event_payload: { rollout_id: event.rolloutId, finished, facts: compactFacts(thread.facts) },
        },
      }),
    );
    thread.blocks = root.blocks;
  }

  async function deliver(event: RolloutEvent, input: NotifyInput): Promise<void> {
    const slack = input.notifications.slack;
    if (!slack) return;
    const key = `${event.rolloutId}|${event.type}|${event.at}|${event.gate?.id ?? ''}`;
    // A retried activity must not post the same line twice.
    if (posted.has(key)) return;
    const namespace = activityNamespace();
    const uiLink = rolloutUiLink(
      input.notifications.temporalUiUrl ?? options.temporalUiUrl,
      namespace,
      event.rolloutId,
    );
    const thread = await threadFor(event, slack.channel, uiLink);
    if (event.report) thread.facts = { ...thread.facts, report: event.report };

    if (event.type === 'gate_opened' && event.gate) {
      const opened = event.gate;
      const gate = gateMessage({
        ...thread.facts,
        uiLink: thread.facts.uiLink ?? uiLink,
        gate: opened,
        stage: event.stage,
        verdict: event.verdict,
      });
      const result = await call('chat.postMessage (gate)', () =>
        client.chat.postMessage({
          channel: thread.channel,
          thread_ts: thread.ts,
          reply_broadcast: true,
          text: gate.text,
          blocks: gate.blocks,
          unfurl_links: false,
          metadata: { event_type: GATE_METADATA, event_payload: { rollout_id: event.rolloutId, gate_id: opened.id } },
        }),
      );
      thread.openGate = { gateId: opened.id, channel: thread.channel, ts: result.ts!, blocks: gate.blocks };
      remember(key);
      await updateRoot(thread, event);
      return;
    }

    if ((event.type === 'gate_approved' || event.type === 'gate_rejected') && event.gate) {
      const gate = await findGate(thread, event.gate.id);
      if (gate) {
        const decision = event.type === 'gate_approved' ? 'approved' : 'rejected';
        const reason = /^(?:approved|rejected) by .+? before .+?: (.*)$/s.exec(event.message)?.[1];
        await updateGate(
          gate,
          decidedGateBlocks(gate.blocks, {
            decision,
            by: event.by ?? 'unknown',
            at: event.at,
            reason,
            ...(event.gate.approvedBy && { approvedBy: event.gate.approvedBy }),
          }),
          `${decision} by ${event.by ?? 'unknown'}`,
        );
      }
      if (thread.openGate?.gateId === event.gate.id) thread.openGate = undefined;
    } else if (event.type === 'gate_approval' && event.gate?.required) {
      // One approval of several: the gate stays open, its message says who has approved and who may still.
      const gate = await findGate(thread, event.gate.id);
      if (gate)
        await updateGate(
          gate,
          gateProgressBlocks(gate.blocks, {
            approvedBy: event.gate.approvedBy ?? [],
            required: event.gate.required,
            approvers: event.gate.approvers,
            requestedBy: event.requestedBy,
          }),
          event.message,
        );
    } else if (thread.openGate && hasOpenButtons(thread.openGate.blocks)) {
      // The gate closed without a decision (rollback, timeout, cancellation): no live buttons left behind.
      await updateGate(
        thread.openGate,
        closedGateBlocks(thread.openGate.blocks, `${event.type.replace(/_/g, ' ')}: ${event.message}`, event.at),
        'gate closed',
      );
      thread.openGate = undefined;
    }

    const line = threadLine(event);
    await call('chat.postMessage (thread)', () =>
      client.chat.postMessage({
        channel: thread.channel,
        thread_ts: thread.ts,
        text: line.text,
        blocks: line.blocks,
        unfurl_links: false,
      }),
    );
    remember(key);
    if (FINAL_EVENTS.has(event.type) || event.type === 'stage_started' || event.type.startsWith('gate_'))
      await updateRoot(thread, event);
    if (FINAL_EVENTS.has(event.type)) threads.delete(event.rolloutId);
  }

  return (event, input) => {
    // One rollout's events in order, even if two activities overlap (retries, slow Slack).
    const previous = queues.get(event.rolloutId) ?? Promise.resolve();
    const next = previous.catch(() => undefined).then(() => deliver(event, input));
    const settled = next.catch(() => undefined);
    queues.set(event.rolloutId, settled);
    void settled.then(() => {
      if (queues.get(event.rolloutId) === settled) queues.delete(event.rolloutId);
    });
    return next;
  };
}

/** The facts as message metadata (string values only; Slack refuses nulls). */
function compactFacts(facts: RolloutFacts): Record<string, string> {
  const entries = Object.entries({
    rolloutId: facts.rolloutId,
    name: facts.name,
    baselineModel: facts.baselineModel,
    candidateModel: facts.candidateModel,
    requestedBy: facts.requestedBy,
    uiLink: facts.uiLink,
    report: facts.report,
  });
  return Object.fromEntries(entries.filter((entry): entry is [string, string] => typeof entry[1] === 'string'));
}

function activityNamespace(): string {
  try {
    return Context.current().info.workflowNamespace ?? 'default';
  } catch {
    return 'default';
  }
}

/** The rollout's own status query, through the worker's client (the activity runs beside it). */
async function describeFromWorkflow(rolloutId: string): Promise<Partial<RolloutFacts> | null> {
  const status = await Context.current().client.workflow.getHandle(rolloutId).query<RolloutStatus>('status');
  return {
    name: status.name,
    baselineModel: status.baselineModel,
    candidateModel: status.candidateModel,
    requestedBy: status.requestedBy,
  };
}

/**
 * The sink from the worker's environment: SLACK_BOT_TOKEN enables it; SLACK_API_URL points it at
 * another Web API (a stand-in); TEMPORAL_UI_URL gives links when the plan names no UI.
 */
export function slackSinkFromEnv(env: NodeJS.ProcessEnv = process.env): EventSink | null {
  const token = env.SLACK_BOT_TOKEN?.trim();
  if (!token) return null;
  return createSlackEventSink({
    token,
    apiUrl: env.SLACK_API_URL?.trim() || undefined,
    temporalUiUrl: env.TEMPORAL_UI_URL?.trim() || undefined,
  });
}

// The rollout Slack bot (@slack/bolt): Approve / Reject buttons on gate messages (Reject asks for
// a reason in a modal), and `/rollout status|list|approve|reject|pause|resume|rollback`.
//
// Decisions reach the workflow as Updates whose id is the gate's (`decision:<gateId>`): a double
// click, a second approver's click or a retried request gets the first decision back instead of
// deciding again, and the workflow's validator has the final word. Who may do what is in
// access.ts; refusals are ephemeral and change nothing.
//
// HTTP mode: Bolt's HTTPReceiver behind RequestGuard (replays and future timestamps), on our own
// server so the bot also answers GET /healthz. Socket Mode: Bolt's SocketModeReceiver.
import { createServer, type Server } from 'node:http';
import {
  App,
  HTTPReceiver,
  LogLevel,
  SocketModeReceiver,
  type BlockButtonAction,
  type Logger,
  type RespondFn,
  type SlashCommand,
  type types,
  type webApi,
} from '@slack/bolt';
import type { Client } from '@temporalio/client';
import { describeBreakGlass } from '../client/break-glass';
import { SlackAccess, type Requester } from './access';
import {
  APPROVE_ACTION,
  decidedGateBlocks,
  escapeText,
  mention,
  parseGateButtonValue,
  parseRejectModalContext,
  REASON_BLOCK,
  REASON_INPUT,
  REJECT_ACTION,
  REJECT_MODAL,
  rejectModal,
  statusText,
  type GateButtonValue,
} from '../block-kit/rollout-blocks';
import { parseRolloutCommand, USAGE, type RolloutCommand } from './commands';
import { RequestGuard } from './request-guard';
import { RolloutService, type DecisionResult } from '../client/rollout-service';
import { listenOn } from '../stack/listen';

type WebClient = InstanceType<typeof webApi.WebClient>;
type Block = types.KnownBlock;

export interface RolloutBotOptions {
  temporal: Client;
  namespace?: string;
  /** Base URL of the Temporal UI, for links. */
  temporalUiUrl?: string;
  /** Bot token (xoxb-…). */
  botToken: string;
  mode: 'http' | 'socket';
  /** HTTP mode: the app's signing secret. */
  signingSecret?: string;
  /** Socket Mode: an app-level token (xapp-…) with connections:write. */
  appToken?: string;
  /** Slack's Web API base URL; a stand-in in tests. */
  slackApiUrl?: string;
  /** HTTP mode: where to listen (default 127.0.0.1, a free port) and the events path. */
  host?: string;
  port?: number;
  path?: string;
  /** The slash command's name (default /rollout). */
  command?: string;
  logLevel?: LogLevel;
  logger?: Logger;
  /** How long a modal submission may wait for the workflow before the answer goes to the response URL instead (Slack allows 3 s). */
  modalDecisionTimeoutMs?: number;
}

export interface RunningRolloutBot {
  app: App;
  /** HTTP mode: the request URL to give Slack (…/slack/events); null in Socket Mode. */
  url: string | null;
  stop(): Promise<void>;
}

interface DecisionCheck {
  openGateId: string | null;
  openBefore: string | null;
  openGateDecided: boolean;
  /** The approver group through which the user may decide, if not named directly. */
  viaGroup?: string;
}

interface Reply {
  text: string;
  inChannel?: boolean;
}

const REFUSAL_PREFIX = ':no_entry_sign: ';
const NOT_ANSWERING = (id: string) => `rollout \`${id}\` is not answering (is its worker running?); nothing changed`;

export async function startRolloutBot(options: RolloutBotOptions): Promise<RunningRolloutBot> {
  const clientOptions = options.slackApiUrl ? { slackApiUrl: options.slackApiUrl } : {};
  const logLevel = options.logLevel ?? LogLevel.INFO;
  const path = options.path ?? '/slack/events';
  let app: App;
  let server: Server | null = null;
  let httpReceiver: HTTPReceiver | null = null;

  if (options.mode === 'http') {
    if (!options.signingSecret) throw new Error('Slack bot: HTTP mode needs the app’s signing secret (SLACK_SIGNING_SECRET)');
    httpReceiver = new HTTPReceiver({ signingSecret: options.signingSecret, endpoints: path, logger: options.logger, logLevel, processBeforeResponse: false });
    app = new App({ token: options.botToken, receiver: httpReceiver, clientOptions, logger: options.logger, logLevel, deferInitialization: true });
  } else {
    if (!options.appToken) throw new Error('Slack bot: Socket Mode needs an app-level token (SLACK_APP_TOKEN, xapp-…)');
    const receiver = new SocketModeReceiver({ appToken: options.appToken, logger: options.logger, logLevel, installerOptions: { clientOptions } });
    app = new App({ token: options.botToken, receiver, clientOptions, logger: options.logger, logLevel, deferInitialization: true });
  }

  // auth.test: a wrong token fails here, at start, not at the first click.
  await app.init();
  const bot = new RolloutBot(options, app.client);
  bot.register(app, options.command ?? '/rollout');
  app.error(async (error) => {
    app.logger.error(`rollout bot: unhandled error: ${error.message}`);
  });

  if (httpReceiver) {
    const guard = new RequestGuard({ signingSecret: options.signingSecret! });
    const receiver = httpReceiver;
    server = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://localhost');
      if (req.method === 'GET' && url.pathname === '/healthz') {
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
        return;
      }
      if (url.pathname !== path) {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
        return;
      }
      if (req.method !== 'POST') {
        res.writeHead(405, { allow: 'POST', 'content-type': 'text/plain' }).end('POST only\n');
        return;
      }
      void guard.admit(req, res).then(
        (admitted) => {
          if (admitted) receiver.requestListener(req, res);
        },
        (error: unknown) => {
          app.logger.error(`rollout bot: request failed: ${(error as Error).message}`);
          if (!res.headersSent) res.writeHead(500).end();
        },
      );
    });
    const host = options.host ?? '127.0.0.1';
    const { origin } = await listenOn(server, host, options.port);
    return {
      app,
      url: `${origin}${path}`,
      async stop() {
        server!.closeAllConnections();
        await new Promise<void>((resolve) => server!.close(() => resolve()));
      },
    };
  }

  await app.start();
  return {
    app,
    url: null,
    async stop() {
      await app.stop();
    },
  };
}

class RolloutBot {
  private readonly service: RolloutService;
  private readonly access: SlackAccess;

  constructor(
    private readonly options: RolloutBotOptions,
    private readonly client: WebClient,
  ) {
    this.service = new RolloutService(options.temporal, { namespace: options.namespace ?? options.temporal.options.namespace, temporalUiUrl: options.temporalUiUrl });
    this.access = new SlackAccess(client);
  }

  register(app: App, command: string): void {
    app.action<BlockButtonAction>(APPROVE_ACTION, async ({ ack, body, action, respond }) => {
      await ack();
      await this.guarded(respond, () => this.onApproveClick(body, action.value, respond));
    });
    app.action<BlockButtonAction>(REJECT_ACTION, async ({ ack, body, action, respond }) => {
      await ack();
      await this.guarded(respond, () => this.onRejectClick(body, action.value, respond));
    });
    app.view(REJECT_MODAL, async ({ ack, body, view }) => {
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
      const decision = this.decideFromSlack('reject', context, who, reason).catch((error: unknown) => ({ refusal: `could not reach the rollout (${(error as Error).message}); check \`/rollout status ${context.rolloutId}\`` }));
      const timeoutMs = this.options.modalDecisionTimeoutMs ?? 2_500;
      const settled = await Promise.race([decision, new Promise<null>((resolve) => setTimeout(() => resolve(null), timeoutMs).unref())]);
      if (settled && ('refusal' in settled || settled.duplicate)) {
        const text = 'refusal' in settled ? settled.refusal : settled.text;
        await ack({ response_action: 'errors', errors: { [REASON_BLOCK]: text.slice(0, 2_000) } });
        return;
      }
      await ack();
      // Slow workflow: the modal has closed; the answer goes to the channel through the click's response URL.
      const outcome = settled ?? (await decision);
      const reply = 'refusal' in outcome ? `${REFUSAL_PREFIX}${outcome.refusal}` : outcome.duplicate ? outcome.text : null;
      if (reply && context.responseUrl) await this.postToResponseUrl(context.responseUrl, reply);
      if ('receipt' in outcome && !outcome.duplicate) {
        // From a button: the gate message shows it. From `/rollout reject`: say it in the channel.
        if (context.messageTs) await this.markDecided(context.channel, context.messageTs, null, outcome, reason);
        else if (context.responseUrl) await this.postToResponseUrl(context.responseUrl, outcome.text, 'in_channel');
      }
    });
    app.command(command, async ({ ack, command: slash, respond }) => {
      await ack();
      await this.guarded(respond, async () => {
        const reply = await this.onCommand(slash, parseRolloutCommand(slash.text));
        if (reply) await respond({ response_type: reply.inChannel ? 'in_channel' : 'ephemeral', text: reply.text });
      });
    });
  }

  // ---- buttons -------------------------------------------------------------------------------

  private async onApproveClick(body: BlockButtonAction, value: string | undefined, respond: RespondFn): Promise<void> {
    const gate = parseGateButtonValue(value);
    if (!gate) return ephemeral(respond, `${REFUSAL_PREFIX}this button is malformed; nothing changed`);
    const outcome = await this.decideFromSlack('approve', gate, requesterOf(body), undefined);
    if ('refusal' in outcome) return ephemeral(respond, `${REFUSAL_PREFIX}${outcome.refusal}`);
    if (outcome.duplicate) return ephemeral(respond, outcome.text);
    if (body.message?.ts && body.channel?.id) await this.markDecided(body.channel.id, body.message.ts, (body.message.blocks ?? null) as Block[] | null, outcome, undefined);
  }

  private async onRejectClick(body: BlockButtonAction, value: string | undefined, respond: RespondFn): Promise<void> {
    const gate = parseGateButtonValue(value);
    if (!gate) return ephemeral(respond, `${REFUSAL_PREFIX}this button is malformed; nothing changed`);
    const who = requesterOf(body);
    // Strangers get no form: the same checks as a decision, before asking for a reason.
    const check = await this.checkDecision(gate.rolloutId, who, 'rejected');
    if ('refusal' in check) return ephemeral(respond, `${REFUSAL_PREFIX}${check.refusal}`);
    if (check.openGateId !== gate.gateId) {
      return ephemeral(respond, `${REFUSAL_PREFIX}this gate is no longer open${check.openGateId ? ` (the open gate is before ${check.openBefore})` : ''}; nothing changed`);
    }
    await this.client.views.open({
      trigger_id: body.trigger_id,
      view: rejectModal({ ...gate, channel: who.channelId, channelName: who.channelName, messageTs: body.message?.ts, responseUrl: body.response_url }),
    });
  }

  // ---- decisions -----------------------------------------------------------------------------

  /** Whether `who` may decide on rollout `id` now, and its open gate as the rollout reports it. */
  private async checkDecision(id: string, who: Requester, what: string): Promise<{ refusal: string } | DecisionCheck> {
    const found = await this.service.lookup(id);
    if (found.kind !== 'running') return { refusal: `${found.message}; nothing to decide` };
    const allowed = await this.access.mayDecide(found.plan, who, what);
    if (!allowed.ok) return { refusal: allowed.message };
    if (!found.status) return { refusal: NOT_ANSWERING(id) };
    const { gate } = found.status;
    return { openGateId: gate?.id ?? null, openBefore: gate?.before ?? null, openGateDecided: gate?.decision !== undefined, viaGroup: allowed.viaGroup };
  }

  /**
   * Checks (unless the caller just did), then the Update; the answer is a refusal, a duplicate's
   * explanation, or the receipt.
   */
  private async decideFromSlack(
    decision: 'approve' | 'reject',
    gate: Pick<GateButtonValue, 'rolloutId' | 'gateId'>,
    who: Requester,
    reason: string | undefined,
    checked?: DecisionCheck,
  ): Promise<{ refusal: string } | (Extract<DecisionResult, { ok: true }> & { text: string })> {
    const check = checked ?? (await this.checkDecision(gate.rolloutId, who, decision === 'approve' ? 'approved' : 'rejected'));
    if ('refusal' in check) return check;
    // Already decided when we looked (a double click, a late click): a receipt can only be the first decision's.
    const decidedEarlier = check.openGateId !== gate.gateId || check.openGateDecided;
    const decided = await this.service.decide(gate.rolloutId, decision, { by: who.userId, gateId: gate.gateId, reason, viaGroup: check.viaGroup });
    if (!decided.ok) return { refusal: refusalText(decided.kind, decided.message) };
    const result = { ...decided, duplicate: decided.duplicate || decidedEarlier };
    const text = result.duplicate
      ? `This gate was already ${result.receipt.decision} by ${mention(result.receipt.by)}; nothing changed.`
      : `${result.receipt.decision === 'approved' ? ':white_check_mark: Approved' : ':no_entry: Rejected'} \`${gate.rolloutId}\` before *${escapeText(result.receipt.before)}*${reason ? `: ${escapeText(reason)}` : ''} (by ${mention(who.userId)})`;
    return { ...result, text };
  }

  /** Updates the gate message in place: buttons gone, who decided and when. */
  private async markDecided(channel: string, ts: string, blocks: Block[] | null, outcome: Extract<DecisionResult, { ok: true }>, reason: string | undefined): Promise<void> {
    let current = blocks;
    if (!current) {
      const history = await this.client.conversations.history({ channel, latest: ts, inclusive: true, limit: 1 }).catch(() => null);
      current = ((history?.messages?.[0] as { blocks?: Block[] } | undefined)?.blocks ?? null) as Block[] | null;
    }
    if (!current) return; // the worker's Slack sink updates it on the decision event
    const { receipt } = outcome;
    await this.client.chat.update({
      channel,
      ts,
      text: `${receipt.decision} by ${receipt.by} before ${receipt.before}`,
      blocks: decidedGateBlocks(current, { decision: receipt.decision, by: receipt.by, at: new Date().toISOString(), reason }),
    });
  }

  // ---- /rollout --------------------------------------------------------------------------------

  private async onCommand(slash: SlashCommand, command: RolloutCommand): Promise<Reply | null> {
    const who: Requester = { userId: slash.user_id, channelId: slash.channel_id, channelName: slash.channel_name };
    switch (command.kind) {
      case 'help':
        return { text: USAGE };
      case 'invalid':
        return { text: `${REFUSAL_PREFIX}${command.message}` };
      case 'list': {
        const rows = await this.service.listRunning();
        if (rows.length === 0) return { text: 'No rollouts are running.' };
        return { text: ['*Running rollouts*', ...rows.map((row) => `• \`${row.id}\` ${row.stage ? `stage *${escapeText(row.stage)}*` : ''}${row.candidate ? ` · ${escapeText(row.candidate)}` : ''}`)].join('\n') };
      }
      case 'status': {
        const found = await this.service.lookup(command.id);
        if (found.kind === 'running') return { text: found.status ? statusText(found.status, this.service.uiLink(command.id)) : `${REFUSAL_PREFIX}${NOT_ANSWERING(command.id)}` };
        if (found.kind === 'finished' && found.status) return { text: statusText(found.status, this.service.uiLink(command.id)) };
        return { text: `${REFUSAL_PREFIX}${found.message}` };
      }
      case 'approve':
      case 'reject': {
        const what = command.kind === 'approve' ? 'approved' : 'rejected';
        const check = await this.checkDecision(command.id, who, what);
        if ('refusal' in check) return { text: `${REFUSAL_PREFIX}${check.refusal}` };
        if (!check.openGateId) return { text: `${REFUSAL_PREFIX}rollout \`${command.id}\` is not waiting for approval; nothing to decide` };
        if (command.kind === 'reject' && !command.reason) {
          await this.client.views.open({
            trigger_id: slash.trigger_id,
            view: rejectModal({ rolloutId: command.id, gateId: check.openGateId, before: check.openBefore ?? '', channel: who.channelId, channelName: who.channelName, responseUrl: slash.response_url }),
          });
          return null;
        }
        const outcome = await this.decideFromSlack(command.kind, { rolloutId: command.id, gateId: check.openGateId }, who, command.reason, check);
        if ('refusal' in outcome) return { text: `${REFUSAL_PREFIX}${outcome.refusal}` };
        return { text: outcome.text, inChannel: !outcome.duplicate };
      }
      case 'rollback':
      case 'pause':
      case 'resume': {
        const found = await this.service.lookup(command.id);
        if (found.kind !== 'running') return { text: `${REFUSAL_PREFIX}${found.message}; nothing to ${command.kind}` };
        const allowed = command.kind === 'resume' ? await this.access.mayDecide(found.plan, who, 'resumed') : await this.access.mayStop(found.plan, who, command.kind === 'pause' ? 'pause' : 'roll back');
        if (!allowed.ok) return { text: `${REFUSAL_PREFIX}${allowed.message}` };
        const { status } = found;
        if (command.kind === 'rollback') {
          // Without a status (worker down) the signal still goes out: the workflow acts on it when it runs.
          if (status?.rollbackRequest) return { text: `A rollback of \`${command.id}\` was already requested by ${mention(status.rollbackRequest.by)}: ${escapeText(status.rollbackRequest.reason)}` };
          const result = await this.service.rollback(command.id, { reason: command.reason, by: who.userId });
          if (!result.ok) return { text: `${REFUSAL_PREFIX}${result.message}` };
          return { text: `:rotating_light: Rollback of \`${command.id}\` requested by ${mention(who.userId)}: ${escapeText(command.reason)}\n${escapeText(describeBreakGlass(result.traffic))}`, inChannel: true };
        }
        if (command.kind === 'pause') {
          if (status?.paused) return { text: `\`${command.id}\` is already paused (by ${mention(status.paused.by)})` };
          const result = await this.service.pause(command.id, { by: who.userId, reason: command.reason });
          if (!result.ok) return { text: `${REFUSAL_PREFIX}${result.message}` };
          return { text: `:double_vertical_bar: \`${command.id}\` paused by ${mention(who.userId)}${command.reason ? `: ${escapeText(command.reason)}` : ''}`, inChannel: true };
        }
        if (status && !status.paused) return { text: `\`${command.id}\` is not paused; nothing to resume` };
        const result = await this.service.resume(command.id, { by: who.userId, reason: command.reason });
        if (!result.ok) return { text: `${REFUSAL_PREFIX}${result.message}` };
        return { text: `:arrow_forward: \`${command.id}\` resumed by ${mention(who.userId)}`, inChannel: true };
      }
    }
  }

  // ---- plumbing ----------------------------------------------------------------------------------

  /** Any failure (Temporal unreachable, Slack refusing) reaches the user instead of vanishing. */
  private async guarded(respond: RespondFn, work: () => Promise<void>): Promise<void> {
    try {
      await work();
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      await respond({ response_type: 'ephemeral', replace_original: false, text: `:warning: could not complete that: ${escapeText(message)}. Check the rollout with \`/rollout status <id>\` before trying again.` }).catch(() => undefined);
    }
  }

  private async postToResponseUrl(url: string, text: string, responseType: 'ephemeral' | 'in_channel' = 'ephemeral'): Promise<void> {
    await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ response_type: responseType, replace_original: false, text }), signal: AbortSignal.timeout(5_000) }).catch(() => undefined);
  }
}

function requesterOf(body: BlockButtonAction): Requester {
  return { userId: body.user.id, channelId: body.channel?.id ?? body.container?.channel_id ?? '', channelName: body.channel?.name };
}

async function ephemeral(respond: RespondFn, text: string): Promise<void> {
  await respond({ response_type: 'ephemeral', replace_original: false, text });
}

const REFUSALS: Record<string, string> = {
  UnauthorizedApprover: 'the rollout does not accept you as an approver',
  SelfApprovalForbidden: 'you requested this rollout, so someone else must approve it',
  NoOpenGate: 'the rollout is not waiting for approval',
  GateAlreadyDecided: 'this gate was already decided',
  StaleGate: 'this gate is no longer open',
  ReasonRequired: 'a reason is required to reject',
  RolloutFinished: 'the rollout has finished',
  InvalidDecision: 'the decision was malformed',
};

function refusalText(kind: string, message: string): string {
  const lead = REFUSALS[kind];
  return `${lead ? `${lead}: ` : ''}${escapeText(message)}; nothing changed`;
}

// The rollout Slack bot (@slack/bolt): Approve / Reject buttons on gate messages (Reject asks for
// a reason in a modal), and `/rollout status|list|approve|reject|pause|resume|rollback`. The
// listeners are in listeners/ (actions, views, commands), each registered by its `register(app)`.
//
// Decisions reach the workflow as Updates whose id is the gate's (`decision:<gateId>`): a double
// click, a second approver's click or a retried request gets the first decision back instead of
// deciding again, and the workflow's validator has the final word. Who may do what is in
// access.ts; refusals are ephemeral and change nothing.
//
// HTTP mode: Bolt's HTTPReceiver and its own server, with RequestGuard (replays and future
// timestamps) in front of its events endpoint and GET /healthz as a custom route. Socket Mode:
// Bolt's SocketModeReceiver.
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  App,
  ErrorCode,
  HTTPReceiver,
  LogLevel,
  SocketModeReceiver,
  type Logger,
  type ReceiverDispatchErrorHandlerArgs,
} from '@slack/bolt';
import type { Client } from '@temporalio/client';
import { rolloutUiLink } from '../lib/ui-link';
import { RolloutService } from '../client/rollout-service';
import { originOf } from '../lib/listen';
import { SlackAccess } from './access';
import type { BotContext } from './bot-context';
import { GateDecisions } from './gate-decisions';
import { registerListeners } from './listeners';
import { RequestGuard } from './request-guard';
import { requestTargetUrl } from '../lib/request-target';

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

export async function startRolloutBot(options: RolloutBotOptions): Promise<RunningRolloutBot> {
  const clientOptions = options.slackApiUrl ? { slackApiUrl: options.slackApiUrl } : {};
  const logLevel = options.logLevel ?? LogLevel.INFO;
  const path = options.path ?? '/slack/events';
  let app: App;
  let httpReceiver: HTTPReceiver | null = null;

  if (options.mode === 'http') {
    if (!options.signingSecret)
      throw new Error('Slack bot: HTTP mode needs the app’s signing secret (SLACK_SIGNING_SECRET)');
    httpReceiver = new HTTPReceiver({
      signingSecret: options.signingSecret,
      endpoints: path,
      customRoutes: [
        {
          path: '/healthz',
          method: ['GET'],
          handler: (_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}'),
        },
      ],
      dispatchErrorHandler: (args) => answerUnrouted(args, path),
      logger: options.logger,
      logLevel,
      processBeforeResponse: false,
    });
    guardEvents(httpReceiver, path, new RequestGuard({ signingSecret: options.signingSecret }), (message) =>
      app.logger.error(message),
    );
    app = new App({
      token: options.botToken,
      receiver: httpReceiver,
      clientOptions,
      logger: options.logger,
      logLevel,
      deferInitialization: true,
    });
  } else {
    if (!options.appToken) throw new Error('Slack bot: Socket Mode needs an app-level token (SLACK_APP_TOKEN, xapp-…)');
    const receiver = new SocketModeReceiver({
      appToken: options.appToken,
      logger: options.logger,
      logLevel,
      installerOptions: { clientOptions },
    });
    app = new App({
      token: options.botToken,
      receiver,
      clientOptions,
      logger: options.logger,
      logLevel,
      deferInitialization: true,
    });
  }

  // auth.test: a wrong token fails here, at start, not at the first click.
  await app.init();
  const service = new RolloutService(options.temporal);
  const namespace = options.namespace ?? options.temporal.options.namespace;
  const access = new SlackAccess(app.client);
  const bot: BotContext = {
    service,
    access,
    decisions: new GateDecisions(service, access, app.client),
    slack: app.client,
    uiLink: (rolloutId) => rolloutUiLink(options.temporalUiUrl, namespace, rolloutId),
    command: options.command ?? '/rollout',
    modalDecisionTimeoutMs: options.modalDecisionTimeoutMs ?? 2_500,
  };
  registerListeners(app, bot);
  app.error(async (error) => {
    app.logger.error(`rollout bot: unhandled error: ${error.message}`);
  });

  if (httpReceiver) {
    const host = options.host ?? '127.0.0.1';
    const server = (await app.start({ port: options.port ?? 0, host })) as Server;
    return {
      app,
      url: `${originOf(host, (server.address() as AddressInfo).port)}${path}`,
      async stop() {
        server.closeAllConnections();
        await app.stop();
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

/**
 * Puts RequestGuard in front of Bolt's events endpoint: a signed POST is admitted once, then
 * handed to Bolt, which verifies it again. Everything else goes straight to Bolt's own routing.
 */
function guardEvents(
  receiver: HTTPReceiver,
  path: string,
  guard: RequestGuard,
  logError: (message: string) => void,
): void {
  const bolt = receiver.requestListener;
  receiver.requestListener = (req: IncomingMessage, res: ServerResponse) => {
    // Bolt reads the target with `new URL(req.url, base)`, which throws on some (`//%`) and is then
    // answered 500: such a target names no endpoint here.
    if (!boltParsesTarget(req.url ?? '/')) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      return;
    }
    if (req.method !== 'POST' || requestTargetUrl(req.url ?? '/')?.pathname !== path) return bolt(req, res);
    void guard.admit(req, res).then(
      (admitted) => {
        if (admitted) bolt(req, res);
      },
      (error: unknown) => {
        logError(`rollout bot: request failed: ${(error as Error).message}`);
        if (!res.headersSent) res.writeHead(500).end();
      },
    );
  };
}

function boltParsesTarget(target: string): boolean {
  try {
    new URL(target, 'http://localhost');
    return true;
  } catch {
    return false;
  }
}

/** Requests Bolt routes nowhere: 405 on the events path (POST only), 404 elsewhere. */
function answerUnrouted({ error, logger, request, response }: ReceiverDispatchErrorHandlerArgs, path: string): void {
  if ((error as { code?: string }).code !== ErrorCode.HTTPReceiverDeferredRequestError) {
    logger.error(`rollout bot: request failed: ${error.message}`);
    response.writeHead(500).end();
    return;
  }
  if (requestTargetUrl(request.url ?? '/')?.pathname === path) {
    response.writeHead(405, { allow: 'POST', 'content-type': 'text/plain' }).end('POST only\n');
    return;
  }
  response.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
}

// A local stand-in for Slack, for tests that run the real Bolt code path without Slack:
// - Slack's Web API (`/api/<method>`), for Bolt's and our WebClient (`clientOptions.slackApiUrl`):
//   records every call and keeps channel messages, so chat.update / conversations.* behave;
// - `response_url`s (`/respond/<n>`), where Bolt's respond() posts;
// - Socket Mode: `apps.connections.open` hands out a ws:// URL to a minimal WebSocket server
//   (RFC 6455 text frames, ping/pong, close) that delivers envelopes and collects their acks;
// - helpers that sign requests as Slack does (v0 HMAC-SHA256 of `v0:<ts>:<body>`).
import { createHash, createHmac, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';

export interface SlackCall {
  method: string;
  args: Record<string, unknown>;
  token: string | null;
}

export interface StandInMessage {
  channel: string;
  ts: string;
  thread_ts?: string;
  reply_broadcast?: boolean;
  text?: string;
  blocks?: Array<Record<string, unknown>>;
  metadata?: { event_type: string; event_payload: Record<string, unknown> };
  user: string;
  edited?: boolean;
}

export interface SlackApiStandInOptions {
  /** Tokens accepted; others get `invalid_auth`. */
  botToken?: string;
  appToken?: string;
  /** Members of Slack user groups, by group id. */
  userGroups?: Record<string, string[]>;
}

const JSON_FIELDS = new Set(['blocks', 'attachments', 'metadata', 'view']);
const WS_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

export class SlackApiStandIn {
  readonly calls: SlackCall[] = [];
  readonly messages: StandInMessage[] = [];
  /** Bodies POSTed to response URLs, by URL. */
  readonly responses: Array<{ url: string; body: Record<string, unknown> }> = [];
  readonly userGroups: Map<string, string[]>;
  readonly botToken: string;
  readonly appToken: string;
  url = '';
  private server: Server;
  private tsCounter = 0;
  private responseCounter = 0;
  private sockets = new Set<SocketModePeer>();
  private socketWaiters: Array<(peer: SocketModePeer) => void> = [];

  constructor(options: SlackApiStandInOptions = {}) {
    this.botToken = options.botToken ?? 'xoxb-stand-in';
    this.appToken = options.appToken ?? 'xapp-stand-in';
    this.userGroups = new Map(Object.entries(options.userGroups ?? {}));
    this.server = createServer((req, res) => {
      void this.handle(req).then(
        ({ status, body }) => {
          res.writeHead(status, { 'content-type': 'application/json' });
          res.end(JSON.stringify(body));
        },
        (error: unknown) => {
          res.writeHead(500, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ ok: false, error: String(error) }));
        },
      );
    });
    this.server.on('upgrade', (req, socket) => this.upgrade(req, socket));
  }

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  /** For `clientOptions.slackApiUrl`. */
  get apiUrl(): string {
    return `${this.url}/api/`;
  }

  /** A fresh response URL, as Slack puts in slash commands and interactive payloads. */
  responseUrl(): string {
    return `${this.url}/respond/${++this.responseCounter}`;
  }

  callsTo(method: string): SlackCall[] {
    return this.calls.filter((call) => call.method === method);
  }

  responsesTo(url: string): Array<Record<string, unknown>> {
    return this.responses.filter((response) => response.url === url).map((response) => response.body);
  }

  message(channel: string, ts: string): StandInMessage | undefined {
    return this.messages.find((m) => m.channel === channel && m.ts === ts);
  }

  /** Polls until `check` returns a value (not undefined/false), or fails after `timeoutMs`. */
  async waitFor<T>(what: string, check: () => T | undefined | false, timeoutMs = 10_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = check();
      if (value !== undefined && value !== false) return value;
      if (Date.now() > deadline)
        throw new Error(
          `slack stand-in: timed out after ${timeoutMs} ms waiting for ${what}; calls so far: ${this.calls.map((c) => c.method).join(', ')}`,
        );
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  /** The next Socket Mode connection (or the current one). */
  async socket(timeoutMs = 10_000): Promise<SocketModePeer> {
    const open = [...this.sockets].find((peer) => peer.open);
    if (open) return open;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('slack stand-in: no Socket Mode connection')), timeoutMs);
      this.socketWaiters.push((peer) => {
        clearTimeout(timer);
        resolve(peer);
      });
    });
  }

  async close(): Promise<void> {
    for (const peer of this.sockets) peer.destroy();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  // ---- HTTP ----------------------------------------------------------------------------------

  private async handle(req: IncomingMessage): Promise<{ status: number; body: unknown }> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    if (path.startsWith('/respond/')) {
      this.responses.push({ url: `${this.url}${path}`, body: JSON.parse(text) as Record<string, unknown> });
      return { status: 200, body: { ok: true } };
    }
    const method = path.startsWith('/api/') ? path.slice('/api/'.length) : null;
    if (!method) return { status: 404, body: { ok: false, error: 'not_found' } };
    const args = parseArgs(text, String(req.headers['content-type'] ?? ''));
    const auth = String(req.headers.authorization ?? '');
    const token = auth.startsWith('Bearer ') ? auth.slice(7) : typeof args.token === 'string' ? args.token : null;
    this.calls.push({ method, args, token });
    const expected = method === 'apps.connections.open' ? this.appToken : this.botToken;
    if (token !== expected) return { status: 200, body: { ok: false, error: token ? 'invalid_auth' : 'not_authed' } };
    return { status: 200, body: this.api(method, args) };
  }

  private api(method: string, args: Record<string, unknown>): Record<string, unknown> {
    switch (method) {
      case 'auth.test':
        return {
          ok: true,
          url: `${this.url}/`,
          team: 'Stand-in',
          user: 'rollout-bot',
          team_id: 'T0STANDIN',
          user_id: 'U0BOT',
          bot_id: 'B0BOT',
        };
      case 'chat.postMessage': {
        if (typeof args.channel !== 'string' || !args.channel) return { ok: false, error: 'channel_not_found' };
        if (!args.text && !args.blocks) return { ok: false, error: 'no_text' };
        const message: StandInMessage = {
          channel: args.channel,
          ts: this.nextTs(),
          user: 'U0BOT',
          ...(typeof args.thread_ts === 'string' ? { thread_ts: args.thread_ts } : {}),
          ...(args.reply_broadcast === true || args.reply_broadcast === 'true' ? { reply_broadcast: true } : {}),
          text: typeof args.text === 'string' ? args.text : undefined,
          blocks: args.blocks as StandInMessage['blocks'],
          metadata: args.metadata as StandInMessage['metadata'],
        };
        if (message.thread_ts && !this.message(message.channel, message.thread_ts))
          return { ok: false, error: 'thread_not_found' };
        this.messages.push(message);
        return { ok: true, channel: message.channel, ts: message.ts, message: { ...message, type: 'message' } };
      }
      case 'chat.update': {
        const message = this.message(String(args.channel), String(args.ts));
        if (!message) return { ok: false, error: 'message_not_found' };
        if (typeof args.text === 'string') message.text = args.text;
        if (args.blocks !== undefined) message.blocks = args.blocks as StandInMessage['blocks'];
        if (args.metadata !== undefined) message.metadata = args.metadata as StandInMessage['metadata'];
        message.edited = true;
        return { ok: true, channel: message.channel, ts: message.ts, text: message.text };
      }
      case 'chat.postEphemeral':
        return { ok: true, message_ts: this.nextTs() };
      case 'views.open':
        if (typeof args.trigger_id !== 'string' || !args.trigger_id) return { ok: false, error: 'invalid_trigger_id' };
        return { ok: true, view: { id: `V${++this.tsCounter}`, ...(args.view as object) } };
      case 'usergroups.users.list': {
        const users = this.userGroups.get(String(args.usergroup));
        return users ? { ok: true, users } : { ok: false, error: 'no_such_subteam' };
      }
      case 'conversations.history': {
        const channel = String(args.channel);
        const withMetadata = args.include_all_metadata === true || args.include_all_metadata === 'true';
        const top = this.messages.filter(
          (m) => m.channel === channel && (!m.thread_ts || m.thread_ts === m.ts || m.reply_broadcast),
        );
        const list = top.reverse().slice(0, Number(args.limit ?? 100));
        return {
          ok: true,
          messages: list.map((m) => present(m, withMetadata)),
          has_more: false,
          response_metadata: { next_cursor: '' },
        };
      }
      case 'conversations.replies': {
        const channel = String(args.channel);
        const ts = String(args.ts);
        const withMetadata = args.include_all_metadata === true || args.include_all_metadata === 'true';
        const parent = this.message(channel, ts);
        if (!parent) return { ok: false, error: 'thread_not_found' };
        const replies = this.messages.filter((m) => m.channel === channel && m.thread_ts === ts && m.ts !== ts);
        return {
          ok: true,
          messages: [parent, ...replies].map((m) => present(m, withMetadata)),
          has_more: false,
          response_metadata: { next_cursor: '' },
        };
      }
      case 'apps.connections.open':
        return { ok: true, url: `${this.url.replace('http', 'ws')}/socket/${randomUUID()}` };
      default:
        return { ok: false, error: 'unknown_method' };
    }
  }

  private nextTs(): string {
    return `${Math.floor(Date.now() / 1000)}.${String(++this.tsCounter).padStart(6, '0')}`;
  }

  // ---- Socket Mode ---------------------------------------------------------------------------

  private upgrade(req: IncomingMessage, socket: Duplex): void {
    const key = req.headers['sec-websocket-key'];
    if (!req.url?.startsWith('/socket/') || typeof key !== 'string') {
      socket.end('HTTP/1.1 400 Bad Request\r\n\r\n');
      return;
    }
    const accept = createHash('sha1')
      .update(key + WS_GUID)
      .digest('base64');
    socket.write(
      [
        'HTTP/1.1 101 Switching Protocols',
        'Upgrade: websocket',
        'Connection: Upgrade',
        `Sec-WebSocket-Accept: ${accept}`,
        '',
        '',
      ].join('\r\n'),
    );
    const peer = new SocketModePeer(socket, () => this.sockets.delete(peer));
    this.sockets.add(peer);
    peer.send({
      type: 'hello',
      num_connections: 1,
      debug_info: { host: 'stand-in' },
      connection_info: { app_id: 'A0STANDIN' },
    });
    for (const waiter of this.socketWaiters.splice(0)) waiter(peer);
  }
}

/** One Socket Mode connection: sends envelopes, collects the app's acks. */
export class SocketModePeer {
  open = true;
  private buffer = Buffer.alloc(0);
  private acks = new Map<string, (ack: Record<string, unknown>) => void>();

  constructor(
    private readonly socket: Duplex,
    private readonly onClose: () => void,
  ) {
    socket.on('data', (data: Buffer) => this.receive(data));
    socket.on('close', () => {
      this.open = false;
      this.onClose();
    });
    socket.on('error', () => undefined);
  }

  /** Delivers an envelope (type 'slash_commands', 'interactive', …) and resolves with the app's ack. */
  deliver(type: string, payload: Record<string, unknown>, timeoutMs = 10_000): Promise<Record<string, unknown>> {
    const envelopeId = randomUUID();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`socket mode: no ack for ${type} envelope within ${timeoutMs} ms`)),
        timeoutMs,
      );
      this.acks.set(envelopeId, (ack) => {
        clearTimeout(timer);
        resolve(ack);
      });
      this.send({ envelope_id: envelopeId, type, payload, accepts_response_payload: type !== 'events_api' });
    });
  }

  send(message: unknown): void {
    this.frame(0x1, Buffer.from(JSON.stringify(message)));
  }

  destroy(): void {
    this.open = false;
    this.socket.destroy();
  }

  private frame(opcode: number, payload: Buffer): void {
    if (!this.open) return;
    const length = payload.length;
    const header =
      length < 126 ? Buffer.from([0x80 | opcode, length]) : length < 65_536 ? Buffer.alloc(4) : Buffer.alloc(10);
    if (length >= 126 && length < 65_536) {
      header[0] = 0x80 | opcode;
      header[1] = 126;
      header.writeUInt16BE(length, 2);
    } else if (length >= 65_536) {
      header[0] = 0x80 | opcode;
      header[1] = 127;
      header.writeBigUInt64BE(BigInt(length), 2);
    }
    this.socket.write(Buffer.concat([header, payload]));
  }

  private receive(data: Buffer): void {
    this.buffer = Buffer.concat([this.buffer, data]);
    for (;;) {
      if (this.buffer.length < 2) return;
      const opcode = this.buffer[0]! & 0x0f;
      const masked = (this.buffer[1]! & 0x80) !== 0;
      let length = this.buffer[1]! & 0x7f;
      let offset = 2;
      if (length === 126) {
        if (this.buffer.length < 4) return;
        length = this.buffer.readUInt16BE(2);
        offset = 4;
      } else if (length === 127) {
        if (this.buffer.length < 10) return;
        length = Number(this.buffer.readBigUInt64BE(2));
        offset = 10;
      }
      const maskOffset = offset;
      if (masked) offset += 4;
      if (this.buffer.length < offset + length) return;
      const payload = Buffer.from(this.buffer.subarray(offset, offset + length));
      if (masked) for (let i = 0; i < payload.length; i++) payload[i]! ^= this.buffer[maskOffset + (i % 4)]!;
      this.buffer = this.buffer.subarray(offset + length);
      if (opcode === 0x1) {
        const message = JSON.parse(payload.toString('utf8')) as Record<string, unknown>;
        const resolve = typeof message.envelope_id === 'string' ? this.acks.get(message.envelope_id) : undefined;
        if (resolve) {
          this.acks.delete(message.envelope_id as string);
          resolve(message);
        }
      } else if (opcode === 0x9) {
        this.frame(0xa, payload);
      } else if (opcode === 0x8) {
        this.frame(0x8, payload.subarray(0, 2));
        this.open = false;
        this.socket.end();
      }
    }
  }
}

function parseArgs(text: string, contentType: string): Record<string, unknown> {
  if (!text) return {};
  if (contentType.includes('application/json')) return JSON.parse(text) as Record<string, unknown>;
  const args: Record<string, unknown> = {};
  for (const [key, value] of new URLSearchParams(text)) {
    args[key] = JSON_FIELDS.has(key) ? JSON.parse(value) : value;
  }
  return args;
}

function present(message: StandInMessage, withMetadata: boolean): Record<string, unknown> {
  const { metadata, channel: _channel, ...rest } = message;
  return { type: 'message', ...rest, ...(withMetadata && metadata ? { metadata } : {}) };
}

// ---- signing, as Slack does it ----------------------------------------------------------------

export function slackSignature(signingSecret: string, timestampSec: number, body: string): string {
  return `v0=${createHmac('sha256', signingSecret).update(`v0:${timestampSec}:${body}`).digest('hex')}`;
}

export interface SignedPostOptions {
  /** Seconds since the epoch; now by default. */
  timestampSec?: number;
  /** Sign with this secret (default: the right one). */
  secret?: string;
  /** Send no signature headers at all. */
  unsigned?: boolean;
}

export interface SlackPost {
  status: number;
  text: string;
  json: unknown;
}

/** POSTs a form body to a Bolt HTTP endpoint, signed with `secret` unless told otherwise. */
export async function postSigned(
  url: string,
  signingSecret: string,
  body: string,
  options: SignedPostOptions = {},
): Promise<SlackPost> {
  const timestampSec = options.timestampSec ?? Math.floor(Date.now() / 1000);
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
  if (!options.unsigned) {
    headers['x-slack-request-timestamp'] = String(timestampSec);
    headers['x-slack-signature'] = slackSignature(options.secret ?? signingSecret, timestampSec, body);
  }
  const response = await fetch(url, { method: 'POST', headers, body, signal: AbortSignal.timeout(15_000) });
  const text = await response.text();
  return { status: response.status, text, json: parseJson(text) };
}

function parseJson(text: string): unknown {
  try {
    return text ? JSON.parse(text) : null;
  } catch {
    return null;
  }
}

/** An interactive payload body: `payload=<url-encoded JSON>`. */
export function interactionBody(payload: Record<string, unknown>): string {
  return `payload=${encodeURIComponent(JSON.stringify(payload))}`;
}

/** A slash command body, as Slack sends it. */
export function slashCommandBody(fields: {
  command?: string;
  text: string;
  user_id: string;
  channel_id: string;
  channel_name?: string;
  response_url: string;
  trigger_id?: string;
}): string {
  return new URLSearchParams({
    token: 'deprecated-verification-token',
    team_id: 'T0STANDIN',
    team_domain: 'stand-in',
    channel_id: fields.channel_id,
    channel_name: fields.channel_name ?? 'releases',
    user_id: fields.user_id,
    user_name: fields.user_id.toLowerCase(),
    command: fields.command ?? '/rollout',
    text: fields.text,
    api_app_id: 'A0STANDIN',
    response_url: fields.response_url,
    trigger_id: fields.trigger_id ?? `trigger-${randomUUID()}`,
  }).toString();
}

/** A block_actions payload for a click on one of a message's buttons. */
export function blockActionPayload(fields: {
  user: string;
  channel: string;
  channelName?: string;
  message: { ts: string; blocks?: unknown[]; text?: string };
  actionId: string;
  value: string;
  responseUrl: string;
}): Record<string, unknown> {
  return {
    type: 'block_actions',
    user: { id: fields.user, username: fields.user.toLowerCase(), team_id: 'T0STANDIN' },
    api_app_id: 'A0STANDIN',
    token: 'deprecated-verification-token',
    container: { type: 'message', message_ts: fields.message.ts, channel_id: fields.channel, is_ephemeral: false },
    trigger_id: `trigger-${randomUUID()}`,
    team: { id: 'T0STANDIN', domain: 'stand-in' },
    channel: { id: fields.channel, name: fields.channelName ?? 'releases' },
    message: {
      type: 'message',
      ts: fields.message.ts,
      text: fields.message.text ?? '',
      blocks: fields.message.blocks ?? [],
    },
    response_url: fields.responseUrl,
    actions: [
      {
        type: 'button',
        action_id: fields.actionId,
        block_id: 'gate_actions',
        value: fields.value,
        action_ts: String(Date.now() / 1000),
      },
    ],
  };
}

/** A view_submission payload for a modal the bot opened. */
export function viewSubmissionPayload(fields: {
  user: string;
  view: Record<string, unknown>;
  values: Record<string, Record<string, { type: string; value: string | null }>>;
}): Record<string, unknown> {
  return {
    type: 'view_submission',
    team: { id: 'T0STANDIN', domain: 'stand-in' },
    user: { id: fields.user, username: fields.user.toLowerCase(), team_id: 'T0STANDIN' },
    api_app_id: 'A0STANDIN',
    token: 'deprecated-verification-token',
    trigger_id: `trigger-${randomUUID()}`,
    view: {
      id: 'V0STANDIN',
      team_id: 'T0STANDIN',
      type: 'modal',
      ...fields.view,
      state: { values: fields.values },
      hash: 'h',
      app_id: 'A0STANDIN',
      bot_id: 'B0BOT',
    },
    response_urls: [],
  };
}

// Hostile input at the Slack bot's HTTP endpoint, on the real Bolt code path (HTTPReceiver behind
// the request guard) with a stand-in for Slack's Web API: unsigned, badly signed, stale,
// future-dated and replayed requests, bodies past the limit, and correctly signed junk (form
// bodies, payloads, commands). Refused requests act on nothing: no Slack API call and no call
// at all into Temporal (a stand-in client records every call); the signing secret and bot token
// never come back. A signed `/rollout help` is still answered after each batch.
import { LogLevel } from '@slack/bolt';
import type { Client } from '@temporalio/client';
import fc from 'fast-check';
import '../support/fuzz-seed';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRolloutBot, type RunningRolloutBot } from '../../slack-bot/bot';
import { eventually } from '../support/eventually';
import { rawRequest } from '../support/raw-http';
import {
  interactionBody,
  postSigned,
  slackSignature,
  slashCommandBody,
  SlackApiStandIn,
} from '../support/slack-api-stand-in';

const SECRET = 'fuzz-signing-secret-4e3d2c1b0a';

let slack: SlackApiStandIn;
let bot: RunningRolloutBot;
/** Every call the bot made into Temporal. */
const temporalCalls: string[] = [];
const inputs = { refused: 0, replays: 0, sizes: 0, signedJunk: 0, paths: 0 };

/** A Temporal client that records each call and fails it: the bot cannot act through it. */
function recordingTemporal(path = 'client', called = false): Client {
  return new Proxy(() => {}, {
    get(_target, prop) {
      if (prop === 'then')
        return called
          ? (_: unknown, reject: (e: Error) => void) => reject(new Error('no Temporal in this test'))
          : undefined;
      if (prop === 'namespace') return 'default';
      return recordingTemporal(`${path}.${String(prop)}`);
    },
    apply() {
      temporalCalls.push(path);
      return recordingTemporal(`${path}()`, true);
    },
  }) as unknown as Client;
}

beforeAll(async () => {
  slack = await new SlackApiStandIn().start();
  bot = await startRolloutBot({
    temporal: recordingTemporal(),
    botToken: slack.botToken,
    mode: 'http',
    signingSecret: SECRET,
    slackApiUrl: slack.apiUrl,
    temporalUiUrl: 'http://127.0.0.1:8233',
    logLevel: LogLevel.ERROR,
  });
});

afterAll(async () => {
  const total = Object.values(inputs).reduce((a, b) => a + b, 0);
  console.log(`Slack endpoints: ${total} inputs (${JSON.stringify(inputs)})`);
  await bot?.stop();
  await slack?.close();
});

function expectNoSecret(text: string): void {
  expect(text).not.toContain(SECRET);
  expect(text).not.toContain(slack.botToken);
}

/** What the bot has done so far: Slack API calls (auth.test at start aside) and Temporal calls. */
const actions = () => [
  ...slack.calls.filter((c) => c.method !== 'auth.test').map((c) => c.method),
  ...slack.responses.map((r) => `response ${r.url}`),
  ...temporalCalls,
];

async function expectStillAnswers(): Promise<void> {
  const reply = await postSigned(
    bot.url!,
    SECRET,
    slashCommandBody({ text: 'help', user_id: 'U0ALICE', channel_id: 'C0REL', response_url: slack.responseUrl() }),
  );
  expect(reply.status).toBe(200);
  expect((await fetch(bot.url!.replace('/slack/events', '/healthz'))).status).toBe(200);
}

const command = fc
  .record({ text: fc.string({ unit: 'binary', maxLength: 60 }), user: fc.string({ maxLength: 12 }) })
  .map(({ text, user }) =>
    slashCommandBody({ text, user_id: user, channel_id: 'C0REL', response_url: slack.responseUrl() }),
  );
const junkForm = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 200 }),
  fc.jsonValue().map((v) => `payload=${encodeURIComponent(JSON.stringify(v) ?? '')}`),
  fc
    .dictionary(fc.string({ maxLength: 10 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 5 })
    .map((p) => interactionBody(p)),
  fc.constantFrom('payload=%7Bnot-json', 'payload=%zz', 'payload=', '=&=&', 'command=%2Frollout&text=approve'),
  fc
    .record({ type: fc.constantFrom('block_actions', 'view_submission', 'shortcut', 'nope'), junk: fc.jsonValue() })
    .map((p) => interactionBody(p)),
  command,
);

describe('Slack endpoints under hostile input', () => {
  it('refuses unsigned, badly signed, stale and future-dated requests without acting', async () => {
    const before = actions();
    const now = () => Math.floor(Date.now() / 1000);
    const forgery: fc.Arbitrary<{ signature?: string; timestamp?: string; sign?: 'right' | 'wrong' }> = fc.oneof(
      fc.constant({}),
      fc.string({ maxLength: 80 }).map((signature) => ({ signature, timestamp: String(now()) })),
      fc.string({ maxLength: 20 }).map((timestamp) => ({ timestamp, sign: 'right' as const })),
      fc.constant({ sign: 'wrong' as const, timestamp: 'now' }),
      fc
        .integer({ min: 5 * 60 + 1, max: 10 ** 9 })
        .map((age) => ({ sign: 'right' as const, timestamp: String(now() - age) })),
      fc
        .integer({ min: 5 * 60 + 5, max: 10 ** 9 })
        .map((ahead) => ({ sign: 'right' as const, timestamp: String(now() + ahead) })),
    );
    await fc.assert(
      fc.asyncProperty(junkForm, forgery, async (body, how) => {
        inputs.refused++;
        const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
        const timestamp = how.timestamp === 'now' ? String(now()) : how.timestamp;
        if (timestamp !== undefined) headers['x-slack-request-timestamp'] = timestamp;
        if (how.signature !== undefined) headers['x-slack-signature'] = how.signature;
        if (how.sign)
          headers['x-slack-signature'] = slackSignature(
            how.sign === 'right' ? SECRET : 'not-the-secret',
            Number(timestamp),
            body,
          );
        const res = await fetch(bot.url!, { method: 'POST', headers, body });
        const text = await res.text();
        expect(res.status).toBe(401);
        expectNoSecret(text);
        expect(actions()).toEqual(before);
      }),
      { numRuns: 200 },
    );
    await expectStillAnswers();
  });

  it('acts on a signed request once: the same request again is refused as a replay', async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ maxLength: 30 }), async (suffix) => {
        inputs.replays++;
        const responseUrl = slack.responseUrl();
        const body = slashCommandBody({
          text: `help ${suffix}`.trim(),
          user_id: 'U0ALICE',
          channel_id: 'C0REL',
          response_url: responseUrl,
        });
        const timestampSec = Math.floor(Date.now() / 1000);
        const first = await postSigned(bot.url!, SECRET, body, { timestampSec });
        expect(first.status).toBe(200);
        // The first one's reply goes to its response URL after the ack: wait for it before comparing.
        const replied = async () => slack.responses.some((r) => r.url === responseUrl);
        await eventually('the reply to the first', replied, 5_000);
        const after = actions();
        const replay = await postSigned(bot.url!, SECRET, body, { timestampSec });
        expect(replay.status).toBe(401);
        expect(replay.text).toContain('replayed request');
        expectNoSecret(first.text + replay.text);
        expect(actions()).toEqual(after);
      }),
      { numRuns: 50 },
    );
  });

  it('413s a signed body past 1 MiB without acting', async () => {
    const before = actions();
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1024 * 1024 + 1, max: 3 * 1024 * 1024 }), async (size) => {
        inputs.sizes++;
        const base = slashCommandBody({ text: 'help', user_id: 'U0A', channel_id: 'C0REL', response_url: 'http://x' });
        const body = `${base}&pad=${'p'.repeat(size - base.length - 5)}`;
        const reply = await postSigned(bot.url!, SECRET, body);
        expect(reply.status).toBe(413);
        expectNoSecret(reply.text);
        expect(actions()).toEqual(before);
      }),
      { numRuns: 15 },
    );
    await expectStillAnswers();
  });

  it('answers correctly signed junk without a 5xx, acting on nothing but a reply', async () => {
    // Ten at a time: a well-formed interaction no listener takes is answered 404 only after Bolt's 3 s.
    await fc.assert(
      fc.asyncProperty(fc.array(junkForm, { minLength: 10, maxLength: 10 }), async (bodies) => {
        inputs.signedJunk += bodies.length;
        const before = temporalCalls.length;
        const replies = await Promise.all(bodies.map((body) => postSigned(bot.url!, SECRET, body)));
        for (const reply of replies) {
          expect(reply.status).toBeLessThan(500);
          expectNoSecret(reply.text);
        }
        // Reads (describe, query) may be tried for a well-formed id; nothing that changes a rollout.
        expect(temporalCalls.slice(before).filter((c) => /signal|Update|start|terminate|cancel/i.test(c))).toEqual([]);
      }),
      { numRuns: 10 },
    );
    await expectStillAnswers();
  });

  it('answers odd paths and methods with a 4xx, never a 500', async () => {
    const path = fc.oneof(
      fc.constantFrom('//%', '//x/slack/events', '/slack/events/../events', '/%zz', '/slack//events'),
      fc
        .array(fc.constantFrom('', 'slack', 'events', '..', '%', '%2F', 'healthz'), { maxLength: 4 })
        .map((p) => `/${p.join('/')}`),
    );
    await fc.assert(
      fc.asyncProperty(path, fc.constantFrom('GET', 'POST', 'PUT'), async (target, method) => {
        inputs.paths++;
        const head = `${method} ${target} HTTP/1.1\r\nhost: bot\r\nconnection: close\r\ncontent-length: 2\r\n\r\n`;
        const reply = await rawRequest(bot.url!, head, '{}');
        expect(reply.status).toBeGreaterThanOrEqual(200);
        expect(reply.status).toBeLessThan(500);
        expectNoSecret(reply.body);
      }),
      { numRuns: 80 },
    );
    await expectStillAnswers();
  });
});

// Hostile input at the Alertmanager webhook receiver, a real receiver on a real port: junk and
// wrong-typed JSON, payloads past the limit, missing labels, resolved alerts, wrong tokens, odd
// paths. Each gets a clear 4xx (200 with an "ignored" result for well-formed alerts that name no
// rollout) and nothing is signalled; the signalling side is a stand-in RolloutService that counts
// lookups and rollbacks, so a good alert afterwards shows the receiver still acts.
import type { Client } from '@temporalio/client';
import fc from 'fast-check';
import '../support/fuzz-seed';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RolloutService, type RollbackResult, type RolloutLookup } from '../../client/rollout-service';
import type { RollbackRequest } from '../../workflows/model-rollout-messages';
import { startIncidentReceiver, type RunningIncidentReceiver } from '../../incidents/receiver';
import { rawRequest } from '../support/raw-http';

const TOKEN = 'incidents-token-for-fuzz-7a6b5c4d';
const ROLLOUT = 'rollout-fuzz-1';

/** Answers for one running rollout and counts what the receiver asked. */
class StandInRolloutService extends RolloutService {
  lookups: string[] = [];
  rollbacks: Array<{ id: string; request: RollbackRequest }> = [];
  constructor() {
    super({} as Client);
  }
  override async lookup(id: string): Promise<RolloutLookup> {
    this.lookups.push(id);
    if (id !== ROLLOUT) return { kind: 'unknown', message: `no rollout with id \`${id.slice(0, 80)}\`` };
    return { kind: 'running', status: null, plan: {} as never, runId: 'run-1' };
  }
  override async rollback(id: string, request: RollbackRequest): Promise<RollbackResult> {
    this.rollbacks.push({ id, request });
    return { ok: true, traffic: { restored: false, error: 'stand-in', elapsedMs: 0, where: 'nowhere' } };
  }
}

let service: StandInRolloutService;
let receiver: RunningIncidentReceiver;
const inputs = { bodies: 0, sizes: 0, tokens: 0, paths: 0 };

beforeAll(async () => {
  service = new StandInRolloutService();
  receiver = await startIncidentReceiver({ service, token: TOKEN });
});

afterAll(async () => {
  const total = Object.values(inputs).reduce((a, b) => a + b, 0);
  console.log(`Alertmanager receiver: ${total} inputs (${JSON.stringify(inputs)})`);
  await receiver?.stop();
});

function payload(alerts: unknown[]) {
  return { version: '4', groupKey: '{}', status: 'firing', receiver: 'webhook', alerts };
}

async function post(body: string, authorization = `Bearer ${TOKEN}`): Promise<{ status: number; text: string }> {
  const res = await fetch(receiver.url, {
    method: 'POST',
    headers: { authorization, 'content-type': 'application/json' },
    body,
  });
  const text = await res.text();
  expect(text).not.toContain(TOKEN);
  return { status: res.status, text };
}

function expectError(text: string): string {
  const { error } = JSON.parse(text) as { error?: unknown };
  expect(typeof error).toBe('string');
  return error as string;
}

function expectNothingSignalled(): void {
  expect(service.rollbacks).toEqual([]);
}

/** A firing alert on the rollout is still acted on: one rollback, with the alert as its reason. */
let goodAlerts = 0;
async function expectStillActs(): Promise<void> {
  goodAlerts++;
  const alert = { status: 'firing', labels: { alertname: 'High', rollout_id: ROLLOUT }, startsAt: `t${goodAlerts}` };
  const reply = await post(JSON.stringify(payload([alert])));
  expect(reply.status).toBe(200);
  expect(service.rollbacks).toHaveLength(1);
  expect(service.rollbacks[0]!.id).toBe(ROLLOUT);
  service.rollbacks = [];
  service.lookups = [];
}

const json = fc.jsonValue({ maxDepth: 3 });
const labels = fc.dictionary(fc.string({ maxLength: 12 }), fc.oneof(fc.string({ maxLength: 20 }), json), {
  maxKeys: 4,
});
/** Alerts that must never lead to a rollback: no rollout label, resolved, or a rollout that is not ours. */
const harmlessAlert = fc
  .record(
    {
      status: fc.oneof(fc.constantFrom('firing', 'resolved'), json),
      labels: fc.oneof(
        labels,
        labels.map((l) => ({ ...l, rollout_id: 'rollout-someone-else' })),
        json,
      ),
      annotations: fc.oneof(labels, json),
      startsAt: fc.oneof(fc.string(), json),
      fingerprint: fc.oneof(fc.string(), json),
    },
    { requiredKeys: [] },
  )
  .filter((a) => {
    const l = a.labels as Record<string, unknown> | null;
    // Exclude an alert that really does name the rollout (firing, labels all strings): that one must act.
    return !(typeof l === 'object' && l !== null && (l.rollout_id === ROLLOUT || l.rollout === ROLLOUT));
  });
const junk = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 200 }),
  json.map((v) => JSON.stringify(v) ?? 'null'),
  fc.array(harmlessAlert, { maxLength: 4 }).map((alerts) => JSON.stringify(payload(alerts))),
  fc
    .record({ version: json, groupKey: json, status: json, receiver: json, alerts: json }, { requiredKeys: [] })
    .map((p) => JSON.stringify(p)),
  fc.tuple(fc.array(harmlessAlert, { maxLength: 3 }), fc.nat()).map(([alerts, at]) => {
    const text = JSON.stringify(payload(alerts));
    return text.slice(0, at % text.length);
  }),
);

describe('Alertmanager receiver under hostile input', () => {
  it('answers junk, wrong types and alerts that name no rollout of ours without signalling anything', async () => {
    await fc.assert(
      fc.asyncProperty(junk, async (body) => {
        inputs.bodies++;
        const reply = await post(body);
        expect([200, 400, 404]).toContain(reply.status);
        if (reply.status === 400)
          expect(expectError(reply.text)).toMatch(/^(malformed JSON|not an Alertmanager webhook payload): /);
        else {
          const { results } = JSON.parse(reply.text) as { results: Array<{ action: string }> };
          for (const r of results)
            expect(['ignored_resolved', 'ignored_no_rollout', 'unknown_rollout', 'invalid_rollout_id']).toContain(
              r.action,
            );
        }
        expectNothingSignalled();
      }),
      { numRuns: 300 },
    );
    await expectStillActs();
  });

  it('413s a payload past 1 MiB, whatever it holds, and signals nothing', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1024 * 1024 + 1, max: 3 * 1024 * 1024 }),
        fc.boolean(),
        async (size, naming) => {
          inputs.sizes++;
          // A real alert on the rollout, padded: even that is refused whole.
          const alert = {
            status: 'firing',
            labels: { alertname: 'Big', rollout_id: naming ? ROLLOUT : 'x' },
            startsAt: 'big',
          };
          const text = JSON.stringify(payload([alert]));
          const body = `${text.slice(0, -1)},"pad":"${'p'.repeat(size - text.length - 9)}"}`;
          const reply = await post(body);
          expect(reply.status).toBe(413);
          expect(expectError(reply.text)).toBe('request body exceeds 1048576 bytes');
          expectNothingSignalled();
        },
      ),
      { numRuns: 20 },
    );
    await expectStillActs();
  });

  it('refuses a missing, wrong, huge or garbled bearer token for a payload that would act', async () => {
    const alert = { status: 'firing', labels: { alertname: 'High', rollout_id: ROLLOUT }, startsAt: 'auth' };
    const body = JSON.stringify(payload([alert]));
    const authorization = fc.oneof(
      fc.string({ maxLength: 40 }),
      fc.string({ maxLength: 40 }).map((s) => `Bearer ${s}`),
      fc.constantFrom(
        `Basic ${TOKEN}`,
        `Bearer ${TOKEN}x`,
        `Bearer ${TOKEN.slice(1)}`,
        `Bearer ${TOKEN.toUpperCase()}`,
        'Bearer ',
        TOKEN,
      ),
      fc.integer({ min: 100, max: 20_000 }).map((n) => `Bearer ${'t'.repeat(n)}`),
      fc
        .tuple(fc.string({ maxLength: 8 }), fc.constantFrom('\r', '\n', '\0'))
        .map(([s, c]) => `Bearer ${s}${c}${TOKEN}`),
    );
    await fc.assert(
      fc.asyncProperty(authorization, async (value) => {
        inputs.tokens++;
        const head =
          `POST /alertmanager HTTP/1.1\r\nhost: receiver\r\nconnection: close\r\ncontent-type: application/json\r\n` +
          `authorization: ${value}\r\ncontent-length: ${body.length}\r\n\r\n`;
        const reply = await rawRequest(receiver.url, Buffer.from(head, 'utf8').toString('latin1'), body);
        expect([400, 401, 431]).toContain(reply.status);
        expect(reply.body).not.toContain(TOKEN);
        expectNothingSignalled();
        expect(service.lookups).not.toContain(ROLLOUT);
      }),
      { numRuns: 150 },
    );
    await expectStillActs();
  });

  it('answers odd paths and methods with a 4xx, never a 500', async () => {
    const path = fc.oneof(
      fc.constantFrom('//%', '//x/alertmanager', '/alertmanager/../alertmanager', '/%zz', '/alertmanager?x=%'),
      fc
        .array(fc.constantFrom('', 'alertmanager', '..', '%', '%2F', 'healthz'), { maxLength: 4 })
        .map((p) => `/${p.join('/')}`),
    );
    await fc.assert(
      fc.asyncProperty(path, fc.constantFrom('GET', 'POST', 'PUT'), async (target, method) => {
        inputs.paths++;
        const head = `${method} ${target} HTTP/1.1\r\nhost: receiver\r\nconnection: close\r\ncontent-length: 2\r\n\r\n`;
        const reply = await rawRequest(receiver.url, head, '{}');
        expect(reply.status).toBeGreaterThanOrEqual(200);
        expect(reply.status).toBeLessThan(500);
        expectNothingSignalled();
      }),
      { numRuns: 80 },
    );
    await expectStillActs();
  });
});

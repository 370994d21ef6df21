// The multi-process gateway's pure parts: the worker's traffic batches, the primary's record of
// who holds which table version, the IPC message and worker-config checks, and the equivalence
// that matters most: an exchange forwarded by a worker is recorded by the primary exactly as the
// one-process gateway records it (same record, same series).
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { BackendSpec } from '../../gateway/admin-api';
import {
  parsePrimaryMessage,
  parseWorkerConfig,
  parseWorkerMessage,
  WORKER_CONFIG_ENV,
} from '../../gateway/cluster-messages';
import { restartDelayMs } from '../../gateway/cluster-primary';
import { tableFrom } from '../../gateway/cluster-worker';
import { ExchangeRecorder, exchangeOf } from '../../gateway/exchange-recorder';
import { cohortProbe } from '../../gateway/cohort-probe';
import { decodeExchange, encodeExchange } from '../../gateway/exchange-wire';
import type { ExchangeEntry, NewShadowPair } from '../../gateway/exchange-recorder';
import { InvalidRequestError } from '../../gateway/errors';
import { GatewayMetrics } from '../../gateway/metrics';
import { RouteTable } from '../../gateway/route-table';
import { TableSync } from '../../gateway/table-sync';
import { BATCH_MAX_DELAY_MS, BATCH_MAX_ITEMS, TrafficBatcher } from '../../gateway/traffic-batch';
import type { TrafficBatch } from '../../gateway/traffic-batch';
import { TrafficLog } from '../../gateway/traffic-log';

const BASELINE: BackendSpec = { name: 'baseline', baseUrl: 'http://127.0.0.1:9001/v1', model: 'sim-a' };
const CANDIDATE: BackendSpec = {
  name: 'candidate',
  baseUrl: 'http://127.0.0.1:9002/v1',
  model: 'sim-b',
  apiKey: 'sk-upstream',
};

function entry(requestId: string, overrides: Partial<ExchangeEntry['outcome']> = {}): ExchangeEntry {
  return {
    route: 'chat',
    backend: BASELINE,
    mode: 'live',
    requestId,
    stickyBucket: 4_217,
    cohort: false,
    outcome: {
      status: 200,
      contentType: 'application/json',
      bodyText: '',
      latencyMs: 12.3456,
      firstTokenMs: 4.04,
      failure: null,
      failedAfterHeaders: false,
      ...overrides,
    },
    answer: { content: 'hi', promptTokens: 3, completionTokens: 7, refusal: false, validJson: null },
  };
}

const pair: NewShadowPair = {
  requestId: 'r-1',
  route: 'chat',
  messages: [{ role: 'user', content: 'hi' }],
  primary: { backend: 'baseline', status: 200, latencyMs: 1, content: 'a', promptTokens: 1, completionTokens: 1 },
  shadow: { backend: 'candidate', status: 200, latencyMs: 2, content: 'b', promptTokens: 1, completionTokens: 1 },
  at: '2026-01-01T00:00:00.000Z',
};

describe('TrafficBatcher', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it(`sends what it holds ${BATCH_MAX_DELAY_MS} ms after the batch's first item, once`, () => {
    const sent: TrafficBatch[] = [];
    const batcher = new TrafficBatcher((batch) => sent.push(batch));
    batcher.record(entry('r-1'));
    vi.advanceTimersByTime(BATCH_MAX_DELAY_MS - 5);
    batcher.addPair(pair);
    batcher.record(entry('r-2'));
    expect(sent).toHaveLength(0);
    // The deadline is the first item's, not the last's: a steady trickle cannot hold records back.
    vi.advanceTimersByTime(5);
    expect(sent).toHaveLength(1);
    expect(sent[0]!.exchanges.map((e) => decodeExchange(e).requestId)).toEqual(['r-1', 'r-2']);
    expect(sent[0]!.pairs).toEqual([pair]);
    expect(batcher.pending).toBe(0);
    vi.advanceTimersByTime(1_000);
    expect(sent).toHaveLength(1);
  });

  it(`sends at once when ${BATCH_MAX_ITEMS} items are waiting, counting pairs too`, () => {
    const sent: TrafficBatch[] = [];
    const batcher = new TrafficBatcher((batch) => sent.push(batch));
    batcher.addPair(pair);
    for (let i = 1; i < BATCH_MAX_ITEMS; i++) batcher.record(entry(`r-${i}`));
    expect(sent).toHaveLength(1);
    expect(sent[0]!.exchanges.length + sent[0]!.pairs.length).toBe(BATCH_MAX_ITEMS);
    // The next item starts a new batch with its own deadline.
    batcher.record(entry('r-next'));
    expect(batcher.pending).toBe(1);
    vi.advanceTimersByTime(BATCH_MAX_DELAY_MS);
    expect(sent.map((b) => b.exchanges.length)).toEqual([BATCH_MAX_ITEMS - 1, 1]);
  });

  it('flush sends now and never sends an empty batch', () => {
    const sent: TrafficBatch[] = [];
    const batcher = new TrafficBatcher((batch) => sent.push(batch));
    batcher.flush();
    expect(sent).toHaveLength(0);
    batcher.record(entry('r-1'));
    batcher.flush();
    expect(sent).toHaveLength(1);
    vi.advanceTimersByTime(BATCH_MAX_DELAY_MS * 2);
    expect(sent).toHaveLength(1);
  });
});

describe('forwarded exchanges', () => {
  it('are recorded by the primary exactly as the one-process gateway records them, through JSON', async () => {
    const direct = { metrics: new GatewayMetrics({ defaultMetrics: false }), log: new TrafficLog({ epoch: 'e1' }) };
    const primary = { metrics: new GatewayMetrics({ defaultMetrics: false }), log: new TrafficLog({ epoch: 'e1' }) };
    const entries = [
      entry('r-1'),
      entry('r-2', { status: 502, failure: 'connect ECONNREFUSED', latencyMs: 0.26, firstTokenMs: null }),
      { ...entry('r-3'), mode: 'shadow' as const, backend: CANDIDATE },
      { ...entry('r-4'), cohort: true },
    ];
    const recorder = new ExchangeRecorder(direct.metrics, direct.log);
    const directRecords = entries.map((e) => recorder.record(e));

    const sent: TrafficBatch[] = [];
    const batcher = new TrafficBatcher((batch) => sent.push(batch));
    for (const e of entries) batcher.record(e);
    batcher.flush();
    const overIpc = JSON.parse(JSON.stringify(sent[0])) as TrafficBatch;
    const primaryRecorder = new ExchangeRecorder(primary.metrics, primary.log);
    const forwarded = overIpc.exchanges.map((e) => primaryRecorder.add(decodeExchange(e)));

    // `at` is stamped when the exchange ends, in either process.
    const withoutTime = (records: typeof forwarded) => records.map(({ at: _at, ...rest }) => rest);
    expect(withoutTime(forwarded)).toEqual(withoutTime(directRecords));
    expect(forwarded[0]).toMatchObject({ seq: 1, epoch: 'e1', latencyMs: 12.3, ttftMs: 4, cohort: false });
    expect(forwarded[3]).toMatchObject({ requestId: 'r-4', cohort: true });
    expect((await primary.metrics.render()).body).toBe((await direct.metrics.render()).body);
    expect(JSON.stringify(overIpc)).not.toContain('sk-upstream');
  });
});

describe('exchange wire form', () => {
  it('gives back, through JSON, every field of the exchange as exchangeOf made it', () => {
    const exchanges = [
      exchangeOf(entry('r-1')),
      exchangeOf({
        ...entry('r-2', { status: 502, firstTokenMs: null }),
        mode: 'shadow',
        stickyBucket: null,
        cohort: true,
        answer: { content: null, promptTokens: 0, completionTokens: 0, refusal: true, validJson: false },
      }),
    ];
    for (const exchange of exchanges) {
      const overIpc = JSON.parse(JSON.stringify(encodeExchange(exchange))) as ReturnType<typeof encodeExchange>;
      expect(decodeExchange(overIpc)).toStrictEqual(exchange);
    }
  });

  it("carries a fallback's fields, and an exchange without them stays as short as before", () => {
    const plain = encodeExchange(exchangeOf(entry('r-0')));
    const exchanges = [
      exchangeOf({ ...entry('r-1', { status: 503 }), fallbackTo: 'spare' }),
      exchangeOf({ ...entry('r-1'), backend: { ...BASELINE, name: 'spare' }, fallbackFor: 'baseline' }),
    ];
    for (const exchange of exchanges) {
      const wire = encodeExchange(exchange);
      expect(wire.length).toBeGreaterThan(plain.length);
      const overIpc = JSON.parse(JSON.stringify(wire)) as ReturnType<typeof encodeExchange>;
      expect(decodeExchange(overIpc)).toStrictEqual(exchange);
    }
    expect(decodeExchange(plain)).not.toHaveProperty('fallbackTo');
    expect(decodeExchange(plain)).not.toHaveProperty('fallbackFor');
  });

  it("carries a pool member's name, with or without a fallback, and reads arrays without it as before", () => {
    const member = { ...BASELINE, member: 'gpu-b' };
    const exchanges = [
      exchangeOf({ ...entry('r-1'), backend: member }),
      exchangeOf({ ...entry('r-2', { status: 503 }), backend: member, fallbackTo: 'spare' }),
      exchangeOf({ ...entry('r-3'), backend: { ...member, name: 'spare' }, fallbackFor: 'baseline' }),
    ];
    for (const exchange of exchanges) {
      expect(exchange.member).toBe('gpu-b');
      const overIpc = JSON.parse(JSON.stringify(encodeExchange(exchange))) as ReturnType<typeof encodeExchange>;
      expect(decodeExchange(overIpc)).toStrictEqual(exchange);
    }
    const fallbackOnly = exchangeOf({ ...entry('r-4', { status: 503 }), fallbackTo: 'spare' });
    expect(decodeExchange(encodeExchange(fallbackOnly))).not.toHaveProperty('member');
  });

  it("carries a request's segment with or without a fallback or a pool member, and none stays as short as before", () => {
    const member = { ...BASELINE, member: 'gpu-b' };
    // Both encodings of r-0 must be stamped in the same millisecond to compare equal.
    vi.useFakeTimers({ toFake: ['Date'], now: Date.parse('2026-12-07T12:00:00.000Z') });
    const plain = encodeExchange(exchangeOf(entry('r-0')));
    const withoutSegment = encodeExchange(exchangeOf({ ...entry('r-0'), segment: undefined }));
    vi.useRealTimers();
    const exchanges = [
      exchangeOf({ ...entry('r-1'), segment: 'acme' }),
      exchangeOf({ ...entry('r-2', { status: 503 }), fallbackTo: 'spare', segment: 'acme' }),
      exchangeOf({ ...entry('r-3'), backend: { ...BASELINE, name: 'spare' }, fallbackFor: 'baseline', segment: 'spa' }),
      exchangeOf({ ...entry('r-4'), backend: member, segment: 'globex' }),
      exchangeOf({ ...entry('r-5'), mode: 'shadow', segment: 'acme' }),
    ];
    for (const exchange of exchanges) {
      expect(exchange.segment).toBeDefined();
      const overIpc = JSON.parse(JSON.stringify(encodeExchange(exchange))) as ReturnType<typeof encodeExchange>;
      expect(decodeExchange(overIpc)).toStrictEqual(exchange);
    }
    expect(withoutSegment).toEqual(plain);
    expect(decodeExchange(plain)).not.toHaveProperty('segment');
    // A member without a segment is sent as before, and read back without one.
    const memberOnly = encodeExchange(exchangeOf({ ...entry('r-6'), backend: member }));
    expect(memberOnly).toHaveLength(18);
    expect(decodeExchange(memberOnly)).not.toHaveProperty('segment');
  });

  it('reads an exchange from a worker that predates cohorts as not in a cohort', () => {
    const exchange = exchangeOf({ ...entry('r-1'), cohort: true });
    const old = encodeExchange(exchange).slice(0, 14) as ReturnType<typeof encodeExchange>;
    expect(decodeExchange(old)).toStrictEqual({ ...exchange, cohort: false });
  });
});

describe('TableSync', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('resolves once every joined worker applied the version, whatever order the acks come in', async () => {
    const sync = new TableSync<number>();
    sync.join(1);
    sync.join(2);
    sync.ack(1, 0);
    sync.ack(2, 0);
    const version = sync.changed();
    expect(version).toBe(1);
    let result: number[] | null = null;
    void sync.waitFor(version, 2_000).then((laggards) => (result = laggards));
    sync.ack(2, 1);
    await Promise.resolve();
    expect(result).toBeNull();
    sync.ack(1, 1);
    await vi.advanceTimersByTimeAsync(0);
    expect(result).toEqual([]);
  });

  it('names the workers that did not ack in time, and only those', async () => {
    const sync = new TableSync<number>();
    for (const id of [1, 2, 3]) sync.join(id);
    const version = sync.changed();
    sync.ack(1, version);
    // An older ack, arriving late, does not count for the new version.
    sync.ack(3, version - 1);
    const waiting = sync.waitFor(version, 2_000);
    await vi.advanceTimersByTimeAsync(1_999);
    sync.ack(2, version);
    await vi.advanceTimersByTimeAsync(1);
    expect(await waiting).toEqual([3]);
  });

  it('stops waiting for a worker that left, and ignores one that never joined', async () => {
    const sync = new TableSync<number>();
    sync.join(1);
    sync.ack(7, 5);
    expect(sync.behind(0)).toEqual([1]);
    const waiting = sync.waitFor(sync.changed(), 2_000);
    sync.leave(1);
    await vi.advanceTimersByTimeAsync(0);
    expect(await waiting).toEqual([]);
    expect(await sync.waitFor(sync.version, 2_000)).toEqual([]);
  });

  it('keeps a joined worker at its ack when it joins again', () => {
    const sync = new TableSync<number>();
    sync.join(1);
    sync.ack(1, 0);
    sync.join(1);
    expect(sync.behind(0)).toEqual([]);
  });
});

describe('IPC messages', () => {
  it('accepts the messages of the contract', () => {
    expect(parseWorkerMessage({ type: 'hello' })).toEqual({ type: 'hello' });
    expect(parseWorkerMessage({ type: 'routes-applied', version: 3 })).toEqual({ type: 'routes-applied', version: 3 });
    expect(parseWorkerMessage({ type: 'traffic', exchanges: [], pairs: [pair] })).toMatchObject({
      type: 'traffic',
      pairs: [pair],
    });
    expect(parseWorkerMessage({ type: 'failed', message: 'EADDRINUSE' })).toEqual({
      type: 'failed',
      message: 'EADDRINUSE',
    });
    expect(parseWorkerMessage({ type: 'stopped' })).toEqual({ type: 'stopped' });
    expect(parsePrimaryMessage({ type: 'routes', version: 0, routes: [] })).toEqual({
      type: 'routes',
      version: 0,
      routes: [],
    });
    expect(parsePrimaryMessage({ type: 'shutdown' })).toEqual({ type: 'shutdown' });
    expect(parsePrimaryMessage({ type: 'connection', id: 7 })).toEqual({ type: 'connection', id: 7 });
    expect(parseWorkerMessage({ type: 'connection-taken', id: 7 })).toEqual({ type: 'connection-taken', id: 7 });
  });

  it('returns null for anything else', () => {
    for (const raw of [
      null,
      'hello',
      42,
      {},
      { type: 'nope' },
      { type: 'routes-applied', version: -1 },
      { type: 'routes-applied', version: 1.5 },
      { type: 'traffic', exchanges: {}, pairs: [] },
      { type: 'failed' },
      { type: 'connection-taken' },
      { type: 'connection-taken', id: 0 },
    ]) {
      expect(parseWorkerMessage(raw)).toBeNull();
    }
    for (const raw of [
      { type: 'routes', version: 1 },
      { type: 'routes', version: '1', routes: [] },
      { type: 'hello' },
      { type: 'connection' },
    ])
      expect(parsePrimaryMessage(raw)).toBeNull();
  });
});

describe('worker config', () => {
  const valid = { upstreamTimeoutMs: 60_000, maxBodyBytes: 2_097_152 };

  it('parses what the primary puts in the environment', () => {
    expect(parseWorkerConfig(JSON.stringify(valid))).toEqual(valid);
    expect(
      parseWorkerConfig(JSON.stringify({ ...valid, shadowTimeoutMs: 5_000, maxShadowInFlight: 10 })),
    ).toMatchObject({ shadowTimeoutMs: 5_000, maxShadowInFlight: 10 });
  });

  it('refuses a missing, malformed or wrong config, saying what is wrong', () => {
    expect(() => parseWorkerConfig(undefined)).toThrow(
      `${WORKER_CONFIG_ENV} is not set: a gateway worker is started by the gateway's primary`,
    );
    expect(() => parseWorkerConfig('{')).toThrow(`${WORKER_CONFIG_ENV} is not valid JSON`);
    expect(() => parseWorkerConfig(JSON.stringify({ ...valid, maxBodyBytes: 0 }))).toThrow(InvalidRequestError);
    expect(() => parseWorkerConfig(JSON.stringify({ ...valid, maxBodyBytes: 0 }))).toThrow(/maxBodyBytes/);
    expect(() => parseWorkerConfig(JSON.stringify({ ...valid, adminToken: 'x' }))).toThrow(/adminToken/);
  });
});

describe('tableFrom', () => {
  it("holds exactly the primary's routes, keys, weights, shadow and versions", () => {
    const primary = new RouteTable();
    primary.define('chat', { backends: [BASELINE, CANDIDATE] });
    primary.setWeights('chat', {
      weights: { baseline: 70, candidate: 30 },
      cohort: { match: { header: 'x-tenant', values: ['acme'] }, weights: { candidate: 100 } },
    });
    primary.setShadow('chat', { enabled: true, target: 'candidate', share: 0.25 });
    primary.define('embed', { backends: [BASELINE], segmentation: { metadata: 'tenant' } });
    const table = tableFrom(JSON.parse(JSON.stringify(primary.snapshot())));
    expect(table.snapshot()).toEqual(primary.snapshot());
    expect(table.get('chat').cohort).toEqual({
      match: { header: 'x-tenant', values: ['acme'] },
      weights: { baseline: 0, candidate: 100 },
    });
    const acme = cohortProbe('chat', { 'x-tenant': 'acme' }, {}, null);
    expect(table.resolve('chat')?.inCohort?.(acme)).toBe(true);
    expect(table.resolve('chat')?.backends[1]?.apiKey).toBe('sk-upstream');
    expect(table.get('embed').segmentation).toEqual({ metadata: 'tenant' });
    expect(table.resolve('embed')?.segmentOf?.({}, { metadata: { tenant: 'acme' } })).toBe('acme');
    expect(table.resolve('chat')?.segmentOf).toBeNull();
  });

  it('refuses a table with a bad route rather than serving part of it', () => {
    const primary = new RouteTable();
    primary.define('chat', { backends: [BASELINE] });
    const [saved] = primary.snapshot();
    expect(() => tableFrom([saved!, { ...saved!, route: 'bad', weights: { baseline: 90 } }])).toThrow(
      /must sum to 100/,
    );
  });
});

describe('restartDelayMs', () => {
  it('restarts at once after a first quick death, then backs off up to 5 s', () => {
    expect([0, 1, 2, 3, 4, 5, 10, 20].map(restartDelayMs)).toEqual([0, 0, 100, 200, 400, 800, 5_000, 5_000]);
  });
});

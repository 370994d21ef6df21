import { describe, it, expect } from 'vitest';
import type { RouteState } from '../../gateway/admin-api';
import { InvalidRequestError, RouteConflictError, RouteNotFoundError } from '../../gateway/errors';
import { RouteTable } from '../../gateway/route-table';

const BASELINE = { name: 'baseline', baseUrl: 'http://127.0.0.1:9001/v1', model: 'sim-a' };
const CANDIDATE = { name: 'candidate', baseUrl: 'http://127.0.0.1:9002/v1', model: 'sim-b' };

function tableWithRoute(): RouteTable {
  const table = new RouteTable();
  table.define('chat', { backends: [BASELINE, CANDIDATE] });
  return table;
}

/** Asserts `fn` throws `type` naming `field`, and that the route did not change. */
function expectRejected(
  table: RouteTable,
  fn: () => unknown,
  type: new (...args: never[]) => Error,
  field: string,
): void {
  const before = table.get('chat');
  let caught: unknown;
  try {
    fn();
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(type);
  expect((caught as { field: string }).field).toBe(field);
  expect(table.get('chat')).toEqual(before);
}

describe('RouteTable.define', () => {
  it('creates a route with weight 100 on the first backend and shadow off', () => {
    const state = tableWithRoute().get('chat');
    expect(state.weights).toEqual({ baseline: 100, candidate: 0 });
    expect(state.shadow).toEqual({ enabled: false, target: null, share: 0 });
    expect(state.version).toBe(1);
  });

  it('never echoes apiKey', () => {
    const table = new RouteTable();
    const { state } = table.define('chat', { backends: [{ ...BASELINE, apiKey: 'sk-secret' }] });
    expect(JSON.stringify(state)).not.toContain('sk-secret');
  });

  it('is idempotent and keeps weights and shadow for backends that still exist', () => {
    const table = tableWithRoute();
    table.setWeights('chat', { weights: { baseline: 90, candidate: 10 } });
    table.setShadow('chat', { enabled: true, target: 'candidate', share: 0.2 });
    const same = table.define('chat', { backends: [BASELINE, CANDIDATE] });
    expect(same.changed).toBe(false);
    expect(same.state.version).toBe(3);

    const extra = { name: 'extra', baseUrl: 'http://127.0.0.1:9003/v1', model: 'sim-c' };
    const grown = table.define('chat', { backends: [BASELINE, CANDIDATE, extra] });
    expect(grown.changed).toBe(true);
    expect(grown.state.weights).toEqual({ baseline: 90, candidate: 10, extra: 0 });
    expect(grown.state.shadow).toEqual({ enabled: true, target: 'candidate', share: 0.2 });
    expect(grown.state.version).toBe(4);
  });

  it('refuses to remove a backend that carries weight, but drops an unweighted one', () => {
    const table = tableWithRoute();
    table.setWeights('chat', { weights: { baseline: 95, candidate: 5 } });
    expectRejected(table, () => table.define('chat', { backends: [BASELINE] }), RouteConflictError, 'backends');
    table.setWeights('chat', { weights: { baseline: 100 } });
    expect(table.define('chat', { backends: [BASELINE] }).state.weights).toEqual({ baseline: 100 });
  });

  it('disables shadow when its target is removed', () => {
    const table = tableWithRoute();
    table.setShadow('chat', { enabled: true, target: 'candidate', share: 0.5 });
    expect(table.define('chat', { backends: [BASELINE] }).state.shadow).toEqual({
      enabled: false,
      target: null,
      share: 0.5,
    });
  });

  it('rejects malformed definitions naming the field', () => {
    const table = tableWithRoute();
    expectRejected(table, () => table.define('chat', { backends: [] }), InvalidRequestError, 'backends');
    expectRejected(
      table,
      () => table.define('chat', { backends: [{ ...BASELINE, baseUrl: 'ftp://x' }] }),
      InvalidRequestError,
      'backends[0].baseUrl',
    );
    expectRejected(
      table,
      () => table.define('chat', { backends: [BASELINE, { ...CANDIDATE, name: 'baseline' }] }),
      InvalidRequestError,
      'backends[1].name',
    );
    expectRejected(
      table,
      () => table.define('chat', { backends: [{ ...BASELINE, model: '' }] }),
      InvalidRequestError,
      'backends[0].model',
    );
    expectRejected(
      table,
      () => table.define('chat', { backends: [BASELINE], weights: {} }),
      InvalidRequestError,
      'weights',
    );
    expect(() => table.define('bad route!', { backends: [BASELINE] })).toThrow(InvalidRequestError);
  });
});

describe('RouteTable.setWeights', () => {
  it('applies integer weights summing to 100, giving unnamed backends 0, idempotently', () => {
    const table = tableWithRoute();
    const first = table.setWeights('chat', { weights: { baseline: 75, candidate: 25 } });
    expect(first).toMatchObject({ changed: true, state: { weights: { baseline: 75, candidate: 25 }, version: 2 } });
    const again = table.setWeights('chat', { weights: { baseline: 75, candidate: 25 } });
    expect(again).toMatchObject({ changed: false, state: { version: 2 } });
    expect(table.setWeights('chat', { weights: { candidate: 100 } }).state.weights).toEqual({
      baseline: 0,
      candidate: 100,
    });
  });

  it('rejects bad weights naming the field and leaves the state unchanged', () => {
    const table = tableWithRoute();
    expectRejected(
      table,
      () => table.setWeights('chat', { weights: { baseline: 74.5, candidate: 25.5 } }),
      InvalidRequestError,
      'weights.baseline',
    );
    expectRejected(
      table,
      () => table.setWeights('chat', { weights: { baseline: 110, candidate: -10 } }),
      InvalidRequestError,
      'weights.baseline',
    );
    expectRejected(
      table,
      () => table.setWeights('chat', { weights: { baseline: 50, candidate: 40 } }),
      InvalidRequestError,
      'weights',
    );
    expectRejected(
      table,
      () => table.setWeights('chat', { weights: { baseline: '100' } }),
      InvalidRequestError,
      'weights.baseline',
    );
    expectRejected(
      table,
      () => table.setWeights('chat', { weights: { baseline: 90, ghost: 10 } }),
      RouteConflictError,
      'weights.ghost',
    );
    expectRejected(
      table,
      () => table.setWeights('chat', { wieghts: { baseline: 100 } }),
      InvalidRequestError,
      'weights',
    );
    expectRejected(
      table,
      () => table.setWeights('chat', { weights: { baseline: 100 }, extra: 1 }),
      InvalidRequestError,
      'extra',
    );
  });

  it('404s an unknown route', () => {
    expect(() => tableWithRoute().setWeights('nope', { weights: { baseline: 100 } })).toThrow(RouteNotFoundError);
  });
});

describe('RouteTable.setShadow', () => {
  it('enables, keeps omitted fields, and is idempotent', () => {
    const table = tableWithRoute();
    expect(table.setShadow('chat', { enabled: true, target: 'candidate', share: 0.3 }).state.shadow).toEqual({
      enabled: true,
      target: 'candidate',
      share: 0.3,
    });
    expect(table.setShadow('chat', { enabled: true }).changed).toBe(false);
    expect(table.setShadow('chat', { enabled: false }).state.shadow).toEqual({
      enabled: false,
      target: 'candidate',
      share: 0.3,
    });
  });

  it('rejects bad shadow settings naming the field', () => {
    const table = tableWithRoute();
    expectRejected(table, () => table.setShadow('chat', { enabled: true, share: 0.5 }), InvalidRequestError, 'target');
    expectRejected(
      table,
      () => table.setShadow('chat', { enabled: true, target: 'ghost', share: 0.5 }),
      RouteConflictError,
      'target',
    );
    expectRejected(
      table,
      () => table.setShadow('chat', { enabled: true, target: 'candidate', share: 1.5 }),
      InvalidRequestError,
      'share',
    );
    expectRejected(table, () => table.setShadow('chat', { enabled: 'yes' }), InvalidRequestError, 'enabled');
  });
});

describe('RouteTable change listeners', () => {
  it('fire on effective changes only, with null on delete', () => {
    const table = new RouteTable();
    const seen: Array<RouteState | null> = [];
    table.onChange((_route, state) => seen.push(state));
    table.define('chat', { backends: [BASELINE, CANDIDATE] });
    table.setWeights('chat', { weights: { baseline: 100 } });
    table.setWeights('chat', { weights: { baseline: 50, candidate: 50 } });
    table.remove('chat');
    expect(seen.map((s) => s?.version ?? null)).toEqual([1, 2, null]);
    expect(() => table.get('chat')).toThrow(RouteNotFoundError);
  });
});

describe('RouteTable.markRollout', () => {
  it('keeps the rollout and stage, idempotently, through a redefinition and the state file', () => {
    const table = tableWithRoute();
    const marked = table.markRollout('chat', { rollout: 'support-bot-v2', stage: 'canary-1' });
    expect(marked.changed).toBe(true);
    expect(marked.state.rollout).toEqual({ rollout: 'support-bot-v2', stage: 'canary-1' });
    expect(table.markRollout('chat', { rollout: 'support-bot-v2', stage: 'canary-1' }).changed).toBe(false);
    table.define('chat', { backends: [BASELINE, { ...CANDIDATE, model: 'sim-c' }] });
    expect(table.get('chat').rollout).toEqual({ rollout: 'support-bot-v2', stage: 'canary-1' });

    const restored = new RouteTable();
    for (const saved of table.snapshot()) restored.restore(saved);
    expect(restored.get('chat')).toEqual(table.get('chat'));
  });

  it('rejects a marker that cannot be a metric label, naming the field', () => {
    const table = tableWithRoute();
    expectRejected(
      table,
      () => table.markRollout('chat', { rollout: 'a\nb', stage: 'x' }),
      InvalidRequestError,
      'rollout',
    );
    expectRejected(table, () => table.markRollout('chat', { rollout: 'a', stage: '' }), InvalidRequestError, 'stage');
    expectRejected(
      table,
      () => table.markRollout('chat', { rollout: 'a', stage: 'b', extra: 1 }),
      InvalidRequestError,
      'extra',
    );
    expect(() => table.markRollout('nope', { rollout: 'a', stage: 'b' })).toThrow(RouteNotFoundError);
  });
});

describe('RouteTable pricing', () => {
  it('keeps a backend pricing, shows it (never the key), and counts a price change as a change', () => {
    const table = new RouteTable();
    const priced = { ...BASELINE, apiKey: 'sk-x', pricing: { inputPer1k: 0.5, outputPer1k: 1.5 } };
    table.define('chat', { backends: [priced, CANDIDATE] });
    expect(table.get('chat').backends[0]).toEqual({ ...BASELINE, pricing: { inputPer1k: 0.5, outputPer1k: 1.5 } });
    expect(
      table.define('chat', { backends: [{ ...priced, pricing: { inputPer1k: 0.5, outputPer1k: 2 } }, CANDIDATE] })
        .changed,
    ).toBe(true);
    expectRejected(
      table,
      () => table.define('chat', { backends: [{ ...BASELINE, pricing: { inputPer1k: -1, outputPer1k: 0 } }] }),
      InvalidRequestError,
      'backends[0].pricing.inputPer1k',
    );
  });
});

describe('RouteTable cohort', () => {
  const ACME = { header: 'x-tenant', values: ['acme'] };
  const ACME_ON_CANDIDATE = { match: ACME, weights: { candidate: 100 } };

  it('sets the cohort with the weights in one change, over every backend, idempotently', () => {
    const table = tableWithRoute();
    const set = table.setWeights('chat', { weights: { baseline: 100 }, cohort: ACME_ON_CANDIDATE });
    expect(set).toMatchObject({ changed: true, state: { version: 2, weights: { baseline: 100, candidate: 0 } } });
    expect(set.state.cohort).toEqual({ match: ACME, weights: { baseline: 0, candidate: 100 } });
    expect(table.setWeights('chat', { weights: { baseline: 100 }, cohort: ACME_ON_CANDIDATE }).changed).toBe(false);
    // The same rule with its keys in another order is the same rule.
    const reordered = { weights: { candidate: 100 }, match: { values: ['acme'], header: 'x-tenant' } };
    expect(table.setWeights('chat', { weights: { baseline: 100 }, cohort: reordered }).changed).toBe(false);
  });

  it('keeps the cohort when a weights change leaves it out, and clears it on null', () => {
    const table = tableWithRoute();
    table.setWeights('chat', { weights: { baseline: 100 }, cohort: ACME_ON_CANDIDATE });
    const moved = table.setWeights('chat', { weights: { baseline: 90, candidate: 10 } });
    expect(moved.state.cohort?.match).toEqual(ACME);
    const cleared = table.setWeights('chat', { weights: { baseline: 90, candidate: 10 }, cohort: null });
    expect(cleared).toMatchObject({ changed: true, state: { cohort: null, version: moved.state.version + 1 } });
    expect(table.resolve('chat')?.inCohort).toBeNull();
    expect(table.setWeights('chat', { weights: { baseline: 90, candidate: 10 }, cohort: null }).changed).toBe(false);
  });

  it('counts a change of rule or of cohort weights as a change', () => {
    const table = tableWithRoute();
    const first = table.setWeights('chat', { weights: { baseline: 100 }, cohort: ACME_ON_CANDIDATE });
    const split = table.setWeights('chat', {
      weights: { baseline: 100 },
      cohort: { match: ACME, weights: { baseline: 50, candidate: 50 } },
    });
    expect(split.state.version).toBe(first.state.version + 1);
    const other = table.setWeights('chat', {
      weights: { baseline: 100 },
      cohort: { match: { header: 'x-tenant', values: ['acme', 'globex'] }, weights: { baseline: 50, candidate: 50 } },
    });
    expect(other.state.version).toBe(split.state.version + 1);
  });

  it('refuses each bad cohort, naming the field, and changes nothing (weights included)', () => {
    const table = tableWithRoute();
    table.setWeights('chat', { weights: { baseline: 100 }, cohort: ACME_ON_CANDIDATE });
    const withCohort = (cohort: unknown) => () =>
      table.setWeights('chat', { weights: { baseline: 50, candidate: 50 }, cohort });
    expectRejected(
      table,
      withCohort({ match: ACME, weights: { ghost: 100 } }),
      RouteConflictError,
      'cohort.weights.ghost',
    );
    expectRejected(
      table,
      withCohort({ match: ACME, weights: { baseline: 60, candidate: 30 } }),
      InvalidRequestError,
      'cohort.weights',
    );
    expectRejected(
      table,
      withCohort({ match: ACME, weights: { candidate: 100.5 } }),
      InvalidRequestError,
      'cohort.weights.candidate',
    );
    expectRejected(
      table,
      withCohort({ match: { header: 'X Tenant', values: ['acme'] }, weights: { candidate: 100 } }),
      InvalidRequestError,
      'cohort.match.header',
    );
    expectRejected(
      table,
      withCohort({ match: { header: 'authorization', values: ['acme'] }, weights: { candidate: 100 } }),
      InvalidRequestError,
      'cohort.match.header',
    );
    expectRejected(
      table,
      withCohort({ match: { header: 'x-tenant', values: [] }, weights: { candidate: 100 } }),
      InvalidRequestError,
      'cohort.match.values',
    );
    expectRejected(
      table,
      withCohort({ match: { keyRange: { from: 0.5, to: 0.5 } }, weights: { candidate: 100 } }),
      InvalidRequestError,
      'cohort.match.keyRange.to',
    );
    expectRejected(
      table,
      withCohort({ match: ACME, weights: { candidate: 100 }, share: 1 }),
      InvalidRequestError,
      'cohort.share',
    );
    expectRejected(table, withCohort({ match: ACME }), InvalidRequestError, 'cohort.weights');
  });

  it('keeps the cohort through a redefinition that keeps its backends, and clears it when one it uses goes', () => {
    const table = tableWithRoute();
    table.setWeights('chat', { weights: { baseline: 100 }, cohort: ACME_ON_CANDIDATE });
    const extra = { name: 'extra', baseUrl: 'http://127.0.0.1:9003/v1', model: 'sim-x' };
    const grown = table.define('chat', { backends: [BASELINE, CANDIDATE, extra] });
    expect(grown.state.cohort).toEqual({ match: ACME, weights: { baseline: 0, candidate: 100, extra: 0 } });
    // Dropping a backend the cohort gives nothing keeps it.
    expect(table.define('chat', { backends: [BASELINE, CANDIDATE] }).state.cohort?.weights).toEqual({
      baseline: 0,
      candidate: 100,
    });
    // The candidate carries no route weight, so it may go; the cohort that sent its users there goes too.
    const shrunk = table.define('chat', { backends: [BASELINE] });
    expect(shrunk).toMatchObject({ changed: true, state: { cohort: null, weights: { baseline: 100 } } });
    expect(table.resolve('chat')?.inCohort).toBeNull();
  });

  it('goes to the state file and comes back, prepared, and a file without one restores none', () => {
    const table = tableWithRoute();
    table.setWeights('chat', { weights: { baseline: 100 }, cohort: ACME_ON_CANDIDATE });
    const [saved] = JSON.parse(JSON.stringify(table.snapshot())) as ReturnType<RouteTable['snapshot']>;
    expect(saved!.cohort).toEqual({ match: ACME, weights: { baseline: 0, candidate: 100 } });
    const restored = new RouteTable();
    restored.restore(saved!);
    expect(restored.get('chat')).toEqual(table.get('chat'));
    expect(restored.resolve('chat')?.inCohort).not.toBeNull();

    const { cohort: _cohort, ...older } = saved!;
    const fromOlder = new RouteTable();
    fromOlder.restore(older);
    expect(fromOlder.get('chat').cohort).toBeNull();

    const edited = new RouteTable();
    expect(() => edited.restore({ ...saved!, cohort: { match: ACME, weights: { ghost: 100 } } })).toThrow(
      RouteConflictError,
    );
  });
});

describe('RouteTable.setCapture', () => {
  const REDACT = {
    dropFields: ['user'],
    mask: ['card' as const, 'email' as const],
    patterns: [{ regex: 'ORD-\\d+' }],
  };

  it('turns capture on with every default filled in, compiled once, and off again with null', () => {
    const table = tableWithRoute();
    expect(table.get('chat').capture).toBeNull();
    expect(table.resolve('chat')?.captureRules).toBeNull();
    const on = table.setCapture('chat', { enabled: true });
    expect(on).toMatchObject({ changed: true, state: { version: 2 } });
    expect(on.state.capture).toEqual({
      share: 1,
      redact: { dropFields: ['user', 'metadata'], mask: [], patterns: [] },
    });
    const set = table.setCapture('chat', { enabled: true, share: 0.25, redact: REDACT });
    // Masks in their fixed order, patterns with the default replacement.
    expect(set.state.capture).toEqual({
      share: 0.25,
      redact: {
        dropFields: ['user'],
        mask: ['email', 'card'],
        patterns: [{ regex: 'ORD-\\d+', replacement: '[redacted]' }],
      },
    });
    expect(table.resolve('chat')?.captureRules?.replacers).toHaveLength(3);
    expect(table.setCapture('chat', { enabled: true, share: 0.25, redact: REDACT }).changed).toBe(false);
    const off = table.setCapture('chat', { enabled: false });
    expect(off.state.capture).toBeNull();
    expect(table.resolve('chat')?.captureRules).toBeNull();
  });

  it('refuses bad settings, naming the field, and changes nothing', () => {
    const table = tableWithRoute();
    table.setCapture('chat', { enabled: true, share: 0.5 });
    const refused = (body: unknown, field: string) =>
      expectRejected(table, () => table.setCapture('chat', body), InvalidRequestError, field);
    refused({ enabled: true, share: 0 }, 'share');
    refused({ enabled: true, share: 1.5 }, 'share');
    refused({ enabled: true, share: '1' }, 'share');
    refused({ enabled: 'yes' }, 'enabled');
    refused({ enabled: false, share: 0.5 }, 'share');
    refused({ enabled: true, sample: 0.5 }, 'sample');
    refused({ enabled: true, redact: { mask: ['email', 'ssn'] } }, 'redact.mask[1]');
    refused({ enabled: true, redact: { drop: ['user'] } }, 'redact.drop');
    refused({ enabled: true, redact: { dropFields: ['messages'] } }, 'redact.dropFields[0]');
    refused({ enabled: true, redact: { dropFields: ['a b'] } }, 'redact.dropFields[0]');
    refused({ enabled: true, redact: { patterns: [{ regex: 'ok' }, { regex: '([a-z' }] } }, 'redact.patterns[1].regex');
    refused({ enabled: true, redact: { patterns: [{ regex: 'x*' }] } }, 'redact.patterns[0].regex');
    refused({ enabled: true, redact: { patterns: [{ regex: 'a'.repeat(201) }] } }, 'redact.patterns[0].regex');
    refused({ enabled: true, redact: { patterns: [{ regex: 'a', flags: 'i' }] } }, 'redact.patterns[0].flags');
    const many = Array.from({ length: 21 }, (_, i) => ({ regex: `p${i}` }));
    refused({ enabled: true, redact: { patterns: many } }, 'redact.patterns');
    expect(() => table.setCapture('chat', { enabled: true, redact: { patterns: many.slice(0, 20) } })).not.toThrow();
    expect(() => new RouteTable().setCapture('ghost', { enabled: true })).toThrow(RouteNotFoundError);
  });

  it('is kept when the route is redefined, dropped with the route, and kept in the state file', () => {
    const table = tableWithRoute();
    const { state } = table.setCapture('chat', { enabled: true, share: 0.5, redact: REDACT });
    const redefined = table.define('chat', { backends: [BASELINE, { ...CANDIDATE, model: 'sim-c' }] });
    expect(redefined.state.capture).toEqual(state.capture);
    expect(table.resolve('chat')?.captureRules).not.toBeNull();

    const [saved] = JSON.parse(JSON.stringify(table.snapshot())) as ReturnType<RouteTable['snapshot']>;
    expect(saved!.capture).toEqual(state.capture);
    const restored = new RouteTable();
    restored.restore(saved!);
    expect(restored.get('chat')).toEqual(table.get('chat'));
    expect(restored.resolve('chat')?.captureRules?.share).toBe(0.5);
    const { capture: _capture, ...older } = saved!;
    const fromOlder = new RouteTable();
    fromOlder.restore(older);
    expect(fromOlder.get('chat').capture).toBeNull();
    const bad = {
      ...saved!.capture!,
      redact: { ...saved!.capture!.redact, patterns: [{ regex: '(', replacement: 'x' }] },
    };
    expect(() => new RouteTable().restore({ ...saved!, capture: bad })).toThrow(
      /capture\.redact\.patterns\[0\]\.regex/,
    );

    table.remove('chat');
    table.define('chat', { backends: [BASELINE] });
    expect(table.get('chat').capture).toBeNull();
  });
});

describe('RouteTable pooled backends', () => {
  const POOLED = {
    ...CANDIDATE,
    apiKey: 'sk-pool-default',
    members: [
      { name: 'gpu-a', baseUrl: 'http://127.0.0.1:9101/v1', weight: 1, apiKey: 'sk-member-a' },
      { name: 'gpu-b', baseUrl: 'http://127.0.0.1:9102/v1', model: 'sim-b-large', weight: 3 },
    ],
  };
  const member = (overrides: Record<string, unknown>) => ({ ...POOLED.members[0], ...overrides });
  const withMembers = (members: unknown) => ({ backends: [BASELINE, { ...CANDIDATE, members }] });

  it('shows the members without any apiKey, and counts a member change as a change', () => {
    const table = tableWithRoute();
    const { state, changed } = table.define('chat', { backends: [BASELINE, POOLED] });
    expect(changed).toBe(true);
    expect(state.backends[1]!.members).toEqual([
      { name: 'gpu-a', baseUrl: 'http://127.0.0.1:9101/v1', weight: 1 },
      { name: 'gpu-b', baseUrl: 'http://127.0.0.1:9102/v1', model: 'sim-b-large', weight: 3 },
    ]);
    expect(JSON.stringify(table.list())).not.toContain('sk-');
    expect(state.backends[0]).not.toHaveProperty('members');
    expect(table.define('chat', { backends: [BASELINE, POOLED] }).changed).toBe(false);
    const reweighted = { ...POOLED, members: [POOLED.members[0], { ...POOLED.members[1], weight: 2 }] };
    expect(table.define('chat', { backends: [BASELINE, reweighted] }).changed).toBe(true);
  });

  it("prepares members with their own model and key, else the backend's, and skips weight 0", () => {
    const table = new RouteTable();
    table.define('chat', {
      backends: [BASELINE, { ...POOLED, members: [...POOLED.members, member({ name: 'idle', weight: 0 })] }],
    });
    const pool = table.resolve('chat')!.pools!.get('candidate')!;
    expect(pool.totalWeight).toBe(4);
    expect(pool.targets.map(({ target }) => [target.member, target.baseUrl, target.model, target.apiKey])).toEqual([
      ['gpu-a', 'http://127.0.0.1:9101/v1', 'sim-b', 'sk-member-a'],
      ['gpu-b', 'http://127.0.0.1:9102/v1', 'sim-b-large', 'sk-pool-default'],
    ]);
    expect(table.resolve('chat')!.pools!.has('baseline')).toBe(false);
    expect(tableWithRoute().resolve('chat')!.pools).toBeNull();
  });

  it('refuses each bad pool, naming the field, and changes nothing', () => {
    const table = tableWithRoute();
    const refused: Array<[unknown, string]> = [
      [[], 'backends[1].members'],
      [Array.from({ length: 17 }, (_, i) => member({ name: `m${i}` })), 'backends[1].members'],
      [[member({}), member({})], 'backends[1].members[1].name'],
      [[member({ name: 'bad name' })], 'backends[1].members[0].name'],
      [[member({ weight: 1.5 })], 'backends[1].members[0].weight'],
      [[member({ weight: -1 })], 'backends[1].members[0].weight'],
      [[member({ weight: 0 }), member({ name: 'b', weight: 0 })], 'backends[1].members'],
      [[member({ baseUrl: 'ftp://x' })], 'backends[1].members[0].baseUrl'],
      [[member({ region: 'eu' })], 'backends[1].members[0].region'],
      [[member({ model: '' })], 'backends[1].members[0].model'],
    ];
    for (const [members, field] of refused)
      expectRejected(table, () => table.define('chat', withMembers(members)), InvalidRequestError, field);
  });

  it('goes to the state file with the member keys and comes back prepared', () => {
    const table = new RouteTable();
    table.define('chat', { backends: [BASELINE, POOLED] });
    const [saved] = JSON.parse(JSON.stringify(table.snapshot())) as ReturnType<RouteTable['snapshot']>;
    expect(saved!.backends[1]!.members![0]!.apiKey).toBe('sk-member-a');
    const restored = new RouteTable();
    restored.restore(saved!);
    expect(restored.get('chat')).toEqual(table.get('chat'));
    expect(restored.resolve('chat')!.pools!.get('candidate')).toEqual(table.resolve('chat')!.pools!.get('candidate'));
  });
});

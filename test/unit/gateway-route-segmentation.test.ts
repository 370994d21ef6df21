// A route's segmentation in the route table: what a definition may say about it, that every
// definition keeps or clears it (as a fallback), that it is prepared once per route version, and
// that it goes to the state file (or a worker) and comes back.
import { describe, expect, it } from 'vitest';
import { InvalidRequestError } from '../../gateway/errors';
import { RouteTable } from '../../gateway/route-table';
import { applyGatewayConfig } from '../../gateway/config-file';

const BASELINE = { name: 'baseline', baseUrl: 'http://127.0.0.1:9001/v1', model: 'sim-a' };
const CANDIDATE = { name: 'candidate', baseUrl: 'http://127.0.0.1:9002/v1', model: 'sim-b' };

const segmentedBy = (segmentation: unknown) => ({ backends: [BASELINE, CANDIDATE], segmentation });

/** The refusal `body` gets: an InvalidRequestError naming its field, with the route left exactly as it was. */
function refusal(body: unknown): string {
  const table = new RouteTable();
  table.define('chat', segmentedBy({ header: 'x-tenant' }));
  const before = table.get('chat');
  let caught: unknown;
  try {
    table.define('chat', body);
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(InvalidRequestError);
  expect(table.get('chat')).toEqual(before);
  return (caught as InvalidRequestError).message;
}

describe('a route segmentation in the definition', () => {
  it('is shown as given, prepared once per version, and null on a route without one', () => {
    const table = new RouteTable();
    expect(table.define('plain', { backends: [BASELINE] }).state.segmentation).toBeNull();
    expect(table.resolve('plain')?.segmentOf).toBeNull();
    for (const [rule, headers, body, segment] of [
      [{ header: 'x-tenant' }, { 'x-tenant': 'acme' }, {}, 'acme'],
      [{ metadata: 'tenant' }, {}, { metadata: { tenant: 'globex' } }, 'globex'],
      [
        { language: true },
        {},
        { messages: [{ role: 'user', content: '¿Dónde está mi pedido? Lo hice la semana pasada.' }] },
        'spa',
      ],
    ] as const) {
      const { state } = table.define('chat', segmentedBy(rule));
      expect(state.segmentation).toEqual(rule);
      expect(table.resolve('chat')?.segmentOf?.(headers, body)).toBe(segment);
    }
  });

  it('refuses a bad rule naming the field, and changes nothing', () => {
    expect(refusal(segmentedBy({ header: 'X-Tenant' }))).toBe('segmentation.header: a lower-case HTTP header name');
    expect(refusal(segmentedBy({ header: 'authorization' }))).toBe(
      'segmentation.header: the gateway uses this header itself; pick a header of your own',
    );
    expect(refusal(segmentedBy({ metadata: 'a key' }))).toBe(
      'segmentation.metadata: a metadata key: letters, digits, "_", "." or "-"',
    );
    for (const bad of [{ language: false }, {}, 'x-tenant', 5, { header: 'x-tenant', language: true }, { tenant: 'x' }])
      expect(refusal(segmentedBy(bad)), JSON.stringify(bad)).toBe(
        'segmentation: must be one of {header: <name>}, {metadata: <key>} or {language: true}',
      );
  });

  it('is kept by an equal definition, changed by another rule, removed by a definition without it or with null', () => {
    const table = new RouteTable();
    const first = table.define('chat', segmentedBy({ header: 'x-tenant' }));
    expect(table.define('chat', segmentedBy({ header: 'x-tenant' })).changed).toBe(false);
    expect(table.define('chat', segmentedBy({ header: 'x-region' })).changed).toBe(true);
    expect(table.define('chat', segmentedBy({ language: true })).changed).toBe(true);
    // Weights, shadow and capture changes keep it.
    table.setWeights('chat', { weights: { baseline: 80, candidate: 20 } });
    table.setShadow('chat', { enabled: true, target: 'candidate', share: 0.5 });
    table.setCapture('chat', { enabled: true });
    expect(table.get('chat').segmentation).toEqual({ language: true });
    expect(table.resolve('chat')?.segmentOf).not.toBeNull();

    const cleared = table.define('chat', { backends: [BASELINE, CANDIDATE] });
    expect(cleared.changed).toBe(true);
    expect(cleared.state.segmentation).toBeNull();
    expect(table.resolve('chat')?.segmentOf).toBeNull();
    expect(cleared.state.version).toBe(first.state.version + 6);
    table.define('chat', segmentedBy({ metadata: 'tenant' }));
    expect(table.define('chat', segmentedBy(null)).state.segmentation).toBeNull();
    expect(table.define('chat', segmentedBy(null)).changed).toBe(false);
  });

  it('goes to the state file and comes back prepared; a file without one restores none, a bad one is refused', () => {
    const table = new RouteTable();
    table.define('chat', segmentedBy({ metadata: 'tenant' }));
    table.define('plain', { backends: [BASELINE] });
    const [saved, plain] = JSON.parse(JSON.stringify(table.snapshot())) as ReturnType<RouteTable['snapshot']>;
    expect(saved!.segmentation).toEqual({ metadata: 'tenant' });
    // A route without one keeps the file's shape as before.
    expect(plain).not.toHaveProperty('segmentation');
    const restored = new RouteTable();
    restored.restore(saved!);
    expect(restored.get('chat')).toEqual(table.get('chat'));
    expect(restored.resolve('chat')?.segmentOf?.({}, { metadata: { tenant: 'acme' } })).toBe('acme');

    const { segmentation: _segmentation, ...older } = saved!;
    const fromOlder = new RouteTable();
    fromOlder.restore(older);
    expect(fromOlder.get('chat').segmentation).toBeNull();

    expect(() => new RouteTable().restore({ ...saved!, segmentation: { header: 'Bad Header' } as never })).toThrow(
      'segmentation.header: a lower-case HTTP header name',
    );
  });

  it('comes from a --config file, with a bad rule named by its path in the file', () => {
    const table = new RouteTable();
    applyGatewayConfig(table, {
      routes: { chat: { backends: [BASELINE, CANDIDATE], segmentation: { header: 'x-tenant' } } },
    });
    expect(table.get('chat').segmentation).toEqual({ header: 'x-tenant' });
    expect(() =>
      applyGatewayConfig(new RouteTable(), {
        routes: { chat: { backends: [BASELINE], segmentation: { language: 'yes' } } },
      }),
    ).toThrow(
      'gateway config: routes.chat.segmentation: must be one of {header: <name>}, {metadata: <key>} or {language: true}',
    );
  });
});

// The state file: round trip with credentials, atomic replacement (a failed write leaves the old
// file whole), serialized and coalesced writes, and refusal of corrupt or inconsistent files.
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  RouteStore,
  StateFileError,
  loadRouteState,
  restoreRoutes,
  tempPathFor,
  writeRouteState,
} from '../../gateway/route-store';
import { RouteTable } from '../../gateway/route-table';

const BASELINE = { name: 'baseline', baseUrl: 'http://127.0.0.1:9001/v1', model: 'sim-a', apiKey: 'sk-upstream-1' };
const CANDIDATE = { name: 'candidate', baseUrl: 'http://127.0.0.1:9002/v1', model: 'sim-b' };

let dir: string;
let file: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'route-store-'));
  file = join(dir, 'state.json');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function canaryTable(): RouteTable {
  const table = new RouteTable();
  table.define('chat', { backends: [BASELINE, CANDIDATE] });
  table.setWeights('chat', { weights: { baseline: 60, candidate: 40 } });
  table.setShadow('chat', { enabled: true, target: 'candidate', share: 0.5 });
  table.setCapture('chat', {
    enabled: true,
    share: 0.5,
    redact: { mask: ['email'], patterns: [{ regex: 'ORD-\\d+' }] },
  });
  return table;
}

describe('route state file', () => {
  it('round-trips every route with weights, shadow, capture, version, updatedAt and API keys, mode 0600', async () => {
    const table = canaryTable();
    await writeRouteState(file, table.snapshot());
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const saved = JSON.parse(readFileSync(file, 'utf8')) as { format: number; savedAt: string; routes: unknown[] };
    expect(saved.format).toBe(1);
    expect(Date.parse(saved.savedAt)).not.toBeNaN();

    const restored = new RouteTable();
    restoreRoutes(restored, (await loadRouteState(file))!, file);
    expect(restored.list()).toEqual(table.list());
    expect(restored.resolve('chat')?.backends[0]?.apiKey).toBe('sk-upstream-1');
    expect(readdirSync(dir)).toEqual(['state.json']);
  });

  it('reads a missing file as a first start', async () => {
    expect(await loadRouteState(join(dir, 'none.json'))).toBeNull();
  });

  it('leaves the previous file whole when a write fails', async () => {
    await writeRouteState(file, canaryTable().snapshot());
    const before = readFileSync(file, 'utf8');
    // A directory where the temp file must go: opening it fails, as a full disk or I/O error would.
    mkdirSync(tempPathFor(file));
    const changed = new RouteTable();
    changed.define('other', { backends: [CANDIDATE] });
    await expect(writeRouteState(file, changed.snapshot())).rejects.toThrow(`cannot write gateway state file ${file}`);
    expect(readFileSync(file, 'utf8')).toBe(before);
  });

  it('fails, without touching anything, when the directory does not exist', async () => {
    await expect(writeRouteState(join(dir, 'missing', 'state.json'), [])).rejects.toThrow(
      /cannot write gateway state file .*missing\/state.json/,
    );
  });

  it('refuses corrupt and inconsistent files, naming the file and what is wrong', async () => {
    const cases: Array<[string, RegExp]> = [
      ['{"format":1,"routes":[', /is not valid JSON/],
      ['{"format":2,"savedAt":"x","routes":[]}', /format: must be 1/],
      ['[]', /file/],
      [
        JSON.stringify({
          format: 1,
          savedAt: 'x',
          routes: [{ ...canaryTable().snapshot()[0], weights: { baseline: 60, candidate: 30 } }],
        }),
        /routes\[0\] \("chat"\): weights: must sum to 100/,
      ],
      [
        JSON.stringify({
          format: 1,
          savedAt: 'x',
          routes: [{ ...canaryTable().snapshot()[0], shadow: { enabled: true, target: 'ghost', share: 0.5 } }],
        }),
        /no backend 'ghost'/,
      ],
      [
        JSON.stringify({ format: 1, savedAt: 'x', routes: [canaryTable().snapshot()[0], canaryTable().snapshot()[0]] }),
        /appears twice/,
      ],
    ];
    for (const [text, message] of cases) {
      writeFileSync(file, text);
      const attempt = async () => restoreRoutes(new RouteTable(), (await loadRouteState(file))!, file);
      await expect(attempt(), text).rejects.toThrow(StateFileError);
      await expect(attempt(), text).rejects.toThrow(message);
      await expect(attempt(), text).rejects.toThrow(`gateway state file ${file}`);
    }
  });
});

describe('RouteStore', () => {
  it('serializes writes: every change made before flush() resolves is in the file', async () => {
    const table = new RouteTable();
    const store = new RouteStore(file, table);
    store.attach();
    table.define('chat', { backends: [BASELINE, CANDIDATE] });
    // Many changes while the first write is still in flight are coalesced, never interleaved.
    for (let candidate = 1; candidate <= 20; candidate++)
      table.setWeights('chat', { weights: { baseline: 100 - candidate, candidate } });
    await store.flush();
    const routes = (await loadRouteState(file))!;
    expect(routes[0]?.weights).toEqual({ baseline: 80, candidate: 20 });
    expect(routes[0]?.version).toBe(21);
    table.remove('chat');
    await store.flush();
    expect(await loadRouteState(file)).toEqual([]);
  });

  it('rejects flush() when the write failed and succeeds on a later try once it can write', async () => {
    const table = new RouteTable();
    const errors: Error[] = [];
    const store = new RouteStore(file, table, (error) => errors.push(error));
    store.attach();
    mkdirSync(tempPathFor(file));
    table.define('chat', { backends: [BASELINE] });
    await expect(store.flush()).rejects.toThrow(/cannot write gateway state file/);
    rmSync(tempPathFor(file), { recursive: true });
    await store.flush();
    expect((await loadRouteState(file))?.map((r) => r.route)).toEqual(['chat']);
    expect(errors.length).toBeGreaterThan(0);
  });
});

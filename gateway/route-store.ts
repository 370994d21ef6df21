// The route table on disk, so a restarted gateway serves every route it served before, with its
// last weights and mirroring, before it accepts a request. RouteTable stays pure; this module
// listens to it (onChange) and writes the whole table as JSON:
//
//   { "format": 1, "savedAt": "<ISO time>", "routes": [StoredRoute, ...] }
//
// Writes are atomic (a temp file in the same directory, fsync, rename, fsync of the directory) so
// a crash mid-write leaves the previous file whole, and serialized: one write at a time, changes
// made meanwhile coalesced into the next one. The file holds upstream API keys: mode 0600.
import { open, readFile, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { z } from 'zod';
import { InvalidRequestError, RouteConflictError } from './errors';
import type { RouteTable, StoredRoute } from './route-table';
import { parseOrThrow } from './zod-errors';

export const STATE_FORMAT = 1;

/** The file's outer shape; each route's content is checked by RouteTable.restore. */
const stateFileSchema = z.strictObject({
  format: z.literal(STATE_FORMAT, `must be ${STATE_FORMAT}`),
  savedAt: z.string(),
  routes: z.array(
    z.strictObject({
      route: z.string(),
      backends: z.array(z.unknown()),
      weights: z.record(z.string(), z.number()),
      shadow: z.strictObject({ enabled: z.boolean(), target: z.string().nullable(), share: z.number() }),
      rollout: z.unknown().optional(),
      cohort: z.unknown().optional(),
      fallback: z.unknown().optional(),
      capture: z.unknown().optional(),
      segmentation: z.unknown().optional(),
      version: z.number(),
      updatedAt: z.string(),
    }),
  ),
});

/** The state file exists but cannot be used: the gateway refuses to start rather than start empty. */
export class StateFileError extends Error {
  constructor(
    readonly path: string,
    detail: string,
    options?: ErrorOptions,
  ) {
    super(
      `gateway state file ${path}: ${detail}; refusing to start with an empty route table (repair the file, or move it away to start empty)`,
      options,
    );
    this.name = 'StateFileError';
  }
}

/** The saved routes; null when there is no file yet (a first start). */
export async function loadRouteState(path: string): Promise<StoredRoute[] | null> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return null;
    throw new StateFileError(path, `cannot be read (${code ?? (error as Error).message})`, { cause: error });
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new StateFileError(path, `is not valid JSON (${(error as Error).message})`, { cause: error });
  }
  try {
    return parseOrThrow(stateFileSchema, raw, 'file').routes as StoredRoute[];
  } catch (error) {
    if (error instanceof InvalidRequestError) throw new StateFileError(path, `${error.message}`, { cause: error });
    throw error;
  }
}

/** Puts every saved route into the table; the first bad one fails the whole start. */
export function restoreRoutes(table: RouteTable, routes: StoredRoute[], path: string): void {
  const seen = new Set<string>();
  routes.forEach((saved, index) => {
    const where = `routes[${index}] (${JSON.stringify(saved.route)})`;
    if (seen.has(saved.route)) throw new StateFileError(path, `${where}: the route appears twice`);
    seen.add(saved.route);
    try {
      table.restore(saved);
    } catch (error) {
      if (error instanceof InvalidRequestError || error instanceof RouteConflictError)
        throw new StateFileError(path, `${where}: ${error.message}`, { cause: error });
      throw error;
    }
  });
}

/** Where a write is staged before the rename: same directory (same filesystem), one per process. */
export function tempPathFor(path: string): string {
  return join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
}

/** Replaces the file atomically; on any failure the previous file is left as it was. */
export async function writeRouteState(path: string, routes: StoredRoute[], now = new Date()): Promise<void> {
  const temp = tempPathFor(path);
  const text = `${JSON.stringify({ format: STATE_FORMAT, savedAt: now.toISOString(), routes }, null, 2)}\n`;
  try {
    const file = await open(temp, 'w', 0o600);
    try {
      // A leftover temp file from a crashed write keeps its mode under 'w': set it again.
      await file.chmod(0o600);
      await file.writeFile(text, 'utf8');
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(temp, path);
  } catch (error) {
    await unlink(temp).catch(() => {});
    throw new Error(`cannot write gateway state file ${path}: ${(error as Error).message}`, { cause: error });
  }
  // The rename is durable only once the directory entry is on disk too.
  const directory = await open(dirname(path), 'r');
  try {
    await directory.sync();
  } finally {
    await directory.close();
  }
}

export class RouteStore {
  /** Effective changes seen, and how many of them the file already holds. */
  private changes = 0;
  private saved = 0;
  private writing: Promise<void> | null = null;

  constructor(
    readonly path: string,
    private readonly table: RouteTable,
    private readonly onError: (error: Error) => void = () => {},
  ) {}

  /** Every effective change of the table schedules a write (coalesced with others in flight). */
  attach(): void {
    this.table.onChange(() => {
      this.changes++;
      this.flush().catch((error: unknown) => this.onError(error as Error));
    });
  }

  /** Writes the table now, whatever changed (used at start to prove the file is writable). */
  async save(): Promise<void> {
    this.changes++;
    await this.flush();
  }

  /**
   * Resolves once every change made before the call is in the file; rejects if the write that
   * was to hold them failed. A later call retries, so a failed write is not forgotten.
   */
  async flush(): Promise<void> {
    while (this.saved < this.changes) {
      if (this.writing) {
        // A write in flight may have snapshotted the table before our change: wait, then re-check.
        await this.writing.catch(() => {});
        continue;
      }
      const upTo = this.changes;
      const write = writeRouteState(this.path, this.table.snapshot()).then(() => {
        this.saved = Math.max(this.saved, upTo);
      });
      this.writing = write.finally(() => {
        this.writing = null;
      });
      await this.writing;
    }
  }
}

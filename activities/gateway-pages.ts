// One way to read a route's paged stream from a gateway's admin plane (records, shadow pairs,
// answer samples, feedback): page after page from a cursor, across a restart of the gateway.
// Seqs restart in every gateway process, so the reader passes the epoch its `since` belongs to;
// after a restart the gateway starts the page at the new process's first entry and says so.
import { ApplicationFailure } from '@temporalio/activity';
import type { PageCursor } from '../gateway/admin-api';
import { GatewayRefusedError } from '../gateway/admin-client';
import { FailureType } from '../workflows/failure-types';

export interface PagedRead<T> {
  items: T[];
  /** Highest seq seen (the next read starts after it), in `epoch`. */
  lastSeq: number;
  /** The gateway process the read ended in: pass it back with lastSeq. */
  epoch: string;
  /** The epoch asked for was another process's. */
  restarted: boolean;
  /** Entries after the cursor (all routes) the gateway had already overwritten, summed over the pages. */
  lost: number;
}

export interface PagedReadOptions<T> {
  sinceSeq: number;
  /** The epoch sinceSeq belongs to; omitted: whatever process answers. */
  epoch?: string;
  pageSize: number;
  maxPages: number;
  /** One page; the caller maps the client's errors to its own. */
  page: (since: number, epoch: string | undefined) => Promise<PageCursor & { items: T[] }>;
  /** After a restart, drop what earlier pages read from the process that is gone (default: keep it). */
  dropOnRestart?: boolean;
}

export async function readAllPages<T>(options: PagedReadOptions<T>): Promise<PagedRead<T>> {
  const items: T[] = [];
  let since = options.sinceSeq;
  let current = options.epoch;
  let restarted = false;
  let lost = 0;
  for (let pages = 0; pages < options.maxPages; pages++) {
    const page = await options.page(since, current);
    if (page.restarted) {
      restarted = true;
      since = 0;
      if (options.dropOnRestart) items.length = 0;
    }
    lost += page.lost;
    current = page.epoch;
    items.push(...page.items);
    if (page.items.length < options.pageSize || page.nextSince <= since)
      return { items, lastSeq: Math.max(since, page.nextSince), epoch: page.epoch, restarted, lost };
    since = page.nextSince;
  }
  return { items, lastSeq: since, epoch: current ?? '', restarted, lost };
}

/**
 * What a failed page read throws: a route the gateway does not have is non-retryable (the rollout
 * cannot read what is not there); anything else stays retryable, named by what was read.
 */
export function gatewayReadFailure(error: unknown, route: string, what: string): Error {
  if (error instanceof GatewayRefusedError && error.status === 404 && error.type === 'route_not_found')
    return ApplicationFailure.nonRetryable(
      `gateway has no route ${JSON.stringify(route)} (${error.message})`,
      FailureType.RouteNotFound,
    );
  return new Error(`gateway ${what}: ${(error as Error).message}`, { cause: error });
}

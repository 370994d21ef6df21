// Reads a route's per-request records from the gateway's admin plane, page by page. Seqs restart
// in every gateway process: the reader passes the epoch its `sinceSeq` belongs to, and after a
// restart the gateway starts it from the new process's first record and says so (`restarted`),
// with how many records it can no longer give (`lost`).
import type { RequestRecord } from '../../gateway/admin-api';
import { GatewayAdminClient } from '../../gateway/admin-client';
import { readAllPages } from '../gateway-pages';
import { resolveGatewayToken } from '../traffic/gateway-token';

const PAGE = 10_000;

export interface RecordsRead {
  records: RequestRecord[];
  /** Highest seq seen (the next read starts after it), in `epoch`. */
  lastSeq: number;
  /** The gateway process the read ended in: pass it back with lastSeq. */
  epoch: string;
  /** The epoch asked for was another process's: `records` start at the new process's first record. */
  restarted: boolean;
  /** Records after sinceSeq (all routes) the gateway had already overwritten, summed over the pages read. */
  lost: number;
}

export interface RecordsQuery {
  adminUrl: string;
  route: string;
  sinceSeq: number;
  /** The epoch sinceSeq belongs to; omitted: whatever process answers (the old behaviour). */
  epoch?: string;
  /** router.adminTokenEnv; default GATEWAY_ADMIN_TOKEN. */
  adminTokenEnv?: string;
}

export type RecordsReader = (input: RecordsQuery) => Promise<RecordsRead>;

export const readGatewayRecords: RecordsReader = async ({ adminUrl, route, sinceSeq, epoch, adminTokenEnv }) => {
  const client = new GatewayAdminClient({ adminUrl, token: resolveGatewayToken({ adminTokenEnv }), timeoutMs: 10_000 });
  const read = await readAllPages({
    sinceSeq,
    epoch,
    pageSize: PAGE,
    maxPages: 1_000,
    page: async (since, current) => {
      try {
        const page = await client.records(route, { since, epoch: current, limit: PAGE });
        return { ...page, items: page.records };
      } catch (error) {
        // Every failure stays retryable, as before: the judge counts failed reads against its budget.
        throw new Error(`gateway records: ${(error as Error).message}`, { cause: error });
      }
    },
  });
  const { items: records, ...cursor } = read;
  return { records, ...cursor };
};

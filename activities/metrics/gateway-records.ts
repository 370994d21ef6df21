// Reads a route's per-request records from the gateway's admin API, page by page.
import type { RecordsPage, RequestRecord } from '../../gateway/admin-api';

const PAGE = 10_000;

export interface RecordsRead {
  records: RequestRecord[];
  /** Highest seq seen (the next read starts after it). */
  lastSeq: number;
}

export type RecordsReader = (input: { adminUrl: string; route: string; sinceSeq: number }) => Promise<RecordsRead>;

export const readGatewayRecords: RecordsReader = async ({ adminUrl, route, sinceSeq }) => {
  const records: RequestRecord[] = [];
  let since = sinceSeq;
  for (let pages = 0; pages < 1_000; pages++) {
    const url = `${adminUrl}/admin/routes/${encodeURIComponent(route)}/records?since=${since}&limit=${PAGE}`;
    let response: Response;
    try {
      response = await fetch(url, { signal: AbortSignal.timeout(10_000) });
    } catch (error) {
      throw new Error(`gateway records unreachable at ${url}: ${(error as Error).message}`, { cause: error });
    }
    if (!response.ok) throw new Error(`gateway records ${url} → ${response.status}: ${(await response.text()).slice(0, 300)}`);
    const page = (await response.json()) as RecordsPage;
    records.push(...page.records);
    if (page.records.length < PAGE || page.nextSince <= since) return { records, lastSeq: Math.max(since, page.nextSince) };
    since = page.nextSince;
  }
  return { records, lastSeq: since };
};

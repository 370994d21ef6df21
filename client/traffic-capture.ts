// `rollout capture`: turn capturing on or off for a gateway route, and write what the gateway has
// captured (redacted before it was kept) as a golden dataset, one JSON line per request, that the
// replay stage sends to both backends. The same file seeds a golden dataset: add `expected` or
// `schema` to its lines.
import type { CaptureEntry } from '../lib/capture-entry';
import type { GatewayAdminClient } from '../gateway/admin-client';

/** The roles a golden item takes; a captured `developer` message is an instruction like `system`. */
const ROLE: Record<string, 'system' | 'user' | 'assistant' | undefined> = {
  system: 'system',
  developer: 'system',
  user: 'user',
  assistant: 'assistant',
};

export interface CapturedDataset {
  /** One golden item per line, oldest first. */
  lines: string[];
  /** Entries with nothing a golden item can send (no user message). */
  skipped: number;
  /** Entries the gateway had already overwritten before they were read (its --capture-capacity). */
  lost: number;
}

/** A captured request as a golden item; null when it has no user message to send. */
export function capturedItem(entry: CaptureEntry, id: string): Record<string, unknown> | null {
  const messages = entry.messages.flatMap((message) => {
    const role = ROLE[message.role];
    // Tool calls and their results belong to a conversation the replay cannot hold up by itself.
    return role && message.content !== '' ? [{ role, content: message.content }] : [];
  });
  if (!messages.some((message) => message.role === 'user')) return null;
  const params = Object.fromEntries(Object.entries(entry.params).filter(([, value]) => value !== undefined));
  return {
    id,
    messages,
    tags: ['captured', entry.route],
    ...(Object.keys(params).length > 0 && { params }),
  };
}

/** Everything the gateway holds for the route now (or the newest `limit`), as dataset lines. */
export async function readCapturedDataset(
  admin: GatewayAdminClient,
  route: string,
  limit = Number.POSITIVE_INFINITY,
): Promise<CapturedDataset> {
  const entries: CaptureEntry[] = [];
  let since = 0;
  let epoch: string | undefined;
  let lost = 0;
  for (;;) {
    const page = await admin.captures(route, { since, ...(epoch && { epoch }), limit: 10_000 });
    if (page.restarted) entries.length = 0; // the process changed while reading: only the new one's
    entries.push(...page.captures);
    lost += page.lost;
    epoch = page.epoch;
    if (page.captures.length < 10_000 || page.nextSince <= since) break;
    since = page.nextSince;
  }
  const kept = Number.isFinite(limit) ? entries.slice(-limit) : entries;
  const ids = new Set<string>();
  const lines: string[] = [];
  let skipped = 0;
  for (const entry of kept) {
    // Clients choose their own request ids, so two entries may share one.
    const base = `${entry.route}-${entry.requestId}`;
    const id = ids.has(base) ? `${base}-${entry.seq}` : base;
    const item = capturedItem(entry, id);
    if (!item) {
      skipped += 1;
      continue;
    }
    ids.add(id);
    lines.push(JSON.stringify(item));
  }
  return { lines, skipped, lost };
}

// A captured request as a golden item: the roles a golden item takes, its params, nothing without
// a user message; ids stay unique when clients reuse a request id.
import { describe, expect, it } from 'vitest';
import { capturedItem, readCapturedDataset } from '../../client/traffic-capture';
import type { GatewayAdminClient } from '../../gateway/admin-client';
import type { CaptureEntry } from '../../lib/capture-entry';

const entry = (over: Partial<CaptureEntry> = {}): CaptureEntry => ({
  seq: 1,
  epoch: 'e1',
  route: 'support-bot',
  requestId: 'req-1',
  at: '2026-12-04T10:00:00.000Z',
  messages: [
    { role: 'developer', content: 'Be brief.' },
    { role: 'user', content: 'My card [card] was charged twice.' },
    { role: 'tool', content: '{"order": 7}' },
    { role: 'assistant', content: '' },
  ],
  params: { temperature: 0.3, response_format: { type: 'json_object' } },
  ...over,
});

describe('captured requests as a dataset', () => {
  it('keeps system, developer (as system), user and assistant text, and the params the client sent', () => {
    expect(capturedItem(entry(), 'support-bot-req-1')).toEqual({
      id: 'support-bot-req-1',
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'My card [card] was charged twice.' },
      ],
      tags: ['captured', 'support-bot'],
      params: { temperature: 0.3, response_format: { type: 'json_object' } },
    });
    expect(capturedItem(entry({ params: {} }), 'x')).not.toHaveProperty('params');
    expect(capturedItem(entry({ messages: [{ role: 'system', content: 'Be brief.' }] }), 'x')).toBeNull();
  });

  it('reads every page, keeps the newest `limit`, makes ids unique and counts what it left out', async () => {
    const captures = [
      entry({ seq: 1, requestId: 'same' }),
      entry({ seq: 2, requestId: 'same' }),
      entry({ seq: 3, requestId: 'r3', messages: [] }),
      entry({ seq: 4, requestId: 'r4' }),
    ];
    const admin = {
      captures: async () => ({ epoch: 'e1', nextSince: 4, restarted: false, lost: 2, captures }),
    } as unknown as GatewayAdminClient;
    const all = await readCapturedDataset(admin, 'support-bot');
    expect(all.lines.map((line) => (JSON.parse(line) as { id: string }).id)).toEqual([
      'support-bot-same',
      'support-bot-same-2',
      'support-bot-r4',
    ]);
    expect(all).toMatchObject({ skipped: 1, lost: 2 });
    expect((await readCapturedDataset(admin, 'support-bot', 1)).lines).toHaveLength(1);
  });
});

// What a captured request keeps (request-capture.ts, capture-redaction.ts): each built-in mask on
// realistic text, custom patterns, dropped fields, the sampling fields a replay needs, and the share.
import { describe, expect, it } from 'vitest';
import type { SetCaptureRequest } from '../../gateway/admin-api';
import { captureSettingOf, compileCapture, redactText, type CompiledCapture } from '../../gateway/capture-redaction';
import { capturedRequest, RequestCapturer, type NewCaptureEntry } from '../../gateway/request-capture';
import { parseWorkerConfig, parseWorkerMessage } from '../../gateway/cluster-messages';
import { setCaptureSchema } from '../../gateway/route-schemas';
import { TrafficBatcher, type TrafficBatch } from '../../gateway/traffic-batch';
import { TrafficLog } from '../../gateway/traffic-log';
import { mulberry32 } from '../../lib/seeded-random';

function rules(request: SetCaptureRequest): CompiledCapture {
  return compileCapture(captureSettingOf(setCaptureSchema.parse(request))!);
}

const masks = (...mask: NonNullable<SetCaptureRequest['redact']>['mask'] & object) =>
  rules({ enabled: true, redact: { mask } });

describe('capture redaction', () => {
  it('masks email addresses', () => {
    expect(redactText('Mail jane.doe+orders@mail.example.co.uk or ops@acme.io today', masks('email'))).toBe(
      'Mail [email] or [email] today',
    );
  });

  it('masks card numbers, grouped or not, and leaves short numbers and dates', () => {
    const text = 'Card 4111 1111 1111 1111, also 5500-0000-0000-0004 and 378282246310005; order 12345 on 2026-12-04';
    expect(redactText(text, masks('card'))).toBe('Card [card], also [card] and [card]; order 12345 on 2026-12-04');
  });

  it('masks phone numbers in common formats, not dates or versions', () => {
    const text = 'Call +1 (415) 555-0132 or 415-555-0199 or +44 20 7946 0958; v1.2.3 shipped 2026-12-04';
    expect(redactText(text, masks('phone'))).toBe('Call [phone] or [phone] or [phone]; v1.2.3 shipped 2026-12-04');
  });

  it('masks IPv4 addresses, not version strings or out-of-range quads', () => {
    expect(redactText('from 192.168.1.20 and 10.0.0.1, not 1.2.3 or 999.1.1.1', masks('ipv4'))).toBe(
      'from [ipv4] and [ipv4], not 1.2.3 or 999.1.1.1',
    );
  });

  it('masks API keys and bearer tokens', () => {
    const text =
      'my key is sk-proj-AbCdEf0123456789xyzQ, AWS AKIAIOSFODNN7EXAMPLE, header Bearer eyJhbGciOiJIUzI1NiJ9.payload.sig';
    expect(redactText(text, masks('apiKey'))).toBe('my key is [apiKey], AWS [apiKey], header [apiKey]');
  });

  it('masks nothing it was not asked to, and a key before the digits in it', () => {
    const text = 'jane@example.com 4111111111111111 sk-live-4111111111111111abcd';
    expect(redactText(text, masks('email'))).toBe('[email] 4111111111111111 sk-live-4111111111111111abcd');
    expect(redactText(text, masks('card', 'apiKey'))).toBe('jane@example.com [card] [apiKey]');
  });

  it('applies custom patterns after the masks, with their replacement or the default', () => {
    const capture = rules({
      enabled: true,
      redact: {
        mask: ['email'],
        patterns: [{ regex: 'ORD-\\d{6}', replacement: '[order]' }, { regex: '[Aa][Cc][Mm][Ee] [Cc]orp' }],
      },
    });
    expect(redactText('ACME Corp order ORD-123456 for bob@acme.io', capture)).toBe(
      '[redacted] order [order] for [email]',
    );
  });
});

describe('capturedRequest', () => {
  const BODY = {
    model: 'chat',
    user: 'acct 991 jane@example.com',
    metadata: { tenant: 'acme' },
    temperature: 0.2,
    top_p: 0.9,
    max_tokens: 256,
    response_format: { type: 'json_object' },
    stream: true,
    tools: [{ type: 'function', function: { name: 'lookup' } }],
    messages: [
      { role: 'system', content: 'You are support.' },
      { role: 'user', content: [{ type: 'text', text: 'I am jane@example.com, card 4111 1111 1111 1111' }] },
      { role: 'assistant', content: 'Checking.' },
      { role: 'tool', tool_call_id: 'c1', content: '{"status":"shipped"}' },
    ],
  };

  it('keeps the messages redacted and the sampling fields, and drops user and metadata by default', () => {
    const entry = capturedRequest(
      'chat',
      rules({ enabled: true, redact: { mask: ['email', 'card'] } }),
      'r1',
      BODY,
      'T',
    );
    expect(entry).toEqual({
      route: 'chat',
      requestId: 'r1',
      at: 'T',
      messages: [
        { role: 'system', content: 'You are support.' },
        { role: 'user', content: 'I am [email], card [card]' },
        { role: 'assistant', content: 'Checking.' },
        { role: 'tool', content: '{"status":"shipped"}' },
      ],
      params: { temperature: 0.2, top_p: 0.9, max_tokens: 256, response_format: { type: 'json_object' } },
    } satisfies NewCaptureEntry);
  });

  it('keeps user (masked) and metadata when dropFields does not name them, and drops the fields it names', () => {
    const capture = rules({ enabled: true, redact: { dropFields: ['max_tokens'], mask: ['email'] } });
    const entry = capturedRequest('chat', capture, 'r1', BODY, 'T');
    expect(entry.user).toBe('acct 991 [email]');
    expect(entry.metadata).toEqual({ tenant: 'acme' });
    expect(entry.params).toEqual({ temperature: 0.2, top_p: 0.9, response_format: { type: 'json_object' } });
  });

  it('keeps the share asked for, and every request at share 1', () => {
    const kept: NewCaptureEntry[] = [];
    const capturer = new RequestCapturer({ addCapture: (entry) => kept.push(entry) }, mulberry32(7));
    for (let i = 0; i < 1_000; i++) capturer.offer('chat', rules({ enabled: true, share: 0.3 }), `r${i}`, BODY);
    expect(kept.length).toBeGreaterThan(250);
    expect(kept.length).toBeLessThan(350);
    kept.length = 0;
    for (let i = 0; i < 100; i++) capturer.offer('chat', rules({ enabled: true }), `r${i}`, BODY);
    expect(kept).toHaveLength(100);
  });
});

describe('captures across processes', () => {
  it("ride in a worker's batch, already redacted, and arrive as the one-process gateway keeps them", () => {
    const capture = rules({ enabled: true, redact: { mask: ['email'] } });
    const body = { model: 'chat', user: 'jane@example.com', messages: [{ role: 'user', content: 'jane@example.com' }] };
    const sent: TrafficBatch[] = [];
    const batcher = new TrafficBatcher((batch) => sent.push(batch));
    const direct = new TrafficLog({ epoch: 'e1' });
    new RequestCapturer(direct, Math.random).offer('chat', capture, 'r1', body);
    new RequestCapturer(batcher, Math.random).offer('chat', capture, 'r1', body);
    batcher.flush();
    const wire = JSON.stringify({ type: 'traffic', ...sent[0]! });
    expect(wire).not.toContain('jane@example.com');
    const message = parseWorkerMessage(JSON.parse(wire));
    const primary = new TrafficLog({ epoch: 'e1' });
    if (message?.type === 'traffic') for (const entry of message.captures) primary.addCapture(entry);
    const kept = primary.capturesFor('chat', 0, 10).items;
    expect(kept).toHaveLength(1);
    expect({ ...kept[0], at: 'T' }).toEqual({ ...direct.capturesFor('chat', 0, 10).items[0], at: 'T' });
    // A batch from a worker that captures nothing (or predates captures) may leave them out.
    expect(parseWorkerMessage({ type: 'traffic', exchanges: [], pairs: [] })).toMatchObject({ captures: [] });
    const config = { upstreamTimeoutMs: 1_000, maxBodyBytes: 1_000, capture: true };
    expect(parseWorkerConfig(JSON.stringify(config)).capture).toBe(true);
  });
});

// The relay a route with a fallback uses: a 5xx never reaches the client (it may still be replaced),
// everything else passes through as it arrives, backpressure included.
import { describe, expect, it } from 'vitest';
import { holdingServerErrors } from '../../gateway/fallback-relay';
import type { ResponseSink } from '../../gateway/upstream';

function recordingRelay(): { relay: ResponseSink; seen: string[]; drained: Promise<void> } {
  const seen: string[] = [];
  const drained = Promise.resolve();
  return {
    seen,
    drained,
    relay: {
      headers: (status) => seen.push(`headers ${status}`),
      chunk: (data) => {
        seen.push(`chunk ${data.toString()}`);
        return drained;
      },
      end: () => seen.push('end'),
    },
  };
}

describe('holdingServerErrors', () => {
  it('passes a 2xx or 4xx answer through as it arrives, with the relay backpressure', () => {
    for (const status of [200, 429]) {
      const { relay, seen, drained } = recordingRelay();
      const sink = holdingServerErrors(relay);
      sink.headers(status, { 'content-type': 'application/json' });
      expect(sink.chunk(Buffer.from('{"a":1}'))).toBe(drained);
      sink.end?.();
      expect(seen).toEqual([`headers ${status}`, 'chunk {"a":1}', 'end']);
    }
  });

  it('keeps every part of a 5xx answer from the client', () => {
    for (const status of [500, 503]) {
      const { relay, seen } = recordingRelay();
      const sink = holdingServerErrors(relay);
      sink.headers(status, { 'content-type': 'application/json' });
      expect(sink.chunk(Buffer.from('{"error":{}}'))).toBeUndefined();
      sink.end?.();
      expect(seen).toEqual([]);
    }
  });
});

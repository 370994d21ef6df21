// What the data plane needs to hand a failed live request to the route's fallback (RouteFallback in
// admin-api.ts): a relay that keeps a 5xx answer from the client, so it can still be replaced, and
// the rule saying when it may be. Routes without a fallback use neither: their relay is untouched.
import type { ServerResponse } from 'node:http';
import type { ResponseSink, UpstreamOutcome } from './upstream';

/**
 * `relay`, except that a 5xx answer is not passed on: its status line and body never reach the
 * client. Nothing more is kept for it (the exchange keeps its bounded copy of every body anyway,
 * for the record), and every other answer goes through as it arrives.
 */
export function holdingServerErrors(relay: ResponseSink): ResponseSink {
  let held = false;
  return {
    headers(status, headers) {
      held = status >= 500;
      if (!held) relay.headers(status, headers);
    },
    chunk(data) {
      return held ? undefined : relay.chunk(data);
    },
    end() {
      if (!held) relay.end?.();
    },
  };
}

/**
 * The exchange failed (unreachable, timed out, cut, or a 5xx status) before any byte of an answer
 * reached the client, which is still there. After a 4xx or a 499, or once the client has seen a
 * status line, a retry would change what the client was told. A closing gateway is not asked
 * about: a 5xx held back (holdingServerErrors) must still reach the client as some answer, and the
 * fallback's exchange, refused at once while the gateway closes, gives it a 502.
 */
export function mayFallBack(outcome: UpstreamOutcome, res: ServerResponse, clientGone: boolean): boolean {
  if (clientGone || res.headersSent || res.destroyed) return false;
  return outcome.failure !== null || outcome.status >= 500;
}

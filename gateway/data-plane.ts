// The OpenAI-compatible data plane: POST /v1/chat/completions and /v1/embeddings. The body's
// `model` names the route; the route picks a backend (sticky by session/user), the request is
// forwarded with the backend's own model name, and the response (status, body, streaming or
// not) is relayed as-is with `x-rollout-backend` and `x-request-id` added.
import { randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { ShadowAnswer } from './admin-api';
import type { AnswerSampler } from './answer-sampler';
import { InvalidRequestError, RouteNotFoundError } from './errors';
import { isoNow, type ExchangeSink, type PairSink } from './exchange-recorder';
import { forwardedBodies } from './forwarded-body';
import { firstHeaderValue, readJsonObject, sendError } from './http-io';
import { inspectOutcome } from './inspect-outcome';
import type { InspectedAnswer } from './inspect-outcome';
import { requestMessages } from './request-messages';
import type { RouteTable } from './route-table';
import type { ShadowMirror } from './shadow-mirror';
import { bucketOf, chooseByBucket, stickinessKey } from './stickiness';
import { cohortProbe } from './cohort-probe';
import { tenthOfMs, type ResponseSink, type UpstreamClient, type UpstreamOutcome, type UpstreamPath } from './upstream';

export interface DataPlaneDeps {
  /** Read on every request: a worker swaps in each new table the primary sends. */
  table: RouteTable;
  recorder: ExchangeSink;
  log: PairSink;
  /** Keeps answers as text for the canary's behavioral check; null when sampling is off. */
  sampler: AnswerSampler | null;
  shadow: ShadowMirror;
  upstream: UpstreamClient;
  upstreamTimeoutMs: number;
  maxBodyBytes: number;
  /** How long a client may take to send its body before it gets 408. */
  bodyTimeoutMs: number;
  /** Aborted when the gateway shuts down. */
  closing: AbortSignal;
  random: () => number;
}

/** Incoming ids are echoed when they look like ids; anything else is replaced. */
const REQUEST_ID_PATTERN = /^[A-Za-z0-9._:-]{1,128}$/;

export function requestIdFrom(headers: IncomingHttpHeaders): string {
  const id = firstHeaderValue(headers, 'x-request-id');
  return id && REQUEST_ID_PATTERN.test(id) ? id : randomUUID();
}

export async function handleInference(
  req: IncomingMessage,
  res: ServerResponse,
  path: UpstreamPath,
  deps: DataPlaneDeps,
): Promise<void> {
  const requestId = requestIdFrom(req.headers);
  res.setHeader('x-request-id', requestId);
  const body = await readJsonObject(req, deps.maxBodyBytes, deps.bodyTimeoutMs);
  const routeName = body.model;
  if (typeof routeName !== 'string' || routeName === '')
    throw new InvalidRequestError('model', 'must be a non-empty string naming a route');
  const route = deps.table.resolve(routeName);
  if (!route) throw new RouteNotFoundError(routeName);

  const key = stickinessKey(req.headers, body);
  // Kept on the record: the unit of assignment, which the judge's sample-ratio check counts.
  const stickyBucket = key === null ? null : bucketOf(route.route, key);
  // A route without a cohort pays one null check; with one, its requests are split by the
  // cohort's weights over the same buckets, so they stay as sticky as everyone else.
  const inCohort = route.inCohort !== null && route.inCohort(cohortProbe(route.route, req.headers, body, key));
  const weights = inCohort ? route.cohort!.weights : route.weights;
  const backend = chooseByBucket(route.backends, weights, stickyBucket, deps.random);
  res.setHeader('x-rollout-backend', backend.name);

  // Started before the primary so both see the same moment; the copy is never awaited here.
  const shadowTarget = path === 'chat/completions' ? deps.shadow.pickTarget(route, backend.name) : null;
  let forwardedBody: string;
  let shadowRun: Promise<ShadowAnswer | null> | null = null;
  if (shadowTarget) {
    const [live, copy] = forwardedBodies(body, [backend, shadowTarget]);
    forwardedBody = live!;
    shadowRun = deps.shadow.mirror({
      route: route.route,
      target: shadowTarget,
      path,
      body,
      forwardedBody: copy!,
      requestId,
      stickyBucket,
      cohort: inCohort,
    });
  } else {
    // Embeddings take no system prompt or sampling: the bundle is for chat requests.
    forwardedBody = forwardedBodies(body, [path === 'chat/completions' ? backend : { model: backend.model }])[0]!;
  }

  let clientGone = false;
  let abortUpstream: (() => void) | null = null;
  res.on('close', () => {
    if (res.writableFinished) return;
    clientGone = true;
    abortUpstream?.();
  });
  const exchanged = await deps.upstream.exchange({
    backend,
    path,
    body: forwardedBody,
    requestId,
    timeoutMs: deps.upstreamTimeoutMs,
    signal: deps.closing,
    onAbortable(abort) {
      abortUpstream = abort;
    },
    sink: relayTo(res),
  });
  // A client that hangs up is not the backend's fault: record it as 499 (client closed request,
  // the nginx convention) so it never counts as a 5xx against the backend.
  const outcome = exchanged.failure !== null && clientGone ? { ...exchanged, status: 499 } : exchanged;
  finishClientResponse(res, outcome, backend.name);

  const answer = inspectOutcome(outcome, path, body);
  deps.recorder.record({
    route: route.route,
    backend,
    mode: 'live',
    requestId,
    stickyBucket,
    cohort: inCohort,
    outcome,
    answer,
  });
  if (deps.sampler && path === 'chat/completions')
    deps.sampler.offer({
      route: route.route,
      backend,
      mode: 'live',
      requestId,
      status: outcome.status,
      answer,
      body,
      at: isoNow(),
    });

  if (shadowRun) {
    const primary = primaryAnswer(backend.name, outcome, answer);
    const messages = requestMessages(body);
    void shadowRun.then((shadow: ShadowAnswer | null) => {
      if (shadow) deps.log.addPair({ requestId, route: route.route, messages, primary, shadow, at: isoNow() });
    });
  }
}

function relayTo(res: ServerResponse): ResponseSink {
  // The status line waits for the first byte of the body (node:http holds it until then anyway), so
  // a backend that fails before sending any still leaves the client a whole 502 rather than a cut.
  let head: [number, Record<string, string>] | null = null;
  const writeHead = () => {
    if (head) res.writeHead(head[0], head[1]);
    head = null;
  };
  return {
    headers(status, headers) {
      head = [status, headers];
    },
    // Ending here rather than once the exchange has settled saves a write (a syscall) per request:
    // the chunked body's terminator joins the last chunk instead of following it alone.
    end() {
      writeHead();
      res.end();
    },
    // Not async: a resolved promise per chunk would make the upstream pause and resume every time.
    chunk(data) {
      writeHead();
      if (res.write(data)) return;
      // Respect backpressure from a slow client; a client that disconnects releases us too.
      return new Promise<void>((resolve) => {
        const done = () => {
          res.off('drain', done);
          res.off('close', done);
          resolve();
        };
        res.on('drain', done);
        res.on('close', done);
      });
    },
  };
}

function finishClientResponse(res: ServerResponse, outcome: UpstreamOutcome, backendName: string): void {
  if (outcome.failure === null) {
    if (!res.writableEnded) res.end();
  } else if (res.headersSent) {
    // Part of the body is already on the wire; a cut connection is the only honest signal left.
    res.destroy();
  } else if (!res.destroyed) {
    sendError(res, 502, 'upstream_unavailable', `backend '${backendName}' failed: ${outcome.failure}`);
  }
}

function primaryAnswer(backend: string, outcome: UpstreamOutcome, answer: InspectedAnswer): ShadowAnswer {
  return {
    backend,
    status: outcome.status,
    latencyMs: tenthOfMs(outcome.latencyMs),
    content: answer.content,
    promptTokens: answer.promptTokens,
    completionTokens: answer.completionTokens,
  };
}

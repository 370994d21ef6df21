// The OpenAI-compatible data plane: POST /v1/chat/completions and /v1/embeddings. The body's
// `model` names the route; the route picks a backend (sticky by session/user), the request is
// forwarded with the backend's own model name, and the response (status, body, streaming or
// not) is relayed as-is with `x-rollout-backend` and `x-request-id` added. When the backend fails
// before the client saw any of its answer and the route has a fallback, the fallback answers instead.
// A pooled backend (BackendSpec.members) is forwarded to the member picked for the request (backend-pool.ts).
// A route with segmentation tags the request's records (live, fallback, shadow) with its segment (request-segment.ts).
import { randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { ShadowAnswer } from './admin-api';
import { forwardedBackend, type ForwardedBackend } from './backend-pool';
import type { AnswerSampler } from './answer-sampler';
import { InvalidRequestError, RouteNotFoundError } from './errors';
import { isoNow, type ExchangeSink, type PairSink } from './exchange-recorder';
import type { FeedbackSink } from './feedback-recorder';
import { forwardedBodies } from './forwarded-body';
import { holdingServerErrors, mayFallBack } from './fallback-relay';
import { firstHeaderValue, readJsonObject, sendError } from './http-io';
import { inspectOutcome } from './inspect-outcome';
import type { InspectedAnswer } from './inspect-outcome';
import { requestMessages } from './request-messages';
import type { ResolvedFallback, ResolvedRoute, RouteTable } from './route-table';
import type { RequestCapturer } from './request-capture';
import type { ShadowMirror } from './shadow-mirror';
import { bucketOf, chooseByBucket, stickinessKey } from './stickiness';
import { cohortProbe } from './cohort-probe';
import { tenthOfMs, type ResponseSink, type UpstreamClient, type UpstreamOutcome, type UpstreamPath } from './upstream';

export interface DataPlaneDeps {
  /** Read on every request: a worker swaps in each new table the primary sends. */
  table: RouteTable;
  recorder: ExchangeSink;
  log: PairSink;
  /** Feedback sent to POST /v1/feedback (feedback-endpoint.ts), attributed by user or to be attributed by request id. */
  feedback: FeedbackSink;
  /** Keeps answers as text for the canary's behavioral check; null when sampling is off. */
  sampler: AnswerSampler | null;
  /** Keeps live chat requests of routes with capture on, redacted; null when capturing is off (--capture-capacity 0). */
  capturer: RequestCapturer | null;
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
export const REQUEST_ID_PATTERN = /^[A-Za-z0-9._:-]{1,128}$/;

export function requestIdFrom(headers: IncomingHttpHeaders): string {
  const id = firstHeaderValue(headers, 'x-request-id');
  return id && REQUEST_ID_PATTERN.test(id) ? id : randomUUID();
}

/** Whether the request is in the route's cohort (its rule, if any, matches): then the cohort's weights assign it. */
export function inRouteCohort(
  route: ResolvedRoute,
  headers: IncomingHttpHeaders,
  body: Record<string, unknown>,
  key: string | null,
): boolean {
  return route.inCohort !== null && route.inCohort(cohortProbe(route.route, headers, body, key));
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
  const inCohort = inRouteCohort(route, req.headers, body, key);
  const weights = inCohort ? route.cohort!.weights : route.weights;
  // Once per request, for every record it makes; a route without segmentation pays one null check.
  const segment = route.segmentOf === null ? undefined : route.segmentOf(req.headers, body);
  const chosen = chooseByBucket(route.backends, weights, stickyBucket, deps.random);
  res.setHeader('x-rollout-backend', chosen.name);
  // Resolved once, right after the choice; a route without pools pays one null check.
  const backend = route.pools === null ? chosen : forwardedBackend(route.pools, chosen, key, deps.random);

  // Started before the primary so both see the same moment; the copy is never awaited here.
  const shadowBackend = path === 'chat/completions' ? deps.shadow.pickTarget(route, chosen.name) : null;
  const shadowTarget =
    shadowBackend && route.pools !== null
      ? forwardedBackend(route.pools, shadowBackend, key, deps.random)
      : shadowBackend;
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
      segment,
    });
  } else {
    // Embeddings take no system prompt or sampling: the bundle is for chat requests.
    forwardedBody = forwardedBodies(body, [path === 'chat/completions' ? backend : { model: backend.model }])[0]!;
  }

  const call: LiveCall = {
    req: { route, path, body, requestId, key, stickyBucket, cohort: inCohort, segment },
    res,
    deps,
    clientGone: false,
    abortUpstream: null,
  };
  res.on('close', () => {
    if (res.writableFinished) return;
    call.clientGone = true;
    call.abortUpstream?.();
  });
  const { fallback } = route;
  const relay = relayTo(res);
  // With a fallback, a 5xx is kept from the client until it is known whether the fallback answers.
  const outcome = await exchangeLive(
    call,
    backend,
    forwardedBody,
    deps.upstreamTimeoutMs,
    fallback ? holdingServerErrors(relay) : relay,
  );
  const fallingBack = fallback !== null && mayFallBack(outcome, res, call.clientGone);
  if (!fallingBack) finishClientResponse(res, outcome, backend.name);
  const answer = recordLive(call, backend, outcome, fallingBack ? fallback.backend.name : undefined, undefined);
  if (fallingBack) await answerOnFallback(call, fallback, backend.name);
  // After the answer, so redaction never delays it; a route without capture pays one null check.
  if (route.captureRules !== null && deps.capturer && path === 'chat/completions')
    deps.capturer.offer(route.route, route.captureRules, requestId, body);

  if (shadowRun) {
    const primary = primaryAnswer(backend, outcome, answer);
    const messages = requestMessages(body);
    void shadowRun.then((shadow: ShadowAnswer | null) => {
      if (shadow) deps.log.addPair({ requestId, route: route.route, messages, primary, shadow, at: isoNow() });
    });
  }
}

/** The request, as the attempts on the backend and then on the fallback share it. */
interface LiveRequest {
  route: ResolvedRoute;
  path: UpstreamPath;
  body: Record<string, unknown>;
  requestId: string;
  /** The stickiness key, which also picks the member of a pooled fallback. */
  key: string | null;
  stickyBucket: number | null;
  cohort: boolean;
  /** Under the route's segmentation; undefined when the route has none or the request no value. */
  segment: string | undefined;
}

/** One live request in flight: set by the response's 'close' listener, read by every attempt. */
interface LiveCall {
  req: LiveRequest;
  res: ServerResponse;
  deps: DataPlaneDeps;
  clientGone: boolean;
  /** Aborts the attempt in flight (the client hung up). */
  abortUpstream: (() => void) | null;
}

async function exchangeLive(
  call: LiveCall,
  backend: ForwardedBackend,
  forwardedBody: string,
  timeoutMs: number,
  sink: ResponseSink,
): Promise<UpstreamOutcome> {
  const exchanged = await call.deps.upstream.exchange({
    backend,
    path: call.req.path,
    body: forwardedBody,
    requestId: call.req.requestId,
    timeoutMs,
    signal: call.deps.closing,
    onAbortable(abort) {
      call.abortUpstream = abort;
    },
    sink,
  });
  // A client that hangs up is not the backend's fault: record it as 499 (client closed request,
  // the nginx convention) so it never counts as a 5xx against the backend.
  return exchanged.failure !== null && call.clientGone ? { ...exchanged, status: 499 } : exchanged;
}

/** Records one live attempt (and offers its answer to the sampler) under the backend that made it. */
function recordLive(
  call: LiveCall,
  backend: ForwardedBackend,
  outcome: UpstreamOutcome,
  fallbackTo: string | undefined,
  fallbackFor: string | undefined,
): InspectedAnswer {
  const { req, deps } = call;
  const answer = inspectOutcome(outcome, req.path, req.body);
  deps.recorder.record({
    route: req.route.route,
    backend,
    mode: 'live',
    requestId: req.requestId,
    stickyBucket: req.stickyBucket,
    cohort: req.cohort,
    segment: req.segment,
    outcome,
    answer,
    fallbackTo,
    fallbackFor,
  });
  if (deps.sampler && req.path === 'chat/completions')
    deps.sampler.offer({
      route: req.route.route,
      backend,
      mode: 'live',
      requestId: req.requestId,
      status: outcome.status,
      answer,
      body: req.body,
      at: isoNow(),
    });
  return answer;
}

/**
 * Asks the fallback, up to `maxAttempts` times, each attempt recorded under the fallback's own name
 * and `fallbackFor`. An attempt that fails as a retry may (mayFallBack) is followed by the next; the
 * last is relayed whatever it is, so a client whose every attempt failed gets the last one's failure.
 */
async function answerOnFallback(
  call: LiveCall,
  fallback: Readonly<ResolvedFallback>,
  failedBackend: string,
): Promise<void> {
  const { req, res, deps } = call;
  const { pools } = req.route;
  const target = pools === null ? fallback.backend : forwardedBackend(pools, fallback.backend, req.key, deps.random);
  res.setHeader('x-rollout-backend', target.name);
  res.setHeader('x-rollout-fallback-from', failedBackend);
  const forwardedBody = forwardedBodies(req.body, [
    req.path === 'chat/completions' ? target : { model: target.model },
  ])[0]!;
  const relay = relayTo(res);
  for (let attempt = 1; ; attempt++) {
    const last = attempt === fallback.maxAttempts;
    const timeoutMs = fallback.timeoutMs ?? deps.upstreamTimeoutMs;
    const outcome = await exchangeLive(
      call,
      target,
      forwardedBody,
      timeoutMs,
      last ? relay : holdingServerErrors(relay),
    );
    const again = !last && mayFallBack(outcome, res, call.clientGone);
    if (!again) finishClientResponse(res, outcome, target.name);
    recordLive(call, target, outcome, undefined, failedBackend);
    if (!again) return;
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

function primaryAnswer(backend: ForwardedBackend, outcome: UpstreamOutcome, answer: InspectedAnswer): ShadowAnswer {
  return {
    backend: backend.name,
    status: outcome.status,
    latencyMs: tenthOfMs(outcome.latencyMs),
    content: answer.content,
    promptTokens: answer.promptTokens,
    completionTokens: answer.completionTokens,
    ...('member' in backend && { member: backend.member }),
  };
}

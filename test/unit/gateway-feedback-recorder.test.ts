// Feedback where the records live (feedback-recorder.ts): by user recorded as the data plane
// attributed it, by request id attributed from the live records or dropped and counted (unknown,
// duplicate); the multi-process primary's second look at an id whose record has not come yet; and
// feedback crossing the worker channel in the traffic batches, recorded as the one process would.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { BackendSpec } from '../../gateway/admin-api';
import { parseWorkerMessage } from '../../gateway/cluster-messages';
import { ExchangeRecorder, type ExchangeEntry } from '../../gateway/exchange-recorder';
import { decodeExchange } from '../../gateway/exchange-wire';
import {
  FEEDBACK_RETRY_MS,
  FeedbackRecorder,
  MAX_FEEDBACK_HELD,
  type FeedbackOffer,
} from '../../gateway/feedback-recorder';
import { GatewayMetrics } from '../../gateway/metrics';
import { TrafficBatcher, type TrafficBatch } from '../../gateway/traffic-batch';
import { TrafficLog } from '../../gateway/traffic-log';

const AT = '2026-01-01T00:00:00.000Z';
const CANDIDATE: BackendSpec = { name: 'candidate', baseUrl: 'http://127.0.0.1:9002/v1', model: 'sim-b' };

function live(requestId: string, backend: BackendSpec = CANDIDATE): ExchangeEntry {
  return {
    route: 'chat',
    backend,
    mode: 'live',
    requestId,
    stickyBucket: null,
    cohort: false,
    outcome: {
      status: 200,
      contentType: 'application/json',
      bodyText: '',
      latencyMs: 3,
      firstTokenMs: null,
      failure: null,
      failedAfterHeaders: false,
    },
    answer: { content: 'hi', promptTokens: 1, completionTokens: 1, refusal: false, validJson: null },
  };
}

const byRequest = (requestId: string, kind: FeedbackOffer['kind'] = 'thumbs', value = 1): FeedbackOffer => ({
  route: 'chat',
  kind,
  value,
  at: AT,
  backend: null,
  requestId,
});

const byUser = (backend: string, kind: FeedbackOffer['kind'], value: number): FeedbackOffer => ({
  route: 'chat',
  kind,
  value,
  at: AT,
  backend,
  requestId: null,
});

function gateway(retryUnknownMs = 0) {
  const metrics = new GatewayMetrics({ defaultMetrics: false });
  const log = new TrafficLog({ epoch: 'e1' });
  return {
    metrics,
    log,
    exchanges: new ExchangeRecorder(metrics, log),
    feedback: new FeedbackRecorder(metrics, log, { retryUnknownMs }),
    events: () => log.feedbackFor('chat', 0, 1_000).items,
    metricsText: async () => (await metrics.render()).body,
  };
}

describe('FeedbackRecorder', () => {
  it('records feedback by user as attributed, never deduplicated, with its value in the series', async () => {
    const g = gateway();
    g.feedback.offerFeedback(byUser('baseline', 'score', 4.5));
    g.feedback.offerFeedback(byUser('baseline', 'score', -2));
    g.feedback.offerFeedback(byUser('candidate', 'thumbs', 0));
    expect(g.events()).toEqual([
      { seq: 1, epoch: 'e1', route: 'chat', backend: 'baseline', requestId: null, kind: 'score', value: 4.5, at: AT },
      { seq: 2, epoch: 'e1', route: 'chat', backend: 'baseline', requestId: null, kind: 'score', value: -2, at: AT },
      { seq: 3, epoch: 'e1', route: 'chat', backend: 'candidate', requestId: null, kind: 'thumbs', value: 0, at: AT },
    ]);
    const text = await g.metricsText();
    expect(text).toContain('llm_gateway_feedback_total{route="chat",backend="baseline",kind="score"} 2');
    expect(text).toContain('llm_gateway_feedback_value_sum{route="chat",backend="baseline",kind="score"} 2.5');
    expect(text).toContain('llm_gateway_feedback_total{route="chat",backend="candidate",kind="thumbs"} 1');
    // A thumbs down adds 0, and the series is there to say so.
    expect(text).toContain('llm_gateway_feedback_value_sum{route="chat",backend="candidate",kind="thumbs"} 0');
    expect(text).not.toMatch(/^llm_gateway_feedback_dropped_total\{/m);
  });

  it('attributes feedback by request id to the backend of its live record; drops and counts unknown ids and repeats', async () => {
    const g = gateway();
    g.exchanges.record(live('r-1'));
    g.feedback.offerFeedback(byRequest('r-1', 'thumbs', 1));
    g.feedback.offerFeedback(byRequest('r-1', 'thumbs', 0));
    g.feedback.offerFeedback(byRequest('r-1', 'conversion', 1));
    g.feedback.offerFeedback(byRequest('r-never'));
    g.feedback.offerFeedback({ ...byRequest('r-1', 'score', 3), route: 'search' });
    expect(g.events().map((e) => [e.requestId, e.backend, e.kind, e.value])).toEqual([
      ['r-1', 'candidate', 'thumbs', 1],
      ['r-1', 'candidate', 'conversion', 1],
    ]);
    const text = await g.metricsText();
    expect(text).toContain('llm_gateway_feedback_dropped_total{route="chat",reason="duplicate"} 1');
    expect(text).toContain('llm_gateway_feedback_dropped_total{route="chat",reason="unknown_request"} 1');
    expect(text).toContain('llm_gateway_feedback_dropped_total{route="search",reason="unknown_request"} 1');
    expect(text).toContain('llm_gateway_feedback_value_sum{route="chat",backend="candidate",kind="thumbs"} 1');
  });
});

describe("the multi-process primary's second look", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it(`holds feedback whose record has not come yet for ${FEEDBACK_RETRY_MS} ms, then records it`, () => {
    const g = gateway(FEEDBACK_RETRY_MS);
    g.feedback.offerFeedback(byRequest('r-late', 'score', 7));
    expect(g.events()).toEqual([]);
    expect(g.feedback.pending).toBe(1);
    vi.advanceTimersByTime(FEEDBACK_RETRY_MS / 2);
    // Another worker's batch brings the record.
    g.exchanges.record(live('r-late'));
    vi.advanceTimersByTime(FEEDBACK_RETRY_MS / 2);
    expect(g.feedback.pending).toBe(0);
    expect(g.events().map((e) => [e.requestId, e.backend, e.value])).toEqual([['r-late', 'candidate', 7]]);
  });

  it('drops an id still unknown after the second look, counting it once; duplicates are dropped at once', async () => {
    const g = gateway(FEEDBACK_RETRY_MS);
    g.exchanges.record(live('r-1'));
    g.feedback.offerFeedback(byRequest('r-1'));
    g.feedback.offerFeedback(byRequest('r-1'));
    g.feedback.offerFeedback(byRequest('r-gone'));
    expect(g.feedback.pending).toBe(1);
    let text = await g.metricsText();
    expect(text).toContain('llm_gateway_feedback_dropped_total{route="chat",reason="duplicate"} 1');
    expect(text).not.toContain('reason="unknown_request"');
    vi.advanceTimersByTime(FEEDBACK_RETRY_MS);
    text = await g.metricsText();
    expect(text).toContain('llm_gateway_feedback_dropped_total{route="chat",reason="unknown_request"} 1');
    expect(g.feedback.pending).toBe(0);
    vi.advanceTimersByTime(FEEDBACK_RETRY_MS * 4);
    expect(await g.metricsText()).toContain(
      'llm_gateway_feedback_dropped_total{route="chat",reason="unknown_request"} 1',
    );
  });

  it('gives each held offer its own deadline, and the rest their last look at close', () => {
    const g = gateway(FEEDBACK_RETRY_MS);
    g.feedback.offerFeedback(byRequest('r-a'));
    vi.advanceTimersByTime(FEEDBACK_RETRY_MS - 100);
    g.feedback.offerFeedback(byRequest('r-b'));
    g.exchanges.record(live('r-a'));
    g.exchanges.record(live('r-b'));
    vi.advanceTimersByTime(100);
    // r-a's time came; r-b has 400 ms left.
    expect(g.events().map((e) => e.requestId)).toEqual(['r-a']);
    expect(g.feedback.pending).toBe(1);
    g.feedback.close();
    expect(g.events().map((e) => e.requestId)).toEqual(['r-a', 'r-b']);
    expect(g.feedback.pending).toBe(0);
  });

  it(`holds at most ${MAX_FEEDBACK_HELD} offers; beyond that an unknown id is dropped at once`, async () => {
    const g = gateway(FEEDBACK_RETRY_MS);
    for (let i = 0; i <= MAX_FEEDBACK_HELD; i++) g.feedback.offerFeedback(byRequest(`r-${i}`));
    expect(g.feedback.pending).toBe(MAX_FEEDBACK_HELD);
    expect(await g.metricsText()).toContain(
      'llm_gateway_feedback_dropped_total{route="chat",reason="unknown_request"} 1',
    );
    g.feedback.close();
  });
});

describe('feedback over the worker channel', () => {
  it('goes in the traffic batch and is recorded by the primary as the one process records it, exchanges first', async () => {
    const offers = [byUser('baseline', 'conversion', 1), byRequest('r-1', 'score', 0.25), byRequest('r-1', 'score', 1)];
    const direct = gateway();
    direct.exchanges.record(live('r-1'));
    for (const offer of offers) direct.feedback.offerFeedback(offer);

    const sent: TrafficBatch[] = [];
    const batcher = new TrafficBatcher((batch) => sent.push(batch));
    // The feedback before the record in the worker: the primary still takes the batch's exchanges first.
    batcher.offerFeedback(offers[0]!);
    batcher.offerFeedback(offers[1]!);
    batcher.record(live('r-1'));
    batcher.offerFeedback(offers[2]!);
    expect(batcher.pending).toBe(4);
    batcher.flush();
    const message = parseWorkerMessage(JSON.parse(JSON.stringify({ type: 'traffic', ...sent[0] })));
    if (message?.type !== 'traffic') throw new Error('not a traffic message');
    const primary = gateway(FEEDBACK_RETRY_MS);
    for (const exchange of message.exchanges) primary.exchanges.add(decodeExchange(exchange));
    for (const offer of message.feedback) primary.feedback.offerFeedback(offer);

    expect(primary.events()).toEqual(direct.events());
    expect(primary.events().map((e) => [e.backend, e.requestId, e.kind, e.value])).toEqual([
      ['baseline', null, 'conversion', 1],
      ['candidate', 'r-1', 'score', 0.25],
    ]);
    expect(await primary.metricsText()).toContain(
      'llm_gateway_feedback_dropped_total{route="chat",reason="duplicate"} 1',
    );
    primary.feedback.close();
  });

  it('reads a traffic message without feedback (a worker that predates it) as none', () => {
    const message = parseWorkerMessage({ type: 'traffic', exchanges: [], pairs: [] });
    expect(message).toEqual({ type: 'traffic', exchanges: [], pairs: [], samples: [], captures: [], feedback: [] });
  });
});

// Shadow traffic: a share of live requests served by some other backend is copied to the
// route's shadow target. The copy runs in parallel with the primary and its response is only
// observed (metrics with mode="shadow", a record, and a primary/shadow answer pair for the
// judge); it can never delay or fail the client's response. A cap on in-flight copies keeps a
// slow or hung shadow target from accumulating unbounded work in the gateway.
import type { BackendSpec, ShadowAnswer } from './admin-api';
import type { ForwardedBackend } from './backend-pool';
import type { AnswerSampler } from './answer-sampler';
import { isoNow, type ExchangeSink } from './exchange-recorder';
import { inspectOutcome } from './inspect-outcome';
import type { ResolvedRoute } from './route-table';
import { tenthOfMs, type UpstreamClient, type UpstreamOutcome, type UpstreamPath } from './upstream';

export const DEFAULT_MAX_SHADOW_IN_FLIGHT = 256;

/** Marks a copy for the backend; one object for every copy. */
const SHADOW_HEADERS: Readonly<Record<string, string>> = Object.freeze({ 'x-rollout-shadow': '1' });

export interface MirrorOptions {
  route: string;
  /** The shadow backend, or the member of its pool the copy goes to. */
  target: ForwardedBackend;
  path: UpstreamPath;
  /** The client's body as parsed (inspection reads `response_format` from it). */
  body: Record<string, unknown>;
  /** The JSON text sent to the target: the body with the target's model (forwarded-body.ts). */
  forwardedBody: string;
  requestId: string;
  /** The live request's sticky-routing bucket (null without a key), carried onto the copy's record. */
  stickyBucket?: number | null;
  /** Whether the live request was in the route's cohort, carried onto the copy's record. */
  cohort?: boolean;
  /** The live request's segment (route segmentation), carried onto the copy's record; absent: none. */
  segment?: string | undefined;
}

export class ShadowMirror {
  private inFlight = 0;
  private readonly pending = new Set<Promise<unknown>>();
  /** Mirror decisions dropped because the in-flight cap was reached. */
  skipped = 0;

  constructor(
    private readonly options: {
      recorder: ExchangeSink;
      /** Mirrored answers are kept as text too (the bake's baseline answers); null when sampling is off. */
      sampler: AnswerSampler | null;
      upstream: UpstreamClient;
      timeoutMs: number;
      maxInFlight: number;
      /** Aborted when the gateway shuts down. */
      closing: AbortSignal;
      random: () => number;
    },
  ) {}

  /** The backend to mirror this request to, or null (shadow off, served by the target, not sampled). */
  pickTarget(route: ResolvedRoute, servedBy: string): BackendSpec | null {
    const { enabled, target, share } = route.shadow;
    if (!enabled || target === null || target === servedBy || share <= 0) return null;
    if (this.options.random() >= share) return null;
    if (this.inFlight >= this.options.maxInFlight) {
      this.skipped++;
      return null;
    }
    return route.backends.find((b) => b.name === target) ?? null;
  }

  /**
   * Starts the copy now. Resolves with the shadow's answer, or null if recording it failed; it
   * never rejects, so callers can fire and forget.
   */
  mirror(options: MirrorOptions): Promise<ShadowAnswer | null> {
    let exchanged: Promise<UpstreamOutcome>;
    try {
      exchanged = this.options.upstream.exchange({
        backend: options.target,
        path: options.path,
        body: options.forwardedBody,
        requestId: options.requestId,
        timeoutMs: this.options.timeoutMs,
        signal: this.options.closing,
        extraHeaders: SHADOW_HEADERS,
      });
    } catch {
      return Promise.resolve(null);
    }
    this.inFlight++;
    // Two callbacks on the exchange's own promise, not an async function plus catch and finally:
    // a handful of promises fewer per copy.
    const run: Promise<ShadowAnswer | null> = exchanged.then(
      (outcome) => {
        try {
          return this.observe(options, outcome);
        } catch {
          return null;
        } finally {
          this.settled(run);
        }
      },
      () => {
        this.settled(run);
        return null;
      },
    );
    this.pending.add(run);
    return run;
  }

  /** Resolves once every copy in flight has finished (they are aborted by `closing`). */
  async drain(): Promise<void> {
    await Promise.allSettled([...this.pending]);
  }

  private settled(run: Promise<unknown>): void {
    this.inFlight--;
    this.pending.delete(run);
  }

  /** Records the copy (metrics with mode="shadow" and a record) and returns its side of the pair. */
  private observe(options: MirrorOptions, outcome: UpstreamOutcome): ShadowAnswer {
    const { target } = options;
    const answer = inspectOutcome(outcome, options.path, options.body);
    this.options.recorder.record({
      route: options.route,
      backend: target,
      mode: 'shadow',
      requestId: options.requestId,
      stickyBucket: options.stickyBucket ?? null,
      cohort: options.cohort ?? false,
      segment: options.segment,
      outcome,
      answer,
    });
    this.options.sampler?.offer({
      route: options.route,
      backend: target,
      mode: 'shadow',
      requestId: options.requestId,
      status: outcome.status,
      answer,
      body: options.body,
      at: isoNow(),
    });
    return {
      backend: target.name,
      status: outcome.status,
      latencyMs: tenthOfMs(outcome.latencyMs),
      content: answer.content,
      promptTokens: answer.promptTokens,
      completionTokens: answer.completionTokens,
      ...('member' in target && { member: target.member }),
    };
  }
}

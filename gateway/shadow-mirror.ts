// Shadow traffic: a share of live requests served by some other backend is copied to the
// route's shadow target. The copy runs in parallel with the primary and its response is only
// observed (metrics with mode="shadow", a record, and a primary/shadow answer pair for the
// judge); it can never delay or fail the client's response. A cap on in-flight copies keeps a
// slow or hung shadow target from accumulating unbounded work in the gateway.
import type { BackendSpec, ShadowAnswer } from './admin-api';
import type { ExchangeSink } from './exchange-recorder';
import { inspectOutcome } from './inspect-outcome';
import type { ResolvedRoute } from './route-table';
import { tenthOfMs, type UpstreamClient, type UpstreamPath } from './upstream';

export const DEFAULT_MAX_SHADOW_IN_FLIGHT = 256;

export class ShadowMirror {
  private inFlight = 0;
  private readonly pending = new Set<Promise<unknown>>();
  /** Mirror decisions dropped because the in-flight cap was reached. */
  skipped = 0;

  constructor(
    private readonly options: {
      recorder: ExchangeSink;
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
  mirror(options: { route: string; target: BackendSpec; path: UpstreamPath; body: Record<string, unknown>; requestId: string }): Promise<ShadowAnswer | null> {
    this.inFlight++;
    const run: Promise<ShadowAnswer | null> = this.run(options)
      .catch(() => null)
      .finally(() => {
        this.inFlight--;
        this.pending.delete(run);
      });
    this.pending.add(run);
    return run;
  }

  /** Resolves once every copy in flight has finished (they are aborted by `closing`). */
  async drain(): Promise<void> {
    await Promise.allSettled([...this.pending]);
  }

  private async run(options: { route: string; target: BackendSpec; path: UpstreamPath; body: Record<string, unknown>; requestId: string }): Promise<ShadowAnswer> {
    const { target } = options;
    const outcome = await this.options.upstream.exchange({
      backend: target,
      path: options.path,
      body: { ...options.body, model: target.model },
      requestId: options.requestId,
      timeoutMs: this.options.timeoutMs,
      signal: this.options.closing,
      extraHeaders: { 'x-rollout-shadow': '1' },
    });
    const answer = inspectOutcome(outcome, options.path, options.body);
    this.options.recorder.record({ route: options.route, backend: target, mode: 'shadow', requestId: options.requestId, outcome, answer });
    return {
      backend: target.name,
      status: outcome.status,
      latencyMs: tenthOfMs(outcome.latencyMs),
      content: answer.content,
      promptTokens: answer.promptTokens,
      completionTokens: answer.completionTokens,
    };
  }
}

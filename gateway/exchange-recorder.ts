// Records one upstream exchange in both places the rollout reads from: Prometheus series (for
// PromQL gates) and the per-request record log (for the statistical judge).
import type { BackendSpec, RequestRecord } from './admin-api';
import type { InspectedAnswer } from './inspect-outcome';
import type { GatewayMetrics, TrafficMode } from './metrics';
import type { TrafficLog } from './traffic-log';
import { tenthOfMs, type UpstreamOutcome } from './upstream';

/**
 * `new Date().toISOString()` for the current millisecond, formatted once per millisecond: under
 * load many records share one, and formatting a date per request showed in profiles.
 */
export class IsoClock {
  private ms = -1;
  private text = '';

  isoNow(): string {
    const now = Date.now();
    if (now !== this.ms) {
      this.ms = now;
      this.text = new Date(now).toISOString();
    }
    return this.text;
  }
}

export class ExchangeRecorder {
  private readonly clock = new IsoClock();

  constructor(
    private readonly metrics: GatewayMetrics,
    private readonly log: TrafficLog,
  ) {}

  record(entry: {
    route: string;
    backend: BackendSpec;
    mode: TrafficMode;
    requestId: string;
    outcome: UpstreamOutcome;
    answer: InspectedAnswer;
  }): RequestRecord {
    const { outcome, answer } = entry;
    const observation = {
      route: entry.route,
      backend: entry.backend.name,
      model: entry.backend.model,
      mode: entry.mode,
      status: outcome.status,
      latencyMs: outcome.latencyMs,
      ttftMs: outcome.firstTokenMs,
      promptTokens: answer.promptTokens,
      completionTokens: answer.completionTokens,
      refusal: answer.refusal,
      validJson: answer.validJson,
    };
    this.metrics.observe(observation);
    // Built field by field rather than spread (a spread per request showed in profiles); the
    // order is the admin API's JSON order.
    return this.log.addRecord({
      route: observation.route,
      backend: observation.backend,
      model: observation.model,
      mode: observation.mode,
      status: observation.status,
      latencyMs: tenthOfMs(outcome.latencyMs),
      ttftMs: outcome.firstTokenMs === null ? null : tenthOfMs(outcome.firstTokenMs),
      promptTokens: observation.promptTokens,
      completionTokens: observation.completionTokens,
      refusal: observation.refusal,
      validJson: observation.validJson,
      requestId: entry.requestId,
      at: this.clock.isoNow(),
    });
  }
}

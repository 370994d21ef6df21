// Records one upstream exchange in both places the rollout reads from: Prometheus series (for
// PromQL gates) and the per-request record log (for the statistical judge).
import type { BackendSpec, RequestRecord } from './admin-api';
import type { InspectedAnswer } from './inspect-outcome';
import type { GatewayMetrics, TrafficMode } from './metrics';
import type { TrafficLog } from './traffic-log';
import { tenthOfMs, type UpstreamOutcome } from './upstream';

export class ExchangeRecorder {
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
    return this.log.addRecord({
      ...observation,
      requestId: entry.requestId,
      latencyMs: tenthOfMs(outcome.latencyMs),
      ttftMs: outcome.firstTokenMs === null ? null : tenthOfMs(outcome.firstTokenMs),
      at: new Date().toISOString(),
    });
  }
}

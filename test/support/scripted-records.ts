// Per-request records for workflow tests of the statistical judge, as the gateway would log them
// for the traffic state the router is in: at every read each serving arm (live by weight, shadow
// by mirror target) answers a batch of healthy, identically distributed requests. No prices, no
// streaming, no JSON-mode requests: the plan and traffic a minimal rollout starts with.
import type { TrafficState } from '../../activities/contract';
import type { RecordsReader } from '../../activities/metrics/gateway-records';
import type { RequestRecord } from '../../gateway/admin-api';

/** After any window the time-skipping server can reach: every record is inside the window judged. */
const AT = '2999-01-01T00:00:00.000Z';

export function scriptedRecords(stateOf: (route: string) => TrafficState, perArm = 200): RecordsReader {
  const logs = new Map<string, RequestRecord[]>();
  return async ({ route, sinceSeq }) => {
    const log = logs.get(route) ?? [];
    logs.set(route, log);
    const state = stateOf(route);
    const arms: { backend: 'baseline' | 'candidate'; mode: 'live' | 'shadow'; cohort: boolean }[] = [];
    if (state.weights.baseline > 0) arms.push({ backend: 'baseline', mode: 'live', cohort: false });
    if (state.weights.candidate > 0) arms.push({ backend: 'candidate', mode: 'live', cohort: false });
    // A route with a cohort: the cohort's requests are served by its own weights, and flagged.
    if (state.cohort?.weights.baseline) arms.push({ backend: 'baseline', mode: 'live', cohort: true });
    if (state.cohort?.weights.candidate) arms.push({ backend: 'candidate', mode: 'live', cohort: true });
    if (state.shadow.enabled && state.shadow.target)
      arms.push({ backend: state.shadow.target, mode: 'shadow', cohort: false });
    for (const arm of arms) {
      for (let i = 0; i < perArm; i++) {
        const seq = log.length + 1;
        // The same spread of latencies and lengths on every arm (a deterministic sequence, not noise).
        const spread = (i * 7919) % perArm;
        log.push({
          seq,
          epoch: 'scripted',
          requestId: `${route}-${seq}`,
          route,
          backend: arm.backend,
          model: `sim-${arm.backend}`,
          mode: arm.mode,
          status: 200,
          latencyMs: 200 + spread,
          ttftMs: null,
          promptTokens: 100,
          completionTokens: 150 + (spread % 100),
          refusal: false,
          validJson: null,
          cohort: arm.cohort,
          at: AT,
        });
      }
    }
    const records = log.filter((record) => record.seq > sinceSeq);
    return { records, lastSeq: log.length, epoch: 'scripted', restarted: false, lost: 0 };
  };
}

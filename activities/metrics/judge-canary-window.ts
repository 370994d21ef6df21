// The statistical judge's activity: read the window's per-request records from the gateway and
// judge the candidate against the baseline with always-valid tests. Stateless apart from what the
// workflow hands back each look: the judge's running state and where the window's records begin.
import { initialJudgeState, type JudgeState, type JudgeVerdict, type LatencyReference } from '../../judge/canary-judge';
import { judgeCanary } from '../../judge/canary-judge';
import { judgeConfigFromPlan } from '../../judge/plan-judge-config';
import { armTraffic, firstTokenReference, latencyReference, metricData } from '../../judge/traffic-window';
import { enabledGuardrail } from '../../plan/schema';
import type { JudgeTrafficWindowInput } from '../contract';
import type { RecordsReader } from './gateway-records';
import { sidesFor } from './judge-window';

export interface JudgeCanaryWindowInput extends Omit<JudgeTrafficWindowInput, 'prometheusUrl'> {
  adminUrl: string;
  /** router.adminTokenEnv (default GATEWAY_ADMIN_TOKEN): where the worker finds the admin token. */
  adminTokenEnv?: string;
  /** Records after this seq are read (0 at a window's first look). */
  sinceSeq: number;
  judgeState: JudgeState | null;
  /** The baseline's latency tail from the shadow soak; null until there is one. */
  latencyReference: LatencyReference | null;
  /** The same for time to first token (streamed answers); absent from rollouts that predate it. */
  firstTokenReference?: LatencyReference | null;
}

export interface JudgeCanaryWindowResult {
  verdict: JudgeVerdict;
  judgeState: JudgeState;
  /** Start the next look's read here: just before the window's first record. */
  sinceSeq: number;
  /** In a shadow soak: the baseline's latency tail measured in this window so far. */
  measuredLatencyReference: LatencyReference | null;
  /** In a shadow soak: the baseline's time-to-first-token tail, once enough answers were streamed. */
  measuredFirstTokenReference: LatencyReference | null;
}

export function createCanaryJudgeActivities(readRecords: RecordsReader, clock: () => number = Date.now) {
  return {
    async judgeCanaryWindow(input: JudgeCanaryWindowInput): Promise<JudgeCanaryWindowResult> {
      const { records } = await readRecords({ adminUrl: input.adminUrl, route: input.route, sinceSeq: input.sinceSeq, adminTokenEnv: input.adminTokenEnv });
      const inWindow = records.filter((record) => Date.parse(record.at) >= input.windowStartMs);
      const sides = sidesFor(input.mode);
      const baseline = armTraffic(inWindow, sides.baseline, input.windowStartMs, input.pricing.baseline);
      const candidate = armTraffic(inWindow, sides.candidate, input.windowStartMs, input.pricing.candidate);
      // In the shadow soak the references are this window's own baseline; later windows use the
      // references the shadow soak measured.
      const { guardrails } = input;
      const shadow = input.mode === 'shadow';
      const firstTokenRail = enabledGuardrail(guardrails, 'timeToFirstToken');
      const measured = {
        latency: shadow ? latencyReference(baseline, guardrails.p99Latency.tolerance, guardrails.minRequests) : null,
        timeToFirstToken: shadow && firstTokenRail ? firstTokenReference(baseline, firstTokenRail.tolerance, guardrails.minRequests) : null,
      };
      const references = {
        latency: input.latencyReference ?? measured.latency,
        timeToFirstToken: input.firstTokenReference ?? measured.timeToFirstToken,
      };
      const { verdict, state } = judgeCanary({
        stage: input.stage,
        at: new Date(clock()).toISOString(),
        config: judgeConfigFromPlan(guardrails, references),
        data: metricData(baseline, candidate, references),
        state: input.judgeState ?? initialJudgeState(),
      });
      const firstSeq = inWindow[0]?.seq;
      return {
        verdict,
        judgeState: state,
        sinceSeq: firstSeq === undefined ? input.sinceSeq : firstSeq - 1,
        measuredLatencyReference: measured.latency,
        measuredFirstTokenReference: measured.timeToFirstToken,
      };
    },
  };
}

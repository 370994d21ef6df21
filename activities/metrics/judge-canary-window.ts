// The statistical judge's activity: read the window's per-request records from the gateway and
// judge the candidate against the baseline with always-valid tests. Stateless apart from what the
// workflow hands back each look: the judge's running state and where the window's records begin.
import { initialJudgeState, type JudgeState, type JudgeVerdict, type LatencyReference } from '../../judge/canary-judge';
import { judgeCanary } from '../../judge/canary-judge';
import { judgeConfigFromPlan } from '../../judge/plan-judge-config';
import { armTraffic, latencyReference, metricData } from '../../judge/traffic-window';
import type { JudgeTrafficWindowInput } from '../contract';
import type { RecordsReader } from './gateway-records';
import { sidesFor } from './judge-window';

export interface JudgeCanaryWindowInput extends Omit<JudgeTrafficWindowInput, 'prometheusUrl'> {
  adminUrl: string;
  /** Records after this seq are read (0 at a window's first look). */
  sinceSeq: number;
  judgeState: JudgeState | null;
  /** The baseline's latency tail from the shadow soak; null until there is one. */
  latencyReference: LatencyReference | null;
}

export interface JudgeCanaryWindowResult {
  verdict: JudgeVerdict;
  judgeState: JudgeState;
  /** Start the next look's read here: just before the window's first record. */
  sinceSeq: number;
  /** In a shadow soak: the baseline's latency tail measured in this window so far. */
  measuredLatencyReference: LatencyReference | null;
}

export function createCanaryJudgeActivities(readRecords: RecordsReader, clock: () => number = Date.now) {
  return {
    async judgeCanaryWindow(input: JudgeCanaryWindowInput): Promise<JudgeCanaryWindowResult> {
      const { records } = await readRecords({ adminUrl: input.adminUrl, route: input.route, sinceSeq: input.sinceSeq });
      const inWindow = records.filter((record) => Date.parse(record.at) >= input.windowStartMs);
      const sides = sidesFor(input.mode);
      const baseline = armTraffic(inWindow, sides.baseline, input.windowStartMs, input.pricing.baseline);
      const candidate = armTraffic(inWindow, sides.candidate, input.windowStartMs, input.pricing.candidate);
      // In the shadow soak the reference is this window's own baseline; later windows use the
      // reference the shadow soak measured.
      const measured = input.mode === 'shadow' ? latencyReference(baseline, input.guardrails.p99Latency.tolerance, input.guardrails.minRequests) : null;
      const reference = input.latencyReference ?? measured;
      const { verdict, state } = judgeCanary({
        stage: input.stage,
        at: new Date(clock()).toISOString(),
        config: judgeConfigFromPlan(input.guardrails, reference),
        data: metricData(baseline, candidate, reference),
        state: input.judgeState ?? initialJudgeState(),
      });
      const firstSeq = inWindow[0]?.seq;
      return { verdict, judgeState: state, sinceSeq: firstSeq === undefined ? input.sinceSeq : firstSeq - 1, measuredLatencyReference: measured };
    },
  };
}

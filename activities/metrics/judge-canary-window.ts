// The statistical judge's activity: read the window's per-request records from the gateway and
// judge the candidate against the baseline with always-valid tests. Stateless apart from what the
// workflow hands back each look: the judge's running state and where the window's records begin.
import { initialJudgeState, type JudgeState, type JudgeVerdict, type LatencyReference } from '../../judge/canary-judge';
import { judgeCanary } from '../../judge/canary-judge';
import { judgeConfigFromPlan } from '../../judge/plan-judge-config';
import type { RequestSplit } from '../../judge/canary-input';
import {
  armTraffic,
  assignedUnits,
  firstTokenReference,
  latencyReference,
  metricData,
} from '../../judge/traffic-window';
import { enabledDistribution, enabledGuardrail } from '../../plan/schema';
import type { JudgeTrafficWindowInput } from './judge-window-input';
import type { RequestRecord } from '../../gateway/admin-api';
import { COHORT_JUDGING_TEXT, type CohortJudging } from '../../lib/cohort-match';
import { poolMembers, poolNote } from '../../judge/pool-members';
import type { RecordsReader } from './gateway-records';
import { sidesFor } from './judge-window';
import { gatewaysOf, readEveryGateway } from '../gateway-read-target';
import { segmentLooks, type SegmentSettings } from '../../judge/segment-looks';

export interface JudgeCanaryWindowInput extends Omit<JudgeTrafficWindowInput, 'prometheusUrl'> {
  adminUrl: string;
  /** router.adminTokenEnv (default GATEWAY_ADMIN_TOKEN): where the worker finds the admin token. */
  adminTokenEnv?: string;
  /** Records after this seq are read (0 at a window's first look); superseded by `cursors` where given. */
  sinceSeq: number;
  /** Every gateway serving the route (router.adminUrl and its replicas); default [adminUrl]. */
  replicas?: string[];
  /** Per gateway admin URL: where this window's records begin, in which gateway process. Absent at a window's first look. */
  cursors?: Record<string, RecordsCursor> | null;
  judgeState: JudgeState | null;
  /** The baseline's latency tail from the shadow soak; null until there is one. */
  latencyReference: LatencyReference | null;
  /** The same for time to first token (streamed answers); absent from rollouts that predate it. */
  firstTokenReference?: LatencyReference | null;
  /**
   * In a canary step: the candidate's share of traffic the rollout set (its weight / 100). The
   * window's split of assigned units is checked against it before any verdict; absent (shadow
   * soak, bake, rollouts that predate the check), it is not checked.
   */
  expectedCandidateShare?: number;
  /**
   * A cohort plan's canary step: 'cohort_baseline' judges only the cohort's records (both sides
   * serve it), 'route_baseline' and 'all' judge every record (the whole cohort is on the candidate,
   * or the random steps after it). The verdict says which. Absent: a plan without a cohort.
   */
  cohort?: CohortJudging;
  /** A plan with stages.canary.segments: each segment is also judged on its own (judge/segment-looks.ts). */
  segments?: SegmentSettings;
  /** The tracked segments' sequential states from the window's previous look; null at its first. */
  segmentStates?: Record<string, JudgeState> | null;
}

/** Where one gateway's records of the current window begin. */
export interface RecordsCursor {
  /** The gateway process (epoch) sinceSeq belongs to. */
  epoch: string;
  sinceSeq: number;
  /** How many of the window's records this look read there: what a restart would take away. */
  seen: number;
}

export interface JudgeCanaryWindowResult {
  verdict: JudgeVerdict;
  judgeState: JudgeState;
  /** Start the next look's read here: just before the window's first record (the first gateway's). */
  sinceSeq: number;
  /** The same per gateway, with its process; pass back as `cursors`. */
  cursors: Record<string, RecordsCursor>;
  /** In a shadow soak: the baseline's latency tail measured in this window so far. */
  measuredLatencyReference: LatencyReference | null;
  /** In a shadow soak: the baseline's time-to-first-token tail, once enough answers were streamed. */
  measuredFirstTokenReference: LatencyReference | null;
  /** With segments: the tracked segments' states, to pass back as `segmentStates`. */
  segmentStates?: Record<string, JudgeState>;
}

export function createCanaryJudgeActivities(readRecords: RecordsReader, clock: () => number = Date.now) {
  return {
    async judgeCanaryWindow(input: JudgeCanaryWindowInput): Promise<JudgeCanaryWindowResult> {
      const { records: read, cursors, notes } = await readWindowRecords(readRecords, input);
      const inWindow = input.cohort === 'cohort_baseline' ? read.filter((record) => record.cohort === true) : read;
      if (input.cohort) notes.push(COHORT_JUDGING_TEXT[input.cohort]);
      const sides = sidesFor(input.mode);
      for (const side of ['baseline', 'candidate'] as const) {
        const note = poolNote(side, poolMembers(inWindow, sides[side], input.windowStartMs));
        if (note) notes.push(note);
      }
      const baseline = armTraffic(inWindow, sides.baseline, input.windowStartMs, input.pricing.baseline);
      const candidate = armTraffic(inWindow, sides.candidate, input.windowStartMs, input.pricing.candidate);
      // In the shadow soak the references are this window's own baseline; later windows use the
      // references the shadow soak measured.
      const { guardrails } = input;
      const shadow = input.mode === 'shadow';
      const firstTokenRail = enabledGuardrail(guardrails, 'timeToFirstToken');
      const body = enabledDistribution(guardrails);
      const measured = {
        latency: shadow
          ? latencyReference(baseline, guardrails.p99Latency.tolerance, guardrails.minRequests, body)
          : null,
        timeToFirstToken:
          shadow && firstTokenRail
            ? firstTokenReference(baseline, firstTokenRail.tolerance, guardrails.minRequests, body)
            : null,
      };
      const references = {
        latency: input.latencyReference ?? measured.latency,
        timeToFirstToken: input.firstTokenReference ?? measured.timeToFirstToken,
      };
      const split = requestSplit(inWindow, input);
      const at = new Date(clock()).toISOString();
      const config = judgeConfigFromPlan(guardrails, references, input.pricing);
      const judged = judgeCanary({
        stage: input.stage,
        at,
        config,
        data: metricData(baseline, candidate, references),
        state: input.judgeState ?? initialJudgeState(),
        ...(split && { split }),
      });
      let verdict = judged.verdict;
      const segments = input.segments
        ? segmentLooks({
            stage: input.stage,
            at,
            records: inWindow,
            sides,
            windowStartMs: input.windowStartMs,
            pricing: input.pricing,
            references,
            config,
            settings: input.segments,
            states: input.segmentStates ?? null,
          })
        : null;
      if (segments) {
        notes.push(...segments.notes);
        // A regression confined to one segment fails the window, naming the segment and its figures.
        if (segments.failed && verdict.outcome !== 'fail')
          verdict = {
            ...verdict,
            outcome: 'fail',
            reason: `segment ${segments.failed.segment}: ${segments.failed.reason}`,
            metrics: [...verdict.metrics, ...segments.failed.metrics],
          };
      }
      const primary = cursors[gatewaysOf(input)[0]!];
      return {
        verdict: notes.length > 0 ? { ...verdict, notes: [...(verdict.notes ?? []), ...notes] } : verdict,
        judgeState: judged.state,
        ...(segments && { segmentStates: segments.states }),
        sinceSeq: primary?.sinceSeq ?? input.sinceSeq,
        cursors,
        measuredLatencyReference: measured.latency,
        measuredFirstTokenReference: measured.timeToFirstToken,
      };
    },
  };
}

/** The canary's split of assigned units against the weight the rollout set; null when it cannot be checked. */
function requestSplit(records: RequestRecord[], input: JudgeCanaryWindowInput): RequestSplit | null {
  const share = input.expectedCandidateShare;
  if (share === undefined || input.mode !== 'canary' || !(share > 0 && share < 1)) return null;
  const sides = sidesFor(input.mode);
  const baseline = assignedUnits(records, sides.baseline, input.windowStartMs);
  const candidate = assignedUnits(records, sides.candidate, input.windowStartMs);
  if (baseline === null || candidate === null) return null;
  return { expectedCandidateShare: share, baseline, candidate };
}

/**
 * The window's records from every gateway serving the route, read at once. A gateway that restarted
 * is read from its new process's first record, and the verdict says what was lost; one that cannot
 * be read is named and the others are judged; none readable fails the look (a failed metrics read).
 */
async function readWindowRecords(
  readRecords: RecordsReader,
  input: JudgeCanaryWindowInput,
): Promise<{ records: RequestRecord[]; cursors: Record<string, RecordsCursor>; notes: string[] }> {
  const legacy: RecordsCursor = { epoch: '', sinceSeq: input.sinceSeq, seen: 0 };
  const answers = await readEveryGateway(input, 'records', (adminUrl) => {
    const cursor = input.cursors?.[adminUrl] ?? (adminUrl === input.adminUrl && !input.cursors ? legacy : undefined);
    return readRecords({
      adminUrl,
      route: input.route,
      sinceSeq: cursor?.sinceSeq ?? 0,
      epoch: cursor?.epoch || undefined,
      adminTokenEnv: input.adminTokenEnv,
    });
  });
  const records: RequestRecord[] = [];
  const cursors: Record<string, RecordsCursor> = {};
  const notes: string[] = [];
  for (const answer of answers) {
    const { adminUrl, where } = answer;
    const previous = input.cursors?.[adminUrl];
    if (!answer.ok) {
      notes.push(`${where} could not be read (${answer.message}); judged on the other gateways' records`);
      if (previous) cursors[adminUrl] = previous;
      continue;
    }
    const page = answer.value;
    const inWindow = page.records.filter((record) => Date.parse(record.at) >= input.windowStartMs);
    if (page.restarted) {
      notes.push(
        `${where} restarted (process ${previous?.epoch || 'unknown'} → ${page.epoch}): the ${previous?.seen ?? 0} records of this window read before the restart, and any served after the last look, are gone; judging from the new process's first record`,
      );
    }
    if (page.lost > 0)
      notes.push(
        `${where} had already overwritten ${page.lost} records (all routes) before they could be read: raise --records-capacity or check more often`,
      );
    records.push(...inWindow);
    const firstSeq = inWindow[0]?.seq;
    // Keep the window's start: the next look reads the whole window again, from its first record.
    const sinceSeq =
      firstSeq !== undefined
        ? firstSeq - 1
        : page.restarted
          ? 0
          : (previous?.sinceSeq ?? (adminUrl === input.adminUrl ? input.sinceSeq : 0));
    cursors[adminUrl] = { epoch: page.epoch, sinceSeq, seen: inWindow.length };
  }
  return { records, cursors, notes };
}

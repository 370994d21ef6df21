// The statistical judge on Prometheus series, for any traffic layer: read each arm's counters and
// histogram buckets at this look, difference them against the previous look (the snapshot the
// workflow hands back), and judge the window's running totals with the same always-valid tests
// as the records judge. A window's first look differences against the series as they were at the
// window's start, so no check interval is lost.
//
// "No data" is never 0: a required family whose series vanished since the previous look, or a
// scrape target that is down, makes the whole look no data (inconclusive), and the snapshot is
// kept so the next good look counts what happened meanwhile (counters are cumulative).
import {
  initialJudgeState,
  judgeCanary,
  type JudgeState,
  type JudgeVerdict,
  type LatencyReference,
  type MetricData,
} from '../../judge/canary-judge';
import { judgeConfigFromPlan } from '../../judge/plan-judge-config';
import { increments, labelsOfKey, readingsOf } from '../../judge/series-counters';
import { DIALECTS, type SeriesSelection } from '../../plan/series-dialects';
import { bucketsOf, referenceFromBuckets, type ReferenceOutcome } from '../../judge/series-histogram';
import {
  advanceSnapshot,
  seriesMetricData,
  startSnapshot,
  unjudgedFromSeries,
  vanishedFamilies,
  type Arm,
  type ArmReadings,
  type Family,
  type SeriesLook,
  type SeriesSnapshot,
} from '../../judge/series-window';
import { enabledGuardrail, type GuardrailName } from '../../plan/schema';
import type { JudgeTrafficWindowInput } from './judge-window-input';
import { queryInstant, type InstantResult } from './prometheus-client';
import { seriesQueries } from './series-queries';

export interface JudgeSeriesWindowInput extends JudgeTrafficWindowInput {
  /** Which series, with each arm's labels (plan/metrics-schema.ts resolveMetrics). */
  series: SeriesSelection;
  judgeState: JudgeState | null;
  /** The previous look's readings and the window's running totals; null at a window's first look. */
  snapshot: SeriesSnapshot | null;
  /** The baseline's tails from an earlier stage; null until one was measured. */
  latencyReference: LatencyReference | null;
  firstTokenReference: LatencyReference | null;
}

export interface JudgeSeriesWindowResult {
  verdict: JudgeVerdict;
  judgeState: JudgeState;
  snapshot: SeriesSnapshot;
  /** Measured at this look because none was handed in: keep it for the rest of the rollout. */
  measuredLatencyReference: LatencyReference | null;
  measuredFirstTokenReference: LatencyReference | null;
}

/** Reads one instant vector; the seam tests and the activity share. */
export type SeriesReader = (request: {
  prometheusUrl: string;
  query: string;
  timeMs: number;
}) => Promise<InstantResult>;

export const readPrometheusSeries: SeriesReader = ({ prometheusUrl, query, timeMs }) =>
  queryInstant({ baseUrl: prometheusUrl, query, timeMs });

const ARMS: Arm[] = ['baseline', 'candidate'];
const RAILS = { latency: 'p99Latency', firstToken: 'timeToFirstToken' } as const;

export function createSeriesJudgeActivities(read: SeriesReader = readPrometheusSeries, clock: () => number = Date.now) {
  async function look(
    input: JudgeSeriesWindowInput,
    timeMs: number,
    families?: Family[],
    arms: Arm[] = ARMS,
  ): Promise<SeriesLook> {
    const result: SeriesLook = { atMs: timeMs, baseline: {}, candidate: {} };
    await Promise.all(
      arms.flatMap((arm) =>
        Object.entries(seriesQueries(input.series, arm, input.mode))
          .filter(([family]) => !families || families.includes(family as Family))
          .map(async ([family, query]) => {
            const answer = await read({ prometheusUrl: input.prometheusUrl, query, timeMs });
            if (answer.resultType !== 'vector') throw new Error(`expected a vector from ${query}`);
            (result[arm] as ArmReadings)[family as Family] = readingsOf(answer.samples);
          }),
      ),
    );
    return result;
  }

  /** Scrape targets the arms' series came from that Prometheus now reports down (or no longer knows). */
  async function downTargets(input: JudgeSeriesWindowInput, looks: SeriesLook[], timeMs: number): Promise<string[]> {
    const targets = new Set<string>();
    for (const seen of looks) {
      for (const arm of ARMS) {
        for (const readings of Object.values(seen[arm])) {
          for (const key of Object.keys(readings ?? {})) {
            const { job, instance } = labelsOfKey(key);
            if (job !== undefined && instance !== undefined) targets.add(JSON.stringify([job, instance]));
          }
        }
      }
    }
    if (targets.size === 0) return [];
    const up = await read({ prometheusUrl: input.prometheusUrl, query: 'up', timeMs });
    const upNow = new Set(
      up.resultType === 'vector'
        ? up.samples.filter((s) => s.value === 1).map((s) => JSON.stringify([s.labels.job, s.labels.instance]))
        : [],
    );
    return [...targets]
      .filter((target) => !upNow.has(target))
      .map((target) => (JSON.parse(target) as string[]).join('/'));
  }

  /** The baseline's tail before the window (exact: disjoint from the data judged), else from the window so far. */
  async function measure(
    input: JudgeSeriesWindowInput,
    family: 'latency' | 'firstToken',
    snapshot: SeriesSnapshot,
  ): Promise<{ outcome: ReferenceOutcome; basis: string }> {
    const rail = enabledGuardrail(input.guardrails, RAILS[family])!;
    const spec = input.series.latency.dialect === 'none' ? undefined : DIALECTS[input.series.latency.dialect][family];
    const msPerUnit = spec?.msPerUnit ?? 1000;
    const lookback = input.series.referenceLookbackMs;
    const [from, to] = await Promise.all([
      look(input, input.windowStartMs - lookback, [family], ['baseline']),
      look(input, input.windowStartMs, [family], ['baseline']),
    ]);
    const before = bucketsOf(increments(from.baseline[family] ?? {}, to.baseline[family] ?? {}), msPerUnit);
    const prior = referenceFromBuckets(before, 0.99, rail.tolerance, input.guardrails.minRequests);
    const minutes = `${Math.round(lookback / 60_000)} min`;
    if (prior.reference)
      return { outcome: prior, basis: `the baseline's histogram in the ${minutes} before this window` };
    // Approximation: the threshold then comes from the data the test also counts.
    const inWindow = referenceFromBuckets(
      snapshot.totals.baseline[family],
      0.99,
      rail.tolerance,
      input.guardrails.minRequests,
    );
    return {
      outcome: inWindow,
      basis: inWindow.reference
        ? `the baseline's own histogram in this window (none before it: ${prior.reason})`
        : `none yet (before the window: ${prior.reason}; in it: ${inWindow.reason})`,
    };
  }

  return {
    async judgeSeriesWindow(input: JudgeSeriesWindowInput): Promise<JudgeSeriesWindowResult> {
      const nowMs = clock();
      const previous = input.snapshot ?? startSnapshot(await look(input, input.windowStartMs));
      const current = await look(input, nowMs);
      const problems = [
        ...vanishedFamilies(input.series, previous.look, current).map((what) => `no series for the ${what} any more`),
      ];
      const down = await downTargets(input, [previous.look, current], nowMs);
      if (down.length > 0) problems.push(`scrape target down: ${down.join(', ')}`);
      const snapshot = problems.length > 0 ? previous : advanceSnapshot(input.series, previous, current);

      const notes: string[] = [];
      const references = { latency: input.latencyReference, timeToFirstToken: input.firstTokenReference };
      const measured: { latency: LatencyReference | null; firstToken: LatencyReference | null } = {
        latency: null,
        firstToken: null,
      };
      const unjudged = unjudgedFromSeries(input.series);
      for (const family of ['latency', 'firstToken'] as const) {
        const rail = RAILS[family];
        const key = family === 'latency' ? 'latency' : 'timeToFirstToken';
        if (!enabledGuardrail(input.guardrails, rail) || rail in unjudged || references[key] || problems.length > 0)
          continue;
        // Streamed answers only: a service that never streams has no first-token series to judge.
        if (family === 'firstToken' && Object.keys(snapshot.totals.baseline.firstToken).length === 0) continue;
        const { outcome, basis } = await measure(input, family, snapshot);
        notes.push(
          `${rail} reference: ${basis}${outcome.reference ? ` (p99 at the ${outcome.reference.threshold} ms bucket boundary)` : ''}`,
        );
        if (outcome.reference) {
          measured[family] = outcome.reference;
          references[key] = outcome.reference;
        }
      }

      const config = judgeConfigFromPlan(input.guardrails, references, input.pricing);
      config.metrics = config.metrics.filter((metric) => !(metric.name in unjudged));
      // A latency guardrail that could be judged but has no reference yet is no data, never a pass.
      for (const family of ['latency', 'firstToken'] as const) {
        const rail = enabledGuardrail(input.guardrails, RAILS[family]);
        const present = config.metrics.some((metric) => metric.name === RAILS[family]);
        const streams = family === 'latency' || Object.keys(snapshot.totals.baseline.firstToken).length > 0;
        if (rail && !present && !(RAILS[family] in unjudged) && streams) {
          config.metrics.push({
            name: RAILS[family],
            kind: 'latency',
            direction: rail.direction,
            tolerance: rail.tolerance,
            critical: rail.critical,
            group: 'latency',
          });
        }
      }
      const data: Record<string, MetricData | undefined> =
        problems.length > 0 ? {} : seriesMetricData(snapshot.totals, references);
      const { verdict, state } = judgeCanary({
        stage: input.stage,
        at: new Date(nowMs).toISOString(),
        config,
        data,
        state: input.judgeState ?? initialJudgeState(),
      });
      if (problems.length > 0) verdict.reason = `no data from Prometheus: ${problems.join('; ')}`;
      // What the plan itself leaves out is already in the judge's notes: said once.
      const skipped = Object.entries(unjudged).filter(
        ([name]) => enabledGuardrail(input.guardrails, name as GuardrailName) && !(name in (config.unjudged ?? {})),
      );
      if (skipped.length > 0)
        notes.push(`not judged from these series: ${skipped.map(([name, why]) => `${name} (${why})`).join('; ')}`);
      const resets = snapshot.resets.baseline + snapshot.resets.candidate;
      if (resets > 0)
        notes.push(
          `${resets} counter reset(s) in this window (a process restarted; what it counted just before is lost)`,
        );
      if (notes.length > 0) verdict.notes = [...(verdict.notes ?? []), ...notes];
      return {
        verdict,
        judgeState: state,
        snapshot,
        measuredLatencyReference: measured.latency,
        measuredFirstTokenReference: measured.firstToken,
      };
    },
  };
}

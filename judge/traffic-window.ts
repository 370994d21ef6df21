// One window of traffic, per arm, built from the gateway's per-request records: the counts the
// proportions need, the raw values the continuous metrics and the latency tail need. Pure: the
// activity reads the records, this turns them into the judge's MetricData.
import type { RequestRecord } from '../lib/request-record';
import type { RolloutPlan } from '../plan/schema';
import type { LatencyReference, MetricData } from './canary-input';
import { latencyReferenceFromShadow } from './prepare-latency';

export interface ArmSelector {
  backend: 'baseline' | 'candidate';
  mode: 'live' | 'shadow';
}

export interface ArmTraffic {
  requests: number;
  errors: number;
  successes: number;
  refusals: number;
  jsonRequests: number;
  validJson: number;
  /** Per successful request. */
  completionTokens: number[];
  costs: number[];
  /** Per request that got an answer (any status but the gateway's own 502/499). */
  latenciesMs: number[];
  /** Per successful streamed answer: time to first token. */
  ttftsMs: number[];
}

/** The baseline's tails measured in shadow, which later windows judge the candidate's against. */
export interface TailReferences {
  latency: LatencyReference | null;
  timeToFirstToken: LatencyReference | null;
}

export type Pricing = RolloutPlan['backends']['baseline']['pricing'];

const emptyArm = (): ArmTraffic => ({
  requests: 0,
  errors: 0,
  successes: 0,
  refusals: 0,
  jsonRequests: 0,
  validJson: 0,
  completionTokens: [],
  costs: [],
  latenciesMs: [],
  ttftsMs: [],
});

/** Tallies the records of one arm (backend + mode), from `startMs` on. A client hang-up (499) is not the backend's doing and is left out. */
export function armTraffic(
  records: readonly RequestRecord[],
  arm: ArmSelector,
  startMs: number,
  pricing: Pricing,
): ArmTraffic {
  const traffic = emptyArm();
  const priced = pricing.inputPer1k > 0 || pricing.outputPer1k > 0;
  for (const record of records) {
    if (record.backend !== arm.backend || record.mode !== arm.mode || record.status === 499) continue;
    if (Date.parse(record.at) < startMs) continue;
    traffic.requests += 1;
    if (record.status >= 500) traffic.errors += 1;
    if (record.status !== 502) traffic.latenciesMs.push(record.latencyMs);
    if (record.status < 200 || record.status >= 300) continue;
    traffic.successes += 1;
    if (record.refusal) traffic.refusals += 1;
    if (record.validJson !== null) {
      traffic.jsonRequests += 1;
      if (record.validJson) traffic.validJson += 1;
    }
    traffic.completionTokens.push(record.completionTokens);
    // Records from before the gateway measured it have no ttftMs at all.
    if (record.ttftMs !== null && record.ttftMs !== undefined) traffic.ttftsMs.push(record.ttftMs);
    if (priced)
      traffic.costs.push(
        (record.promptTokens * pricing.inputPer1k + record.completionTokens * pricing.outputPer1k) / 1000,
      );
  }
  return traffic;
}

/**
 * How many units the router assigned to one arm from `startMs` on, for the sample-ratio check:
 * sticky routing assigns keys (sessions, users), not requests, so each sticky bucket seen counts
 * once and each request without a key counts on its own. A power user's thousand requests are one
 * assignment; counting them as a thousand would cry mismatch on healthy traffic. null when a record
 * comes from a gateway that does not say its bucket: the split cannot be checked then.
 */
export function assignedUnits(records: readonly RequestRecord[], arm: ArmSelector, startMs: number): number | null {
  const buckets = new Set<number>();
  let keyless = 0;
  for (const record of records) {
    if (record.backend !== arm.backend || record.mode !== arm.mode) continue;
    if (Date.parse(record.at) < startMs) continue;
    if (record.stickyBucket === undefined) return null;
    if (record.stickyBucket === null) keyless += 1;
    else buckets.add(record.stickyBucket);
  }
  return buckets.size + keyless;
}

/** The baseline's latency tail measured in shadow: what later windows' p99 guardrail compares against. */
export function latencyReference(
  baseline: ArmTraffic,
  tolerance: number,
  minSamples: number,
  body?: BodyQuantiles,
): LatencyReference | null {
  return tailReference(baseline.latenciesMs, tolerance, minSamples, body);
}

/** The whole-distribution guard's quantiles and relative tolerance (plan guardrails.latencyDistribution). */
export interface BodyQuantiles {
  quantiles: readonly number[];
  tolerance: number;
}

/** The same for time to first token, over the baseline's streamed answers; null while too few streamed. */
export function firstTokenReference(
  baseline: ArmTraffic,
  tolerance: number,
  minSamples: number,
  body?: BodyQuantiles,
): LatencyReference | null {
  return tailReference(baseline.ttftsMs, tolerance, minSamples, body);
}

function tailReference(
  samples: readonly number[],
  tolerance: number,
  minSamples: number,
  body: BodyQuantiles | undefined,
): LatencyReference | null {
  return samples.length >= minSamples ? latencyReferenceFromShadow(samples, 0.99, tolerance, body) : null;
}

function above(values: readonly number[], threshold: number): number {
  let count = 0;
  for (const value of values) if (value > threshold) count += 1;
  return count;
}

export const NO_JSON = 'no JSON-mode request in either arm';
export const NO_STREAM = 'no streamed answer in either arm';

/**
 * 'not_applicable' when both arms answered yet neither had what the metric measures: the traffic
 * does not use it. When an arm answered nothing there is no telling, and the metric stays no data.
 */
export function notApplicable(
  answered: { baseline: number; candidate: number },
  measured: [baseline: number, candidate: number],
  reason: string,
): MetricData | undefined {
  return answered.baseline > 0 && answered.candidate > 0 && measured[0] === 0 && measured[1] === 0
    ? { type: 'not_applicable', reason }
    : undefined;
}

/** The judge's data for each guardrail, keyed by guardrail name. Missing means no data. */
export function metricData(
  baseline: ArmTraffic,
  candidate: ArmTraffic,
  references: TailReferences,
): Record<string, MetricData | undefined> {
  const counts = (pick: (arm: ArmTraffic) => [number, number]): MetricData => {
    const [bEvents, bTotal] = pick(baseline);
    const [cEvents, cTotal] = pick(candidate);
    return {
      type: 'counts',
      baseline: { events: bEvents, total: bTotal },
      candidate: { events: cEvents, total: cTotal },
    };
  };
  const samples = (pick: (arm: ArmTraffic) => number[]): MetricData | undefined =>
    pick(baseline).length > 0 || pick(candidate).length > 0
      ? { type: 'samples', baseline: pick(baseline), candidate: pick(candidate) }
      : undefined;
  const exceedance = (
    pick: (arm: ArmTraffic) => number[],
    reference: LatencyReference | null,
  ): MetricData | undefined =>
    reference
      ? {
          type: 'exceedance',
          threshold: reference.threshold,
          baseline: { events: above(pick(baseline), reference.threshold), total: pick(baseline).length },
          candidate: { events: above(pick(candidate), reference.threshold), total: pick(candidate).length },
        }
      : undefined;
  const quantiles = (
    pick: (arm: ArmTraffic) => number[],
    reference: LatencyReference | null,
  ): MetricData | undefined => {
    const body = reference?.body;
    if (!body) return undefined;
    const counts = (arm: ArmTraffic) => ({
      above: body.map((r) => above(pick(arm), r.threshold)),
      total: pick(arm).length,
    });
    return { type: 'quantile_exceedances', baseline: counts(baseline), candidate: counts(candidate) };
  };
  const answered = { baseline: baseline.successes, candidate: candidate.successes };
  return {
    latencyDistribution: quantiles((arm) => arm.latenciesMs, references.latency),
    firstTokenDistribution: references.timeToFirstToken
      ? (notApplicable(answered, [baseline.ttftsMs.length, candidate.ttftsMs.length], NO_STREAM) ??
        quantiles((arm) => arm.ttftsMs, references.timeToFirstToken))
      : undefined,
    errorRate: counts((arm) => [arm.errors, arm.requests]),
    refusalRate: counts((arm) => [arm.refusals, arm.successes]),
    schemaAdherence:
      notApplicable(answered, [baseline.jsonRequests, candidate.jsonRequests], NO_JSON) ??
      counts((arm) => [arm.validJson, arm.jsonRequests]),
    p99Latency: exceedance((arm) => arm.latenciesMs, references.latency),
    timeToFirstToken: references.timeToFirstToken
      ? (notApplicable(answered, [baseline.ttftsMs.length, candidate.ttftsMs.length], NO_STREAM) ??
        exceedance((arm) => arm.ttftsMs, references.timeToFirstToken))
      : undefined,
    length: samples((arm) => arm.completionTokens),
    costPerRequest: samples((arm) => arm.costs),
  };
}

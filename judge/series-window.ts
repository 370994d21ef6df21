// One window of traffic per arm, built from Prometheus series read at each look: each look's
// cumulative readings are differenced against the previous look's (series-counters.ts) and the
// increments added to the window's running totals. From the totals come the same MetricData the
// records judge builds (traffic-window.ts), so the same always-valid tests decide.
//
// Why the alpha guarantee carries over: the mixture SPRT is valid at any stopping time of the
// cumulative counts, whatever the batching; a look that sees one scrape interval's requests at
// once is just a coarser look. What changes is which requests a window contains: they are
// counted when Prometheus scraped them, not when they were served (up to one scrape interval
// at each edge), and a counter reset loses what the process counted between the previous look
// and its restart. The latency threshold is fixed (a reference from before the window or an
// earlier stage) and on a bucket boundary, so exceedance counts are exact.
//
// What series cannot give: per-request values. Token counters give a window's total tokens and
// so a mean per request, but not its variance, which the test on the mean needs; answer length
// and cost per request are therefore not judged from series, and the verdict says so.
//
// Pure: the snapshot is small plain JSON the workflow hands back at the next look.
import type { LatencyReference, MetricData } from './canary-input';
import { increments, restartedProcesses, resets, sumWhere, type Readings } from './series-counters';
import { DIALECTS, type SeriesSelection } from '../plan/series-dialects';
import { addBuckets, bucketsOf, boundaryAtOrAbove, countAbove, totalOf, type Buckets } from './series-histogram';
import { NO_JSON, NO_STREAM, notApplicable, type TailReferences } from './traffic-window';

/** Families read at each look. */
export const FAMILIES = ['responses', 'latency', 'firstToken', 'refusals', 'jsonRequests', 'invalidJson'] as const;
export type Family = (typeof FAMILIES)[number];

/** One arm's readings at one look; a family the dialects do not have is absent. */
export type ArmReadings = Partial<Record<Family, Readings>>;

export interface SeriesLook {
  atMs: number;
  baseline: ArmReadings;
  candidate: ArmReadings;
}

export interface ArmTotals {
  requests: number;
  errors: number;
  successes: number;
  refusals: number;
  jsonRequests: number;
  invalidJson: number;
  /** Latency and time-to-first-token bucket increments, by boundary in ms. */
  latency: Buckets;
  firstToken: Buckets;
}

/** What the workflow keeps between looks of one window (reset at each new window). */
export interface SeriesSnapshot {
  /** The last look that was read in full; the next look differences against it. */
  look: SeriesLook;
  totals: { baseline: ArmTotals; candidate: ArmTotals };
  /** Counter resets seen in this window (process restarts), per arm. */
  resets: { baseline: number; candidate: number };
}

export type Arm = 'baseline' | 'candidate';

export function emptyTotals(): ArmTotals {
  return {
    requests: 0,
    errors: 0,
    successes: 0,
    refusals: 0,
    jsonRequests: 0,
    invalidJson: 0,
    latency: {},
    firstToken: {},
  };
}

/** A window's snapshot before its first increments: `look` is what the series read at its start. */
export function startSnapshot(look: SeriesLook): SeriesSnapshot {
  return { look, totals: { baseline: emptyTotals(), candidate: emptyTotals() }, resets: { baseline: 0, candidate: 0 } };
}

function statusMatcher(label: string, pattern: string): (labels: Record<string, string>) => boolean {
  const re = new RegExp(`^(?:${pattern})$`);
  return (labels) => re.test(labels[label] ?? '');
}

/** One arm's increments between two looks, as totals. */
export function armIncrements(
  selection: SeriesSelection,
  previous: ArmReadings,
  current: ArmReadings,
): { totals: ArmTotals; resets: number } {
  const totals = emptyTotals();
  let resetCount = 0;
  // A process that restarted reset every family it exports, not only the series seen to drop.
  const restarted = restartedProcesses(
    ...(Object.keys(current) as Family[]).map((family): [Readings, Readings] => [
      previous[family] ?? {},
      current[family] ?? {},
    ]),
  );
  const inc = (family: Family): Readings => {
    const before = previous[family] ?? {};
    const now = current[family] ?? {};
    resetCount += resets(before, now);
    return increments(before, now, restarted);
  };
  const responses = DIALECTS[selection.traffic.dialect].responses;
  if (responses) {
    const values = inc('responses');
    totals.requests = sumWhere(values);
    totals.errors = sumWhere(values, statusMatcher(responses.statusLabel, responses.errorStatus));
    totals.successes = sumWhere(values, statusMatcher(responses.statusLabel, responses.successStatus));
  }
  const traffic = DIALECTS[selection.traffic.dialect];
  if (traffic.flags) {
    totals.refusals = sumWhere(inc('refusals'));
    totals.jsonRequests = sumWhere(inc('jsonRequests'));
    totals.invalidJson = sumWhere(inc('invalidJson'));
  }
  if (selection.latency.dialect !== 'none') {
    const latency = DIALECTS[selection.latency.dialect];
    if (latency.latency) totals.latency = bucketsOf(inc('latency'), latency.latency.msPerUnit);
    if (latency.firstToken) totals.firstToken = bucketsOf(inc('firstToken'), latency.firstToken.msPerUnit);
  }
  return { totals, resets: resetCount };
}

function addTotals(a: ArmTotals, b: ArmTotals): ArmTotals {
  return {
    requests: a.requests + b.requests,
    errors: a.errors + b.errors,
    successes: a.successes + b.successes,
    refusals: a.refusals + b.refusals,
    jsonRequests: a.jsonRequests + b.jsonRequests,
    invalidJson: a.invalidJson + b.invalidJson,
    latency: addBuckets(a.latency, b.latency),
    firstToken: addBuckets(a.firstToken, b.firstToken),
  };
}

/** The snapshot after a look that was read in full: increments since the last look added to the totals. */
export function advanceSnapshot(
  selection: SeriesSelection,
  snapshot: SeriesSnapshot,
  look: SeriesLook,
): SeriesSnapshot {
  const baseline = armIncrements(selection, snapshot.look.baseline, look.baseline);
  const candidate = armIncrements(selection, snapshot.look.candidate, look.candidate);
  return {
    look,
    totals: {
      baseline: addTotals(snapshot.totals.baseline, baseline.totals),
      candidate: addTotals(snapshot.totals.candidate, candidate.totals),
    },
    resets: {
      baseline: snapshot.resets.baseline + baseline.resets,
      candidate: snapshot.resets.candidate + candidate.resets,
    },
  };
}

/** The families a selection reads, per arm, and which of them must have series to count as data. */
export function familiesOf(selection: SeriesSelection): { read: Family[]; required: Family[] } {
  const read: Family[] = [];
  const required: Family[] = [];
  const traffic = DIALECTS[selection.traffic.dialect];
  if (traffic.responses) {
    read.push('responses');
    required.push('responses');
  }
  if (traffic.flags) read.push('refusals', 'jsonRequests', 'invalidJson');
  if (selection.latency.dialect !== 'none') {
    const latency = DIALECTS[selection.latency.dialect];
    if (latency.latency) {
      read.push('latency');
      required.push('latency');
    }
    // Streamed answers only: no series is a service that does not stream, not missing data.
    if (latency.firstToken) read.push('firstToken');
  }
  return { read, required };
}

/**
 * Required families whose series were there at the previous look and are all gone now: the
 * target stopped being scraped (or its series were dropped). That look is no data, not zero.
 */
export function vanishedFamilies(selection: SeriesSelection, previous: SeriesLook, current: SeriesLook): string[] {
  const gone: string[] = [];
  for (const arm of ['baseline', 'candidate'] as const) {
    for (const family of familiesOf(selection).required) {
      const before = Object.keys(previous[arm][family] ?? {}).length;
      const now = Object.keys(current[arm][family] ?? {}).length;
      if (before > 0 && now === 0) gone.push(`${arm} ${family}`);
    }
  }
  return gone;
}

/** Guardrails the series cannot judge for this selection, with the reason shown in the verdict. */
export function unjudgedFromSeries(selection: SeriesSelection): Record<string, string> {
  const reasons: Record<string, string> = {
    length: 'series give total tokens, not per-request counts: a mean without a variance cannot be tested',
    costPerRequest: 'series give total tokens, not per-request counts: a mean without a variance cannot be tested',
  };
  const traffic = DIALECTS[selection.traffic.dialect];
  if (!traffic.flags) {
    reasons.refusalRate = `the ${traffic.name} series do not inspect answers (only the llm-rollout gateway counts refusals)`;
    reasons.schemaAdherence = `the ${traffic.name} series do not inspect answers (only the llm-rollout gateway counts invalid JSON)`;
  }
  if (selection.latency.dialect === 'none') {
    reasons.p99Latency = 'metrics.latency is none';
    reasons.timeToFirstToken = 'metrics.latency is none';
  } else {
    const latency = DIALECTS[selection.latency.dialect];
    if (!latency.latency) reasons.p99Latency = latency.lacks.latency ?? `${latency.name} has no latency histogram`;
    if (!latency.firstToken)
      reasons.timeToFirstToken = latency.lacks.firstToken ?? `${latency.name} has no time-to-first-token histogram`;
  }
  return reasons;
}

function exceedance(baseline: Buckets, candidate: Buckets, reference: LatencyReference | null): MetricData | undefined {
  if (!reference) return undefined;
  // A reference from elsewhere (the records judge's shadow) may fall between boundaries: snap up.
  const boundary = boundaryAtOrAbove(baseline, reference.threshold);
  if (boundary === null) return undefined;
  const bAbove = countAbove(baseline, boundary);
  const cAbove = countAbove(candidate, boundary);
  if (bAbove === null || cAbove === null) return undefined;
  return {
    type: 'exceedance',
    threshold: boundary,
    baseline: { events: bAbove, total: totalOf(baseline) },
    candidate: { events: cAbove, total: totalOf(candidate) },
  };
}

/** The judge's data per guardrail from a window's totals; missing means no data. */
export function seriesMetricData(
  totals: SeriesSnapshot['totals'],
  references: TailReferences,
): Record<string, MetricData | undefined> {
  const { baseline: b, candidate: c } = totals;
  const counts = (pick: (arm: ArmTotals) => [number, number]): MetricData => {
    const [bEvents, bTotal] = pick(b);
    const [cEvents, cTotal] = pick(c);
    return {
      type: 'counts',
      baseline: { events: bEvents, total: bTotal },
      candidate: { events: cEvents, total: cTotal },
    };
  };
  const answered = { baseline: b.successes, candidate: c.successes };
  return {
    errorRate: counts((arm) => [arm.errors, arm.requests]),
    refusalRate: counts((arm) => [arm.refusals, arm.successes]),
    schemaAdherence:
      notApplicable(answered, [b.jsonRequests, c.jsonRequests], NO_JSON) ??
      counts((arm) => [Math.max(0, arm.jsonRequests - arm.invalidJson), arm.jsonRequests]),
    p99Latency: exceedance(b.latency, c.latency, references.latency),
    timeToFirstToken: references.timeToFirstToken
      ? (notApplicable(answered, [totalOf(b.firstToken), totalOf(c.firstToken)], NO_STREAM) ??
        exceedance(b.firstToken, c.firstToken, references.timeToFirstToken))
      : undefined,
  };
}

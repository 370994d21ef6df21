// Simulated canaries for the judge benchmark: a matched baseline arm and a candidate arm each
// receive `perLook` requests per check interval; after every interval the statistical judge
// sees the window's cumulative data (the production path: counts and running sums, as read from
// Prometheus), and a naive comparator runs fixed-horizon tests on the same data at every look.
import { judgeCanary, latencyReferenceFromShadow } from '../judge/canary-judge';
import type { JudgeConfig, LatencyReference, MetricConfig } from '../judge/canary-judge';
import type { JudgeState } from '../judge/judge-evidence';
import { holmReject } from '../lib/multiplicity';
import { pValueFromZ, twoProportionZTest } from '../judge/statistics/proportions';
import { logRatioOfMeans } from '../judge/statistics/sequential';
import { mergeSummaries, summarize } from '../judge/statistics/summary';
import type { SummaryStats } from '../judge/statistics/summary';
import type { VerdictOutcome } from '../judge/verdict';
import { SeededRandom } from '../lib/seeded-random';

/** What one arm's traffic looks like. */
export interface Traffic {
  errorRate: number;
  refusalRate: number;
  /** Log-normal latency: median (ms) and σ of log-latency. */
  latencyMedianMs: number;
  latencySigma: number;
  /** Log-normal response length: mean (tokens) and σ of log-length. */
  lengthMean: number;
  lengthSigma: number;
}

export const BASELINE: Traffic = {
  errorRate: 0.01,
  refusalRate: 0.02,
  latencyMedianMs: 800,
  latencySigma: 0.5,
  lengthMean: 300,
  lengthSigma: 0.6,
};

/** The quantiles the whole-distribution metric watches. */
export const BODY_QUANTILES = [0.5, 0.75, 0.9];

/** The plan's tolerances (the regressions that matter). */
export const TOLERANCE = {
  errorRate: 0.01, // +1 pt
  refusalRate: 0.015, // +1.5 pts
  latencyP99: 0.15, // +15 % on p99
  latencyBody: 0.05, // +5 % on p50, p75 or p90 (the whole-distribution metric)
  length: 0.075, // ±7.5 % on the mean
};

export function judgeConfig(
  alpha: number,
  reference: LatencyReference,
  minSamples: number,
  tauMultiplier?: number,
): JudgeConfig {
  const metrics: MetricConfig[] = [
    {
      name: 'errorRate',
      kind: 'proportion',
      direction: 'higher_is_worse',
      tolerance: TOLERANCE.errorRate,
      critical: true,
      group: 'reliability',
    },
    {
      name: 'refusalRate',
      kind: 'proportion',
      direction: 'higher_is_worse',
      tolerance: TOLERANCE.refusalRate,
      critical: true,
      group: 'quality',
    },
    {
      name: 'p99Latency',
      kind: 'latency',
      direction: 'higher_is_worse',
      tolerance: TOLERANCE.latencyP99,
      critical: true,
      group: 'reliability',
      quantile: 0.99,
      reference,
    },
    {
      name: 'latencyDistribution',
      kind: 'latency',
      direction: 'higher_is_worse',
      tolerance: TOLERANCE.latencyBody,
      critical: true,
      group: 'reliability',
      distribution: reference.body,
    },
    {
      name: 'length',
      kind: 'continuous',
      direction: 'either',
      tolerance: TOLERANCE.length,
      critical: true,
      group: 'quality',
    },
  ];
  return {
    alpha,
    minSamples,
    scoreThresholds: { pass: 95, marginal: 75 },
    metrics,
    ...(tauMultiplier === undefined ? {} : { tauMultiplier }),
  };
}

/** Shadow-phase reference for the latency metric: the baseline's p99 and the +tolerance exceedance rate. */
export function shadowReference(seed: number, samples: number): LatencyReference {
  const prng = new SeededRandom(seed);
  const xs: number[] = [];
  for (let i = 0; i < samples; i++) xs.push(BASELINE.latencyMedianMs * Math.exp(BASELINE.latencySigma * prng.normal()));
  return latencyReferenceFromShadow(xs, 0.99, TOLERANCE.latencyP99, {
    quantiles: BODY_QUANTILES,
    tolerance: TOLERANCE.latencyBody,
  });
}

interface Arm {
  n: number;
  errors: number;
  refusals: number;
  slow: number;
  /** Requests above each of the baseline's body quantiles (BODY_QUANTILES). */
  body: number[];
  length: SummaryStats;
}

function emptyArm(): Arm {
  return {
    n: 0,
    errors: 0,
    refusals: 0,
    slow: 0,
    body: BODY_QUANTILES.map(() => 0),
    length: { n: 0, mean: Number.NaN, variance: Number.NaN },
  };
}

function serve(
  prng: SeededRandom,
  traffic: Traffic,
  count: number,
  threshold: number,
  body: readonly number[],
  arm: Arm,
): void {
  const muLatency = Math.log(traffic.latencyMedianMs);
  const muLength = Math.log(traffic.lengthMean) - (traffic.lengthSigma * traffic.lengthSigma) / 2;
  const lengths: number[] = [];
  for (let i = 0; i < count; i++) {
    if (prng.uniform() < traffic.errorRate) arm.errors++;
    if (prng.uniform() < traffic.refusalRate) arm.refusals++;
    const latency = Math.exp(muLatency + traffic.latencySigma * prng.normal());
    if (latency > threshold) arm.slow++;
    for (let k = 0; k < body.length; k++) if (latency > body[k]!) arm.body[k]!++;
    lengths.push(Math.exp(muLength + traffic.lengthSigma * prng.normal()));
  }
  arm.n += count;
  arm.length = mergeSummaries(arm.length, summarize(lengths));
}

export interface SimSettings {
  alpha: number;
  perLook: number;
  looks: number;
  minSamples: number;
  reference: LatencyReference;
  /** τ / tolerance for the judge (default: the judge's default). */
  tauMultiplier?: number;
  /** Stop at the judge's first fail (regression runs); A/A runs always go to the end. */
  stopAtFail: boolean;
}

export interface SimOutcome {
  /** Candidate requests at the judge's first 'fail', or null. */
  judgeFailAt: number | null;
  failedMetrics: string[];
  /** Candidate requests at the naive comparator's first rejection (any look), or null. */
  naiveRejectAt: number | null;
  /** The naive comparator's decision at the last look only (a single fixed-horizon test). */
  naiveFinalReject: boolean;
  finalOutcome: VerdictOutcome;
}

/** One simulated canary window. */
export function simulateCanary(seed: number, baseline: Traffic, candidate: Traffic, settings: SimSettings): SimOutcome {
  const prng = new SeededRandom(seed);
  const config = judgeConfig(settings.alpha, settings.reference, settings.minSamples, settings.tauMultiplier);
  const b = emptyArm();
  const c = emptyArm();
  let state: JudgeState | undefined;
  let judgeFailAt: number | null = null;
  let failedMetrics: string[] = [];
  let naiveRejectAt: number | null = null;
  let naiveFinalReject = false;
  let finalOutcome: VerdictOutcome = 'inconclusive';
  const threshold = settings.reference.threshold;
  const body = (settings.reference.body ?? []).map((r) => r.threshold);
  for (let look = 1; look <= settings.looks; look++) {
    serve(prng, baseline, settings.perLook, threshold, body, b);
    serve(prng, candidate, settings.perLook, threshold, body, c);
    const { verdict, state: next } = judgeCanary({
      stage: 'canary',
      at: `look-${look}`,
      config,
      state,
      data: {
        errorRate: {
          type: 'counts',
          baseline: { events: b.errors, total: b.n },
          candidate: { events: c.errors, total: c.n },
        },
        refusalRate: {
          type: 'counts',
          baseline: { events: b.refusals, total: b.n },
          candidate: { events: c.refusals, total: c.n },
        },
        p99Latency: {
          type: 'exceedance',
          threshold,
          baseline: { events: b.slow, total: b.n },
          candidate: { events: c.slow, total: c.n },
        },
        latencyDistribution: {
          type: 'quantile_exceedances',
          baseline: { above: [...b.body], total: b.n },
          candidate: { above: [...c.body], total: c.n },
        },
        length: { type: 'summary', scale: 'raw', baseline: b.length, candidate: c.length },
      },
    });
    state = next;
    finalOutcome = verdict.outcome;
    if (verdict.outcome === 'fail' && judgeFailAt === null) {
      judgeFailAt = c.n;
      failedMetrics = verdict.metrics
        .filter((m) => m.classification === 'high' || m.classification === 'low')
        .map((m) => m.metric);
    }
    const naive = naiveReject(b, c, settings.alpha);
    if (naive && naiveRejectAt === null) naiveRejectAt = c.n;
    if (look === settings.looks) naiveFinalReject = naive;
    if (settings.stopAtFail && judgeFailAt !== null) break;
  }
  return { judgeFailAt, failedMetrics, naiveRejectAt, naiveFinalReject, finalOutcome };
}

/**
 * Naive fixed-horizon comparator: at this look, the classical test per metric at level α
 * (one-sided pooled z tests for the rates and the shares above each latency quantile, two-sided z
 * on the log ratio of mean lengths), Holm across all — the same multiplicity control as the judge, but no correction for peeking.
 */
export function naiveReject(b: Arm, c: Arm, alpha: number): boolean {
  const p: number[] = [
    twoProportionZTest(c.errors, c.n, b.errors, b.n, 'greater').pValue,
    twoProportionZTest(c.refusals, c.n, b.refusals, b.n, 'greater').pValue,
    twoProportionZTest(c.slow, c.n, b.slow, b.n, 'greater').pValue,
    ...b.body.map((above, k) => twoProportionZTest(c.body[k]!, c.n, above, b.n, 'greater').pValue),
  ];
  const len = logRatioOfMeans(c.length, b.length);
  p.push(
    Number.isFinite(len.variance) && len.variance > 0
      ? pValueFromZ(len.estimate / Math.sqrt(len.variance), 'two-sided')
      : 1,
  );
  return holmReject(p, alpha).some(Boolean);
}

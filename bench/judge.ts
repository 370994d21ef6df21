// Simulation benchmark of the statistical canary judge (`npm run bench:judge`).
//
// Prints, over SIMS simulated canaries per scenario (seeded, reproducible):
//   - the false-alarm rate on A/A data with the judge looking after every interval (target ≤ α),
//   - the same for naive repeated fixed-horizon tests (the inflation the judge avoids),
//   - detection rate and median requests-to-detection for regressions of 1×, 2× and 3× each
//     metric's tolerance (the judge fails a metric once it is shown beyond its tolerance, so 1× is
//     the boundary of its null and is caught at most at the false-alarm rate), against the
//     fixed-horizon sample size of the same question (a 2× regression tested against the
//     tolerance) at the same α and 80 % power (same family-wise α: α/m per metric; also shown at
//     α per metric),
//   - the window plan a release owner gets for this traffic (judge/window-plan.ts),
// and ends with one JSON line. Traffic: a matched baseline arm (Kayenta's recommendation) and the
// candidate each receive PER_LOOK requests per check interval (e.g. 1 min at 2,000 rpm with the
// canary at 5 %), for LOOKS intervals.
import { sampleSizeMeanShift, sampleSizeTwoProportions } from '../judge/statistics/power';
import { bonferroniAlpha } from '../lib/multiplicity';
import { DEFAULT_TAU_MULTIPLIER } from '../judge/canary-judge';
import { planCanaryWindow } from '../judge/window-plan';
import { normalQuantile, normalSf } from '../judge/statistics/normal';
import { sampleRatioPValue } from '../judge/statistics/sample-ratio';
import { SeededRandom } from '../lib/seeded-random';
import { BASELINE, BODY_QUANTILES, TOLERANCE, judgeConfig, shadowReference, simulateCanary } from './judge-sim';
import type { SimOutcome, SimSettings, Traffic } from './judge-sim';

const SIMS = Number(process.env.JUDGE_BENCH_SIMS ?? 1000);
const SEED = Number(process.env.JUDGE_BENCH_SEED ?? 20240611);
const ALPHA = 0.05;
const POWER = 0.8;
const PER_LOOK = 50;
const LOOKS = 120;
// Stress test of validity under very frequent looks at small counts: same window, 10 requests a look.
const FINE_PER_LOOK = 10;
const FINE_LOOKS = 400;
const MIN_SAMPLES = 1000;

const reference = shadowReference(SEED ^ 0x5eed, 20_000);
// JUDGE_TAU_MULT overrides τ / tolerance, to explore the mixing-variance choice.
const tauMult = process.env.JUDGE_TAU_MULT ? Number(process.env.JUDGE_TAU_MULT) : DEFAULT_TAU_MULTIPLIER;
const settings: SimSettings = {
  alpha: ALPHA,
  perLook: PER_LOOK,
  looks: LOOKS,
  minSamples: MIN_SAMPLES,
  reference,
  tauMultiplier: tauMult,
  stopAtFail: false,
};

// Fixed-horizon candidate-arm sample sizes at 80 % power for a regression of twice the tolerance
// tested against the tolerance (the judge's question), one-sided for a directional metric, with
// a matched baseline. Two versions:
//   fwer:      the same family-wise α as the judge — Bonferroni α/m per metric, which is what a
//              fixed-horizon plan for m metrics must use (and Holm's first step when one regresses);
//   perMetric: α per metric with no multiplicity penalty (FWER up to 1 − (1 − α)^m; stricter for us).
const m = 5;
const cvLength = Math.sqrt(Math.expm1(BASELINE.lengthSigma ** 2));
// The lower side on the log scale: a 2× regression is a drop to (1 − tol)², one tolerance below the null.
const lengthDelta = -Math.log1p(-TOLERANCE.length);
function fixedHorizonN(alpha: number): Record<string, number> {
  return {
    errorRate: sampleSizeTwoProportions({
      baselineRate: BASELINE.errorRate + TOLERANCE.errorRate,
      candidateRate: BASELINE.errorRate + 2 * TOLERANCE.errorRate,
      alpha,
      power: POWER,
      sides: 1,
    }),
    refusalRate: sampleSizeTwoProportions({
      baselineRate: BASELINE.refusalRate + TOLERANCE.refusalRate,
      candidateRate: BASELINE.refusalRate + 2 * TOLERANCE.refusalRate,
      alpha,
      power: POWER,
      sides: 1,
    }),
    p99Latency: sampleSizeTwoProportions({
      baselineRate: reference.toleranceRate,
      candidateRate: 2 * reference.toleranceRate - (1 - reference.quantile),
      alpha,
      power: POWER,
      sides: 1,
    }),
    length: sampleSizeMeanShift({ delta: lengthDelta, sdCandidate: cvLength, alpha, power: POWER, sides: 2 }),
  };
}
const fixedN = fixedHorizonN(bonferroniAlpha(ALPHA, m));
const fixedNPerMetric = fixedHorizonN(ALPHA);
// The release owner's plan for this traffic (judge/window-plan.ts): α/m per metric, 80 % power.
const plan = planCanaryWindow(
  judgeConfig(ALPHA, reference, MIN_SAMPLES, tauMult),
  {
    errorRate: { baselineRate: BASELINE.errorRate },
    refusalRate: { baselineRate: BASELINE.refusalRate },
    length: { cv: cvLength },
  },
  { requestsPerMinute: 2000, candidateShare: 0.05, baselineShare: 0.05 },
);

function regressed(metric: string, multiple: number): Traffic {
  const t = { ...BASELINE };
  if (metric === 'errorRate') t.errorRate += multiple * TOLERANCE.errorRate;
  if (metric === 'refusalRate') t.refusalRate += multiple * TOLERANCE.refusalRate;
  if (metric === 'p99Latency') t.latencyMedianMs *= (1 + TOLERANCE.latencyP99) ** multiple; // scales the whole distribution, p99 included
  if (metric === 'length') t.lengthMean *= (1 - TOLERANCE.length) ** multiple;
  return t;
}

function describeRegression(metric: string, multiple: number): string {
  if (metric === 'errorRate') return `error rate +${(multiple * TOLERANCE.errorRate * 100).toFixed(1)} pts`;
  if (metric === 'refusalRate') return `refusal rate +${(multiple * TOLERANCE.refusalRate * 100).toFixed(1)} pts`;
  if (metric === 'p99Latency')
    return `latency (p99) +${(((1 + TOLERANCE.latencyP99) ** multiple - 1) * 100).toFixed(0)}%`;
  return `length −${((1 - (1 - TOLERANCE.length) ** multiple) * 100).toFixed(1)}%`;
}

function run(
  candidate: Traffic,
  stopAtFail: boolean,
  salt: number,
  overrides: Partial<SimSettings> = {},
): SimOutcome[] {
  const out: SimOutcome[] = [];
  for (let i = 0; i < SIMS; i++)
    out.push(
      simulateCanary((SEED + salt * 1_000_003 + i * 7919) >>> 0, BASELINE, candidate, {
        ...settings,
        ...overrides,
        stopAtFail,
      }),
    );
  return out;
}

/** Median with non-detections counted as +∞ (null when fewer than half detected). */
function medianRequests(values: (number | null)[]): number | null {
  const sorted = values.map((v) => (v === null ? Number.POSITIVE_INFINITY : v)).sort((a, b) => a - b);
  const mid = sorted.length / 2;
  const med = sorted.length % 2 === 1 ? sorted[Math.floor(mid)]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  return Number.isFinite(med) ? med : null;
}

function pct(x: number): string {
  return `${(x * 100).toFixed(1)}%`;
}

function pad(s: string, n: number): string {
  return s.length >= n ? s : s + ' '.repeat(n - s.length);
}

const started = performance.now();
console.log(`Statistical canary judge — simulation benchmark (${SIMS} canaries per scenario, seed ${SEED})`);
console.log(
  `alpha ${ALPHA}; ${PER_LOOK} candidate + ${PER_LOOK} matched-baseline requests per interval, ${LOOKS} looks (window ${PER_LOOK * LOOKS} per arm); judge looks after every interval`,
);
console.log(
  `baseline traffic: error ${pct(BASELINE.errorRate)}, refusal ${pct(BASELINE.refusalRate)}, latency log-normal median ${BASELINE.latencyMedianMs} ms σ ${BASELINE.latencySigma} (shadow p99 ${reference.threshold.toFixed(0)} ms, +${TOLERANCE.latencyP99 * 100}% → exceedance ${pct(reference.toleranceRate)}), length log-normal mean ${BASELINE.lengthMean} σ ${BASELINE.lengthSigma}`,
);
console.log('');

// A/A
const aa = run(BASELINE, false, 1);
const falseAlarm = aa.filter((o) => o.judgeFailAt !== null).length / SIMS;
const naiveFalseAlarm = aa.filter((o) => o.naiveRejectAt !== null).length / SIMS;
const naiveSingle = aa.filter((o) => o.naiveFinalReject).length / SIMS;
const aaPass = aa.filter((o) => o.finalOutcome === 'pass').length / SIMS;
const se = (p: number): string => `±${(1.96 * Math.sqrt((p * (1 - p)) / SIMS) * 100).toFixed(1)}`;
console.log('A/A (no difference), false alarms over the whole window:');
console.log(
  `  judge, mSPRT at α/${m}, look every interval    ${pad(pct(falseAlarm), 7)} (${se(falseAlarm)} pts)   target ≤ ${pct(ALPHA)}`,
);
console.log(
  `  naive fixed-horizon tests + Holm, every look ${pad(pct(naiveFalseAlarm), 7)} (${se(naiveFalseAlarm)} pts)`,
);
console.log(
  `  naive fixed-horizon tests, last look only    ${pad(pct(naiveSingle), 7)} (${se(naiveSingle)} pts)   (the one look they are designed for)`,
);
console.log(
  `  judge verdict at the window's end: pass ${pct(aaPass)}, inconclusive ${pct(aa.filter((o) => o.finalOutcome === 'inconclusive').length / SIMS)}`,
);
const fine = run(BASELINE, false, 2, { perLook: FINE_PER_LOOK, looks: FINE_LOOKS });
const fineFalseAlarm = fine.filter((o) => o.judgeFailAt !== null).length / SIMS;
const fineNaive = fine.filter((o) => o.naiveRejectAt !== null).length / SIMS;
console.log(
  `  stress: ${FINE_LOOKS} looks of ${FINE_PER_LOOK} requests (same window): judge ${pct(fineFalseAlarm)} (${se(fineFalseAlarm)} pts), naive ${pct(fineNaive)}`,
);
console.log('');

console.log('Regressions (one metric at a time; detection = judge verdict fail within the window):');
console.log(
  `  ${pad('regression', 26)}${pad('size', 6)}${pad('detected', 10)}${pad('by metric', 11)}${pad('median req.', 13)}${pad(`fixed n α/${m}`, 13)}${pad('ratio', 7)}${pad('fixed n α', 11)}ratio`,
);
const ratios: Record<string, number | null> = {};
const ratiosPerMetric: Record<string, number | null> = {};
interface DetectionRow {
  at1x: number;
  at2x: number;
  at3x: number;
  median2x: number | null;
  median3x: number | null;
}
const detection: Record<string, DetectionRow> = {};
let salt = 10;
for (const metric of ['errorRate', 'refusalRate', 'p99Latency', 'length']) {
  const row: DetectionRow = { at1x: 0, at2x: 0, at3x: 0, median2x: null, median3x: null };
  for (const multiple of [1, 2, 3]) {
    const outcomes = run(regressed(metric, multiple), true, salt++);
    const detected = outcomes.filter((o) => o.judgeFailAt !== null).length / SIMS;
    const right = outcomes.filter((o) => o.failedMetrics.includes(metric)).length / SIMS;
    const median = medianRequests(outcomes.map((o) => o.judgeFailAt));
    const n = fixedN[metric]!;
    const n1 = fixedNPerMetric[metric]!;
    const ratio = median === null ? null : median / n;
    const ratio1 = median === null ? null : median / n1;
    if (multiple === 1) row.at1x = detected;
    else if (multiple === 3) {
      row.at3x = detected;
      row.median3x = median;
    } else {
      row.at2x = detected;
      row.median2x = median;
      ratios[metric] = ratio;
      ratiosPerMetric[metric] = ratio1;
    }
    const show = (r: number | null): string => (r === null ? '—' : r.toFixed(2));
    console.log(
      `  ${pad(describeRegression(metric, multiple), 26)}${pad(`${multiple}×`, 6)}${pad(pct(detected), 10)}${pad(pct(right), 11)}${pad(median === null ? '> window' : String(median), 13)}${pad(n.toFixed(0), 13)}${pad(show(ratio), 7)}${pad(n1.toFixed(0), 11)}${show(ratio1)}`,
    );
  }
  detection[metric] = row;
}
// The body of the distribution: the median or the p75 up 10 % (twice the distribution metric's
// tolerance) with the p99 unchanged, log-normal latency with its σ narrowed to keep the p99.
// The fixed horizon is the most favourable one: a one-sided two-proportion test at the quantile
// with the most power, at the judge's per-quantile level α/(m·K), 80 % power.
const Z99 = normalQuantile(0.99);
function bodyShifted(quantile: number, shift: number): Traffic {
  const z = normalQuantile(quantile);
  const sigma = BASELINE.latencySigma - Math.log1p(shift) / (Z99 - z);
  const mu = Math.log(BASELINE.latencyMedianMs) + Z99 * (BASELINE.latencySigma - sigma);
  return { ...BASELINE, latencyMedianMs: Math.exp(mu), latencySigma: sigma };
}
const bodyFixedLevel = bonferroniAlpha(bonferroniAlpha(ALPHA, m), BODY_QUANTILES.length);
function bodyFixedN(candidate: Traffic): number {
  const mu = Math.log(candidate.latencyMedianMs);
  return Math.min(
    ...(reference.body ?? []).map((r) =>
      sampleSizeTwoProportions({
        baselineRate: r.toleranceRate,
        candidateRate: normalSf((Math.log(r.threshold) - mu) / candidate.latencySigma),
        alpha: bodyFixedLevel,
        power: POWER,
        sides: 1,
      }),
    ),
  );
}
const bodyRatios: Record<string, number | null> = {};
const bodyDetection: Record<string, number> = {};
const bodyMedian: Record<string, number | null> = {};
for (const [label, quantile] of [
  ['median', 0.5],
  ['p75', 0.75],
] as const) {
  const candidate = bodyShifted(quantile, 0.1);
  const outcomes = run(candidate, true, salt++);
  const detected = outcomes.filter((o) => o.judgeFailAt !== null).length / SIMS;
  const right = outcomes.filter((o) => o.failedMetrics.includes('latencyDistribution')).length / SIMS;
  const median = medianRequests(outcomes.map((o) => o.judgeFailAt));
  const n = bodyFixedN(candidate);
  bodyRatios[label] = median === null ? null : median / n;
  bodyDetection[label] = detected;
  bodyMedian[label] = median;
  const p99 = Math.exp(Math.log(candidate.latencyMedianMs) + Z99 * candidate.latencySigma);
  console.log(
    `  ${pad(`latency ${label} +10%, p99 ${((p99 / (BASELINE.latencyMedianMs * Math.exp(Z99 * BASELINE.latencySigma)) - 1) * 100).toFixed(1)}%`, 32)}${pad(pct(detected), 10)}${pad(pct(right), 11)}${pad(median === null ? '> window' : String(median), 13)}${pad(n.toFixed(0), 13)}${bodyRatios[label] === null ? '—' : bodyRatios[label]!.toFixed(2)}`,
  );
}
console.log(
  `  (latencyDistribution: p50/p75/p90, tolerance +${TOLERANCE.latencyBody * 100}% each; fixed n at the best quantile, α/(${m}·${BODY_QUANTILES.length}) one-sided)`,
);
console.log('');
console.log(
  `Planning (planCanaryWindow: candidate requests for 80% power at twice the tolerance, α/${m} per metric; 2,000 rpm, canary 5%, matched baseline 5%):`,
);
console.log(
  `  ${pad('metric', 20)}${pad('fixed-horizon n', 17)}${pad('minutes', 9)}${pad('mSPRT bound n', 15)}minutes`,
);
for (const row of plan.metrics) {
  console.log(
    `  ${pad(row.metric, 20)}${pad(String(row.fixedHorizonSamples), 17)}${pad(row.fixedHorizonMinutes.toFixed(0), 9)}${pad(String(row.sequentialSamples), 15)}${row.sequentialMinutes.toFixed(0)}`,
  );
}
console.log(
  `  window to plan: ${plan.windowMinutes.toFixed(0)} min (${plan.candidateRequests} candidate requests); suggested minSamples ${plan.suggestedMinSamples}`,
);
console.log(
  '  (the mSPRT bound credits only the last look, so it overstates what the sequential test needs; compare the 2× rows above)',
);
// Sample ratio mismatch: windows whose router sends each request to the candidate with exactly
// the planned probability (25 %), checked at every look; any alarm is a false one.
const SRM_SHARE = 0.25;
let srmAlarms = 0;
for (let i = 0; i < SIMS; i++) {
  const prng = new SeededRandom((SEED + 77 * 1_000_003 + i * 7919) >>> 0);
  let candidate = 0;
  let p = 1;
  for (let look = 1; look <= LOOKS; look++) {
    for (let r = 0; r < 2 * PER_LOOK; r++) if (prng.uniform() < SRM_SHARE) candidate++;
    p = sampleRatioPValue(candidate, look * 2 * PER_LOOK, SRM_SHARE, p);
  }
  if (p <= ALPHA) srmAlarms++;
}
const srmFalseAlarm = srmAlarms / SIMS;
console.log(
  `Sample ratio mismatch, planned ${SRM_SHARE * 100}% candidate, split as planned, checked every look: false alarms ${pct(srmFalseAlarm)} (target ≤ ${pct(ALPHA)})`,
);
const worst = (rs: Record<string, number | null>): number | null =>
  Object.values(rs).reduce<number | null>((acc, r) => (r === null || acc === null ? null : Math.max(acc, r)), 0);
const round3 = (rs: Record<string, number | null>): Record<string, number | null> =>
  Object.fromEntries(Object.entries(rs).map(([k, v]) => [k, v === null ? null : Math.round(v * 1000) / 1000]));
const seconds = (performance.now() - started) / 1000;
console.log('');
console.log(
  `done in ${seconds.toFixed(1)} s. requests_ratio_vs_fixed_horizon: the worst metric's median requests-to-detection at 2× tolerance ÷ its fixed-horizon n for 2× against the tolerance`,
);
console.log(
  `(fixed horizon at the judge's family-wise α, i.e. α/${m} per metric; the _per_metric_alpha variant uses α per metric, no multiplicity penalty)`,
);
console.log(
  JSON.stringify({
    sims_per_scenario: SIMS,
    alpha: ALPHA,
    looks: LOOKS,
    requests_per_look: PER_LOOK,
    false_alarm_rate: falseAlarm,
    naive_false_alarm_rate: naiveFalseAlarm,
    naive_single_look_false_alarm_rate: naiveSingle,
    false_alarm_rate_400_looks: fineFalseAlarm,
    naive_false_alarm_rate_400_looks: fineNaive,
    requests_ratio_vs_fixed_horizon: worst(ratios),
    requests_ratio_vs_fixed_horizon_per_metric_alpha: worst(ratiosPerMetric),
    requests_ratio_by_metric: round3(ratios),
    requests_ratio_by_metric_per_metric_alpha: round3(ratiosPerMetric),
    detection_rate_2x: Object.fromEntries(Object.entries(detection).map(([k, v]) => [k, v.at2x])),
    detection_rate_1x: Object.fromEntries(Object.entries(detection).map(([k, v]) => [k, v.at1x])),
    detection_rate_3x: Object.fromEntries(Object.entries(detection).map(([k, v]) => [k, v.at3x])),
    median_requests_2x: Object.fromEntries(Object.entries(detection).map(([k, v]) => [k, v.median2x])),
    median_requests_3x: Object.fromEntries(Object.entries(detection).map(([k, v]) => [k, v.median3x])),
    fixed_horizon_n: Object.fromEntries(Object.entries(fixedN).map(([k, v]) => [k, Math.ceil(v)])),
    fixed_horizon_n_per_metric_alpha: Object.fromEntries(
      Object.entries(fixedNPerMetric).map(([k, v]) => [k, Math.ceil(v)]),
    ),
    tau_multiplier: tauMult,
    median_shift_requests_ratio: bodyRatios.median === null ? null : Math.round(bodyRatios.median! * 1000) / 1000,
    p75_shift_requests_ratio: bodyRatios.p75 === null ? null : Math.round(bodyRatios.p75! * 1000) / 1000,
    srm_false_alarm_rate: srmFalseAlarm,
    body_shift_detection_rate: bodyDetection,
    body_shift_median_requests: bodyMedian,
  }),
);

// Paired bootstrap for the behavioral gates: the same items (golden) or requests (shadow) are
// answered by both models, so each metric is judged on paired samples (bᵢ, cᵢ) and the items are
// resampled as pairs, which keeps the item-to-item variation (easy vs hard prompts) out of the
// comparison.
//
//   difference:  θ = mean(c) − mean(b)          (rates, judge scores, similarity − 1)
//   ratio:       θ = mean(c) / mean(b) − 1      (length, latency, cost)
//
// The interval is the percentile bootstrap interval of θ over B resamples of the n pairs (Efron &
// Tibshirani 1993, ch. 13), drawn from a seeded PRNG so a verdict is reproducible; the p-value is
// the two-sided bootstrap achieved significance level 2·min(P*(θ* ≤ 0), P*(θ* ≥ 0)), capped at 1.
// A metric whose pairs are all equal gets θ = 0 with the interval [0, 0]. Pure and deterministic.
import { quantileSorted } from 'simple-statistics';
import { fnv1a32, mulberry32Indices } from '../lib/seeded-random';

export type PairedStatistic = 'difference' | 'ratio';

export interface PairedEstimate {
  statistic: PairedStatistic;
  n: number;
  baselineMean: number;
  candidateMean: number;
  /** θ̂ on the full sample; null for a ratio with a zero baseline mean. */
  estimate: number | null;
  interval: [number, number] | null;
  pValue: number | null;
  confidence: number;
  resamples: number;
}

export const DEFAULT_RESAMPLES = 4_000;

/** 32-bit FNV-1a of a label, to seed one metric's resampling. */
export function seedOf(label: string): number {
  return fnv1a32(label);
}

function theta(statistic: PairedStatistic, sumB: number, sumC: number, n: number): number | null {
  if (statistic === 'difference') return (sumC - sumB) / n;
  return sumB === 0 ? null : sumC / sumB - 1;
}

export function pairedBootstrap(
  baseline: readonly number[],
  candidate: readonly number[],
  options: { statistic: PairedStatistic; confidence: number; resamples?: number; seed: number },
): PairedEstimate {
  const n = baseline.length;
  if (candidate.length !== n)
    throw new RangeError(`paired samples differ in length: ${n} baseline, ${candidate.length} candidate`);
  if (!(options.confidence > 0 && options.confidence < 1))
    throw new RangeError(`confidence must be in (0, 1), got ${options.confidence}`);
  const resamples = options.resamples ?? DEFAULT_RESAMPLES;
  const base = { statistic: options.statistic, n, confidence: options.confidence, resamples };
  if (n === 0)
    return {
      ...base,
      baselineMean: Number.NaN,
      candidateMean: Number.NaN,
      estimate: null,
      interval: null,
      pValue: null,
    };
  let sumB = 0;
  let sumC = 0;
  for (let i = 0; i < n; i++) {
    sumB += baseline[i]!;
    sumC += candidate[i]!;
  }
  const estimate = theta(options.statistic, sumB, sumC, n);
  const summary = { ...base, baselineMean: sumB / n, candidateMean: sumC / n, estimate };
  if (estimate === null) return { ...summary, interval: null, pValue: null };

  // Every pair equal: every resample is 0 too (a difference), or the ratio 1 − 1 = 0.
  let allEqual = true;
  for (let i = 0; i < n && allEqual; i++) allEqual = baseline[i] === candidate[i];
  if (allEqual) return { ...summary, interval: [0, 0], pValue: 1 };

  const draws = new Float64Array(resamples);
  const b64 = Float64Array.from(baseline);
  const c64 = Float64Array.from(candidate);
  const d64 = Float64Array.from(baseline, (b, i) => candidate[i]! - b);
  let valid = 0;
  let atOrBelow = 0;
  let atOrAbove = 0;
  const drawIndices = mulberry32Indices(options.seed);
  const index = new Int32Array(n);
  for (let r = 0; r < resamples; r++) {
    let value: number | null;
    if (options.statistic === 'difference') {
      let d = 0;
      drawIndices(index, n);
      for (let k = 0; k < n; k++) d += d64[index[k]!]!;
      value = d / n;
    } else {
      let b = 0;
      let c = 0;
      drawIndices(index, n);
      for (let k = 0; k < n; k++) {
        const i = index[k]!;
        b += b64[i]!;
        c += c64[i]!;
      }
      value = theta('ratio', b, c, n);
    }
    // A ratio resample with a zero baseline sum has no value; it is left out.
    if (value === null) continue;
    draws[valid++] = value;
    if (value <= 0) atOrBelow++;
    if (value >= 0) atOrAbove++;
  }
  if (valid === 0) return { ...summary, interval: null, pValue: null };
  const sorted = Array.from(draws.subarray(0, valid).sort());
  const tail = (1 - options.confidence) / 2;
  return {
    ...summary,
    interval: [quantileSorted(sorted, tail), quantileSorted(sorted, 1 - tail)],
    pValue: Math.min(1, (2 * Math.min(atOrBelow, atOrAbove)) / valid),
  };
}

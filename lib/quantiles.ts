// Quantiles of sorted samples. Interpolated quantiles (type 7, R's and numpy's default) come from
// simple-statistics' `quantileSorted`; this module holds the one quantile it does not offer: the
// rank quantile, always one of the observed values, for the figures people read (load-run
// latencies, benchmark timings, the spread of per-pair ratios in a verdict's note).

/**
 * The rank quantile of sorted values: the value at 0-based rank ⌊p·n⌋ (the last one for p = 1),
 * i.e. the smallest observation x with more than p·n values at or below it (inf{x : Fₙ(x) > p}).
 */
export function rankQuantileSorted(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) throw new RangeError('rank quantile of no values');
  if (!(p >= 0 && p <= 1)) throw new RangeError(`quantile must be in [0, 1], got ${p}`);
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
}

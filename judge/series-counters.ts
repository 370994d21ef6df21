// Counters read from Prometheus at each look, differenced per series. Prometheus keeps the
// cumulative value of every counter series; what a window saw is the sum of each series'
// increments between looks. Done per series (not on a sum) so one restarted process among many
// is seen as a reset of its own series, not as a drop of the total.
//
// Rules, per series between two looks:
//   value went up or stayed          increment = current − previous
//   value went down                  the process restarted (counter reset): increment = current
//                                    (what it counted since restarting; what it counted between the
//                                    previous look and the restart is lost, and says so nowhere)
//   series new since the last look   increment = current (born since, as Prometheus saw no
//                                    sample for it before)
//   series gone                      no increment (its last moments are lost)
import type { LabelSet } from '../plan/series-dialects';

/** One family's cumulative readings at one look: series key → value. */
export type Readings = Record<string, number>;

export interface SeriesSample {
  labels: LabelSet;
  value: number;
}

/** A stable key for a series: its labels (without the metric name) sorted by name. */
export function seriesKey(labels: LabelSet): string {
  const entries = Object.entries(labels)
    .filter(([name]) => name !== '__name__')
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return JSON.stringify(entries);
}

/** The labels back from a key made by seriesKey. */
export function labelsOfKey(key: string): LabelSet {
  return Object.fromEntries(JSON.parse(key) as Array<[string, string]>);
}

/** Samples of one query as readings; non-finite values (NaN from a broken exporter) are left out. */
export function readingsOf(samples: readonly SeriesSample[]): Readings {
  const readings: Readings = {};
  for (const sample of samples)
    if (Number.isFinite(sample.value) && sample.value >= 0) readings[seriesKey(sample.labels)] = sample.value;
  return readings;
}

/** Each series' increment since the previous look (see the rules above). */
export function increments(previous: Readings, current: Readings): Readings {
  const result: Readings = {};
  for (const [key, value] of Object.entries(current)) {
    const before = previous[key];
    result[key] = before === undefined || value < before ? value : value - before;
  }
  return result;
}

/** How many series reset between the looks (shown in the verdict, so a restart is not silent). */
export function resets(previous: Readings, current: Readings): number {
  let count = 0;
  for (const [key, value] of Object.entries(current)) {
    const before = previous[key];
    if (before !== undefined && value < before) count += 1;
  }
  return count;
}

/** Sum of the increments whose series match `keep` (e.g. a status class). */
export function sumWhere(values: Readings, keep: (labels: LabelSet) => boolean = () => true): number {
  let total = 0;
  for (const [key, value] of Object.entries(values)) if (keep(labelsOfKey(key))) total += value;
  return total;
}

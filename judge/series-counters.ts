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
//   another series of the same       the same: a restart resets every counter of the process, and
//   process went down                one that has already counted past its old value would
//                                    otherwise give current − previous. In a histogram that mixes
//                                    whole and differenced buckets, which are cumulative, so the
//                                    shares above a threshold came out as garbage (a healthy
//                                    candidate read +99 pts above the baseline's p99 after a
//                                    gateway restart). The process is the scrape target (job and
//                                    instance); a series without either is one with its buckets.
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

/** The process a series came from (see the rules above). */
function processOf(key: string): string {
  let labels: LabelSet;
  try {
    labels = labelsOfKey(key);
  } catch {
    return key;
  }
  if (labels.job !== undefined || labels.instance !== undefined)
    return JSON.stringify([labels.job ?? '', labels.instance ?? '']);
  const { le: _bucket, ...series } = labels;
  return seriesKey(series);
}

/** The processes that restarted between two looks: one of their series went down. */
export function restartedProcesses(...families: Array<[previous: Readings, current: Readings]>): Set<string> {
  const restarted = new Set<string>();
  for (const [previous, current] of families)
    for (const [key, value] of Object.entries(current)) {
      const before = previous[key];
      if (before !== undefined && value < before) restarted.add(processOf(key));
    }
  return restarted;
}

/**
 * Each series' increment since the previous look (see the rules above). `restarted` is what
 * restartedProcesses found over every family read from the same processes; by default, this one's.
 */
export function increments(
  previous: Readings,
  current: Readings,
  restarted: ReadonlySet<string> = restartedProcesses([previous, current]),
): Readings {
  const result: Readings = {};
  for (const [key, value] of Object.entries(current)) {
    const before = previous[key];
    const whole = before === undefined || value < before || (restarted.size > 0 && restarted.has(processOf(key)));
    result[key] = whole ? value : value - before;
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

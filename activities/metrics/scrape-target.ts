// Is Prometheus scraping the gateway? Lets the caller tell "Prometheus down" (the query throws
// PrometheusUnavailableError), "gateway target down or unknown" (state 'down' / 'absent') and
// "no traffic" (state 'up' but the canary figures are null or zero).
import { range, selector } from './promql';
import { queryInstant, singleValue } from './prometheus-client';

export interface ScrapeTargetHealthInput {
  prometheusUrl: string;
  /** Scrape job name of the gateway in Prometheus's config. */
  job: string;
  /** Evaluation time, epoch ms; default now. */
  atMs?: number;
  /** Also report the share of successful scrapes over this many seconds before atMs. */
  windowSeconds?: number;
  timeoutMs?: number;
}

export interface ScrapeTargetHealth {
  job: string;
  /** 'absent': no target of that job has a recent `up` sample (not configured, or gone stale). */
  state: 'up' | 'down' | 'absent';
  targets: number;
  targetsUp: number;
  /** Mean of `up` over the window across the job's targets; null without a window or samples. */
  upFractionOverWindow: number | null;
  queries: { up: string; upFractionOverWindow: string | null };
}

export async function readScrapeTargetHealth(input: ScrapeTargetHealthInput): Promise<ScrapeTargetHealth> {
  const timeMs = input.atMs ?? Date.now();
  const up = selector('up', [['job', '=', input.job]]);
  const fractionQuery =
    input.windowSeconds === undefined ? null : `avg(avg_over_time(${up}${range(input.windowSeconds)}))`;
  const common = { baseUrl: input.prometheusUrl, timeMs, timeoutMs: input.timeoutMs };
  const [current, fraction] = await Promise.all([
    queryInstant({ ...common, query: up }),
    fractionQuery === null ? null : queryInstant({ ...common, query: fractionQuery }),
  ]);
  if (current.resultType !== 'vector') throw new Error(`expected a vector from ${up}`);
  const targets = current.samples.length;
  const targetsUp = current.samples.filter((sample) => sample.value === 1).length;
  return {
    job: input.job,
    state: targets === 0 ? 'absent' : targetsUp === targets ? 'up' : 'down',
    targets,
    targetsUp,
    upFractionOverWindow: fraction === null || fractionQuery === null ? null : singleValue(fractionQuery, fraction),
    queries: { up, upFractionOverWindow: fractionQuery },
  };
}

// Reads one canary (or shadow) window for a route from Prometheus: the same figures for the
// baseline and the candidate, each from its own backend and mode, plus the exact PromQL used so a
// verdict can cite its evidence. Meant to be called from a Temporal activity: input and output are
// plain JSON-serialisable objects.
//
// null means "no data" (no series, too few samples in the window, or a zero denominator) and is
// never 0; see canary-queries.ts for when a 0 is a real 0. A null requestCount alone cannot tell a
// scrape problem from a quiet route: check readScrapeTargetHealth (scrape-target.ts) for that.
import type { FigureName, GatewayMode, SeriesScope } from './canary-queries';
import { FIGURE_NAMES, buildBackendQueries } from './canary-queries';
import { queryInstant, singleValue } from './prometheus-client';

export type { FigureName, GatewayMode } from './canary-queries';

export interface BackendSide {
  /** Backend name within the route, e.g. 'baseline' or 'candidate'. */
  backend: string;
  /** During a shadow soak the candidate is read with 'shadow', the baseline with 'live'. */
  mode: GatewayMode;
}

/** Either the last `seconds` before `endMs`, or [startMs, endMs] rounded to whole seconds. */
export type WindowSpec = { endMs: number; seconds: number } | { startMs: number; endMs: number };

export interface ReadCanaryWindowInput {
  prometheusUrl: string;
  route: string;
  window: WindowSpec;
  baseline: BackendSide;
  candidate: BackendSide;
  /** Per query; default 10 s. */
  timeoutMs?: number;
  signal?: AbortSignal;
}

export type BackendFigures = Record<FigureName, number | null>;

export interface BackendWindowFigures extends BackendSide, BackendFigures {
  /**
   * requestCount/successCount/errorCount: increase() over the window, extrapolated to its edges
   * (may be fractional). Rates are fractions in [0, 1]. Latencies are milliseconds over all
   * responses of the side. Token means are per successful (2xx) response.
   */
  queries: Record<FigureName, string>;
}

export interface ResolvedWindow {
  startMs: number;
  endMs: number;
  seconds: number;
}

export interface CanaryWindowFigures {
  route: string;
  window: ResolvedWindow;
  baseline: BackendWindowFigures;
  candidate: BackendWindowFigures;
}

export function resolveWindow(window: WindowSpec): ResolvedWindow {
  const endMs = window.endMs;
  const seconds = 'seconds' in window ? window.seconds : Math.round((window.endMs - window.startMs) / 1000);
  if (!Number.isFinite(endMs)) throw new RangeError(`window end must be epoch milliseconds, got ${endMs}`);
  if (!Number.isInteger(seconds) || seconds < 1) {
    throw new RangeError(`window must span a whole number of seconds ≥ 1, got ${JSON.stringify(window)}`);
  }
  return { startMs: endMs - seconds * 1000, endMs, seconds };
}

async function readSide(
  input: ReadCanaryWindowInput,
  side: BackendSide,
  window: ResolvedWindow,
): Promise<BackendWindowFigures> {
  const scope: SeriesScope = { route: input.route, backend: side.backend, mode: side.mode };
  const queries = buildBackendQueries(scope, window.seconds);
  const values = await Promise.all(
    FIGURE_NAMES.map(async (name) => {
      const query = queries[name];
      const result = await queryInstant({
        baseUrl: input.prometheusUrl,
        query,
        timeMs: window.endMs,
        timeoutMs: input.timeoutMs,
        signal: input.signal,
      });
      return [name, singleValue(query, result)] as const;
    }),
  );
  return { backend: side.backend, mode: side.mode, ...(Object.fromEntries(values) as BackendFigures), queries };
}

/** All figures for both sides at the window's end. Any failed query fails the whole read: a partial read is not evidence. */
export async function readCanaryWindow(input: ReadCanaryWindowInput): Promise<CanaryWindowFigures> {
  const window = resolveWindow(input.window);
  const [baseline, candidate] = await Promise.all([
    readSide(input, input.baseline, window),
    readSide(input, input.candidate, window),
  ]);
  return { route: input.route, window, baseline, candidate };
}

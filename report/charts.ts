// The report's charts: Vega-Lite specs rendered to SVG strings on the server (no browser, no
// network), so the report file carries its pictures inline.
import * as vega from 'vega';
import * as vl from 'vega-lite';
import type { TopLevelSpec } from 'vega-lite';
import type { MetricEvidence, Verdict } from '../judge/verdict';
import type { StageRecord } from '../workflows/rollout-state';

const WIDTH = 640;
// Every layer of a chart over time uses this same x (a layer with another time axis makes Vega fail under UTC formatting).
const TIME_X = { field: 'at', type: 'temporal', title: 'time (UTC)', axis: { format: '%H:%M:%S' } } as const;

async function toSvg(spec: TopLevelSpec): Promise<string> {
  const view = new vega.View(vega.parse(vl.compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** The candidate's weight over time: each stage's weight from its start until the next one's. */
export function weightPoints(stages: StageRecord[], now: string): Array<{ at: string; weight: number; stage: string }> {
  const started = stages.filter((stage) => stage.startedAt);
  const points = started.map((stage) => ({ at: stage.startedAt!, weight: stage.candidateWeight, stage: stage.id }));
  const last = started[started.length - 1];
  if (last) points.push({ at: last.endedAt ?? now, weight: last.candidateWeight, stage: last.id });
  return points;
}

export function weightsChart(stages: StageRecord[], now: string): Promise<string> | null {
  const values = weightPoints(stages, now);
  if (values.length === 0) return null;
  return toSvg({
    width: WIDTH,
    height: 160,
    data: { values },
    mark: { type: 'line', interpolate: 'step-after', point: true },
    encoding: {
      x: TIME_X,
      y: { field: 'weight', type: 'quantitative', title: 'candidate weight %', scale: { domain: [0, 100] } },
      tooltip: [{ field: 'stage' }, { field: 'weight' }],
    },
    config: { timeFormatType: 'utc' } as never,
  });
}

/** One look at a guardrail: its estimate, interval and band, in the unit its delta is kept. */
export interface GuardrailPoint {
  at: string;
  stage: string;
  delta: number;
  low: number;
  high: number;
  /** The tolerance band's edges at this look (null where the direction leaves a side open). */
  bandLow: number | null;
  bandHigh: number | null;
}

function band(metric: MetricEvidence): { bandLow: number | null; bandHigh: number | null } {
  return {
    bandLow: metric.direction === 'higher_is_worse' ? null : -metric.tolerance,
    bandHigh: metric.direction === 'lower_is_worse' ? null : metric.tolerance,
  };
}

/** Each guardrail's looks across the verdicts (those with an estimate), per metric name, in order. */
export function guardrailSeries(verdicts: Verdict[]): Map<string, GuardrailPoint[]> {
  const series = new Map<string, GuardrailPoint[]>();
  for (const verdict of verdicts)
    for (const metric of verdict.metrics) {
      if (metric.delta === null) continue;
      const [low, high] = metric.interval ?? [metric.delta, metric.delta];
      const points = series.get(metric.metric) ?? [];
      points.push({ at: verdict.at, stage: verdict.stage, delta: metric.delta, low, high, ...band(metric) });
      series.set(metric.metric, points);
    }
  return series;
}

/** Where each stage began, for marking stage boundaries on a chart over time. */
export type StageStart = { at: string; stage: string };

export function stageStarts(stages: StageRecord[]): StageStart[] {
  return stages.flatMap((stage) => (stage.startedAt ? [{ at: stage.startedAt, stage: stage.id }] : []));
}

export function guardrailChart(
  metric: string,
  points: GuardrailPoint[],
  relative: boolean,
  starts: StageStart[] = [],
): Promise<string> {
  const x = TIME_X;
  const format = relative ? '+.1%' : '+.3~g';
  const y = { type: 'quantitative', title: `${metric}: candidate − baseline`, axis: { format } } as const;
  // A side the direction leaves open is drawn to the chart's edge: everything there is acceptable.
  const edges = points.flatMap((p) => [p.low, p.high, p.bandLow ?? p.low, p.bandHigh ?? p.high]);
  const margin = (Math.max(...edges) - Math.min(...edges)) * 0.1 || Math.abs(points[0]?.delta ?? 1) || 1;
  const bottom = Math.min(...edges) - margin;
  const top = Math.max(...edges) + margin;
  const values = points.map((p) => ({ ...p, bandFrom: p.bandLow ?? bottom, bandTo: p.bandHigh ?? top }));
  return toSvg({
    width: WIDTH,
    height: 180,
    data: { values },
    layer: [
      {
        mark: { type: 'area', opacity: 0.15, color: '#2e7d32', interpolate: 'step-after' },
        encoding: { x, y: { ...y, field: 'bandFrom', scale: { domain: [bottom, top] } }, y2: { field: 'bandTo' } },
      },
      {
        mark: { type: 'area', opacity: 0.3, color: '#1565c0' },
        encoding: { x, y: { ...y, field: 'low' }, y2: { field: 'high' } },
      },
      {
        mark: { type: 'line', point: true, color: '#1565c0' },
        encoding: {
          x,
          y: { ...y, field: 'delta' },
          tooltip: [
            { field: 'stage' },
            { field: 'delta', format },
            { field: 'low', format },
            { field: 'high', format },
          ],
        },
      },
      { mark: { type: 'rule', color: '#888', strokeDash: [4, 4] }, encoding: { y: { datum: 0 } } },
      // Stage boundaries within the looks' time span, labelled at the top.
      ...stageLayers(
        starts.filter((s) => s.at >= (points[0]?.at ?? '') && s.at <= (points[points.length - 1]?.at ?? '')),
        top,
        y.title,
      ),
    ],
    config: { timeFormatType: 'utc' } as never,
  });
}

function stageLayers(
  starts: StageStart[],
  top: number,
  yTitle: string,
): NonNullable<Extract<TopLevelSpec, { layer: unknown }>['layer']> {
  if (starts.length === 0) return [];
  const x = TIME_X;
  return [
    { data: { values: starts }, mark: { type: 'rule', color: '#555', strokeWidth: 1 }, encoding: { x } },
    {
      data: { values: starts.map((s) => ({ ...s, top })) },
      mark: { type: 'text', align: 'left', baseline: 'top', dx: 3, dy: 2, fontSize: 10, color: '#555' },
      encoding: { x, y: { field: 'top', type: 'quantitative', title: yTitle }, text: { field: 'stage' } },
    },
  ];
}

/** Per-metric deltas with their intervals, one row per metric (a golden eval or shadow comparison). */
export function deltasChart(metrics: MetricEvidence[]): Promise<string> | null {
  const values = metrics
    .filter((m) => m.delta !== null)
    .map((m) => {
      const [low, high] = m.interval ?? [m.delta!, m.delta!];
      return { metric: m.metric, delta: m.delta, low, high, classification: m.classification };
    });
  if (values.length === 0) return null;
  const y = { field: 'metric', type: 'nominal', title: null, sort: null } as const;
  return toSvg({
    width: WIDTH - 160,
    height: { step: 24 },
    data: { values },
    layer: [
      {
        mark: { type: 'rule', strokeWidth: 2 },
        encoding: {
          y,
          x: { field: 'low', type: 'quantitative', title: 'candidate − baseline' },
          x2: { field: 'high' },
        },
      },
      {
        mark: { type: 'point', filled: true, size: 60 },
        encoding: {
          y,
          x: { field: 'delta', type: 'quantitative' },
          color: {
            field: 'classification',
            type: 'nominal',
            scale: { domain: ['pass', 'high', 'low', 'no_data'], range: ['#2e7d32', '#c62828', '#c62828', '#888'] },
          },
        },
      },
      { mark: { type: 'rule', color: '#888', strokeDash: [4, 4] }, encoding: { x: { datum: 0 } } },
    ],
  });
}

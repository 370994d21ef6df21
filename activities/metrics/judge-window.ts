// The metrics activity: read what the baseline and the candidate did over the window, then judge.
import type { TrafficFigures } from '../../judge/traffic-figures';
import { judgeByThresholds } from '../../judge/threshold-judge';
import type { Verdict } from '../../judge/verdict';
import type { JudgeTrafficWindowInput } from './judge-window-input';

export interface SideSelector {
  backend: 'baseline' | 'candidate';
  /** 'live' for served traffic, 'shadow' for mirrored copies. */
  mode: 'live' | 'shadow';
}

export interface FiguresRequest {
  prometheusUrl: string;
  route: string;
  startMs: number;
  endMs: number;
  baseline: SideSelector;
  candidate: SideSelector;
}

export interface WindowFigures {
  baseline: TrafficFigures;
  candidate: TrafficFigures;
}

export type FiguresReader = (request: FiguresRequest) => Promise<WindowFigures>;

/** Which traffic each side is judged on, per stage mode. */
export function sidesFor(mode: JudgeTrafficWindowInput['mode']): { baseline: SideSelector; candidate: SideSelector } {
  switch (mode) {
    case 'shadow':
      return { baseline: { backend: 'baseline', mode: 'live' }, candidate: { backend: 'candidate', mode: 'shadow' } };
    case 'canary':
      return { baseline: { backend: 'baseline', mode: 'live' }, candidate: { backend: 'candidate', mode: 'live' } };
    case 'bake':
      return { baseline: { backend: 'baseline', mode: 'shadow' }, candidate: { backend: 'candidate', mode: 'live' } };
  }
}

export function createMetricsActivities(readFigures: FiguresReader, clock: () => number = Date.now) {
  return {
    async judgeTrafficWindow(input: JudgeTrafficWindowInput): Promise<Verdict> {
      const endMs = clock();
      const figures = await readFigures({
        prometheusUrl: input.prometheusUrl,
        route: input.route,
        startMs: input.windowStartMs,
        endMs,
        ...sidesFor(input.mode),
      });
      return judgeByThresholds({
        stage: input.stage,
        baseline: figures.baseline,
        candidate: figures.candidate,
        guardrails: input.guardrails,
        pricing: input.pricing,
        at: new Date(endMs).toISOString(),
      });
    },
  };
}

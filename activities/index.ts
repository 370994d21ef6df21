// All rollout activities, assembled for a worker. Dependencies are injectable so tests can run
// the real activity code against their own traffic layer and metrics.
import type { RolloutActivities } from './contract';
import { createEvalActivities } from './evals';
import { createMetricsActivities, type FiguresReader } from './metrics/judge-window';
import { readPrometheusFigures } from './metrics/prometheus-figures';
import { createNotifyActivities, type EventSink } from './notify';
import { createTrafficActivities, defaultRouterFactory, type RouterFactory } from './traffic';

export interface ActivityDependencies {
  routerFor?: RouterFactory;
  readFigures?: FiguresReader;
  eventSinks?: EventSink[];
  clock?: () => number;
}

export function createActivities(deps: ActivityDependencies = {}): RolloutActivities {
  return {
    ...createTrafficActivities(deps.routerFor ?? defaultRouterFactory),
    ...createMetricsActivities(deps.readFigures ?? readPrometheusFigures, deps.clock),
    ...createEvalActivities(),
    ...createNotifyActivities(deps.eventSinks),
  };
}

export type { RolloutActivities };

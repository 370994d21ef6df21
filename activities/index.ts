// All rollout activities, assembled for a worker. Dependencies are injectable so tests can run
// the real activity code against their own traffic layer and metrics.
import type { RolloutActivities } from './contract';
import { createEvalActivities } from './evals';
import { readGatewayRecords, type RecordsReader } from './metrics/gateway-records';
import { createCanaryJudgeActivities } from './metrics/judge-canary-window';
import { createMetricsActivities, type FiguresReader } from './metrics/judge-window';
import { readPrometheusFigures } from './metrics/prometheus-figures';
import { createNotifyActivities, type EventSink } from './notify';
import { createShadowCompareActivities, readShadowPairs, type ShadowPairsReader } from './shadow-compare';
import { createTrafficActivities, defaultRouterFactory, type RouterFactory } from './traffic';

export interface ActivityDependencies {
  routerFor?: RouterFactory;
  readFigures?: FiguresReader;
  readRecords?: RecordsReader;
  readShadowPairs?: ShadowPairsReader;
  eventSinks?: EventSink[];
  clock?: () => number;
}

export function createActivities(deps: ActivityDependencies = {}): RolloutActivities {
  return {
    ...createTrafficActivities(deps.routerFor ?? defaultRouterFactory),
    ...createMetricsActivities(deps.readFigures ?? readPrometheusFigures, deps.clock),
    ...createCanaryJudgeActivities(deps.readRecords ?? readGatewayRecords, deps.clock),
    ...createEvalActivities(),
    ...createShadowCompareActivities(deps.readShadowPairs ?? readShadowPairs),
    ...createNotifyActivities(deps.eventSinks),
  };
}

export type { RolloutActivities };

// All rollout activities, assembled for a worker. Dependencies are injectable so tests can run
// the real activity code against their own traffic layer and metrics.
import type { RolloutActivities } from './contract';
import { createCanaryBehaviorActivities, readAnswerSamples, type AnswerSamplesReader } from './canary-behavior';
import { createEvalActivities } from './evals';
import { readGatewayRecords, type RecordsReader } from './metrics/gateway-records';
import { createCanaryJudgeActivities } from './metrics/judge-canary-window';
import { createExperimentActivities, readGatewayFeedback, type FeedbackReader } from './metrics/judge-experiment';
import { createSeriesJudgeActivities, readPrometheusSeries, type SeriesReader } from './metrics/judge-series-window';
import { createMetricsActivities, type FiguresReader } from './metrics/judge-window';
import { readPrometheusFigures } from './metrics/prometheus-figures';
import { createNotifyActivities, type EventSink } from './notify';
import { createPlanActivities } from './plan';
import { createReportActivities } from './rollout-report';
import { createSlackEventSink, slackSinkFromEnv, type SlackSinkOptions } from './slack-notify';
import { createShadowCompareActivities, readShadowPairs, type ShadowPairsReader } from './shadow-compare';
import { createTrafficActivities, defaultRouterFactory, type RouterFactory } from './traffic';

export interface ActivityDependencies {
  routerFor?: RouterFactory;
  readFigures?: FiguresReader;
  readRecords?: RecordsReader;
  /** Instant vectors from Prometheus for the series judge. */
  readSeries?: SeriesReader;
  readShadowPairs?: ShadowPairsReader;
  readAnswerSamples?: AnswerSamplesReader;
  /** The gateway's user feedback, for A/B experiments. */
  readFeedback?: FeedbackReader;
  eventSinks?: EventSink[];
  /**
   * The Slack sink (activities/slack-notify.ts): options, or false for none. By default it is on
   * when the worker's environment has SLACK_BOT_TOKEN (and SLACK_API_URL, TEMPORAL_UI_URL).
   */
  slack?: SlackSinkOptions | false;
  clock?: () => number;
}

export function createActivities(deps: ActivityDependencies = {}): RolloutActivities {
  return {
    ...createPlanActivities(),
    ...createTrafficActivities(deps.routerFor ?? defaultRouterFactory),
    ...createMetricsActivities(deps.readFigures ?? readPrometheusFigures, deps.clock),
    ...createCanaryJudgeActivities(deps.readRecords ?? readGatewayRecords, deps.clock),
    ...createExperimentActivities(
      deps.readFeedback ?? readGatewayFeedback,
      deps.readRecords ?? readGatewayRecords,
      deps.clock,
    ),
    ...createSeriesJudgeActivities(deps.readSeries ?? readPrometheusSeries, deps.clock),
    ...createEvalActivities(),
    ...createShadowCompareActivities(deps.readShadowPairs ?? readShadowPairs),
    ...createCanaryBehaviorActivities(deps.readAnswerSamples ?? readAnswerSamples),
    ...createNotifyActivities(withSlackSink(deps)),
    ...createReportActivities(),
  };
}

export type { RolloutActivities };

function withSlackSink(deps: ActivityDependencies): EventSink[] {
  const slack = deps.slack === false ? null : deps.slack ? createSlackEventSink(deps.slack) : slackSinkFromEnv();
  return [...(deps.eventSinks ?? []), ...(slack ? [slack] : [])];
}

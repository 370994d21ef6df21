// Golden-eval activity: runs the dataset on both backends with the judge and embeddings the plan
// configures, heartbeating its progress so that a retry after a worker crash resumes without
// redoing finished items (the details carry outcomes, judgements and the answers still waiting
// for the judge). Returns a Verdict whose `report` is the Markdown report's path.
import { ApplicationFailure, Context } from '@temporalio/activity';
import { UnknownMetricError } from '../evals/behavioral-settings';
import { InvalidDatasetError, loadGoldenDataset } from '../evals/golden-dataset';
import { runBehavioralGoldenEval } from '../evals/golden-eval';
import type { BehavioralVerdict } from '../evals/metric-judgement';
import type { GoldenRunState } from '../evals/golden-pipeline';
import { apiKeyFrom } from './api-key';
import type { GoldenEvalInput } from './contract';
import { resolveBackend } from './traffic';
import { FailureType } from '../workflows/failure-types';

/** Heartbeat details: the pipeline state, plus the item count for progress displays. */
export interface GoldenEvalProgress extends Partial<GoldenRunState> {
  total?: number;
}

/**
 * Above this many items the heartbeat details (about 3.5 KB per item with the answer excerpts and
 * the answers kept for the phrasing check) would approach Temporal's 2 MB payload limit, so large
 * evals heartbeat at most once a second and without either (a retried large eval's report then
 * lacks excerpts, and its phrasing check the answers, for the items the earlier attempt finished).
 * Small evals heartbeat every step: the details share the pipeline's lists and cost nothing to build.
 */
export const COMPACT_HEARTBEAT_ITEMS = 300;
export const COMPACT_HEARTBEAT_INTERVAL_MS = 1_000;

export function heartbeatReporter(
  items: number,
  heartbeat: (details: GoldenEvalProgress) => void,
  clock: () => number = Date.now,
): (state: GoldenRunState) => void {
  const total = items * 2;
  if (items <= COMPACT_HEARTBEAT_ITEMS) return (state) => heartbeat({ ...state, total });
  let last = Number.NEGATIVE_INFINITY;
  return (state) => {
    const now = clock();
    if (now - last < COMPACT_HEARTBEAT_INTERVAL_MS) return;
    last = now;
    heartbeat({
      ...state,
      outcomes: state.outcomes.map(({ excerpt: _excerpt, text: _text, ...outcome }) => outcome),
      total,
    });
  };
}

export function createEvalActivities() {
  return {
    async runGoldenEval(input: GoldenEvalInput): Promise<BehavioralVerdict> {
      const context = Context.current();
      if (!input.config.dataset)
        throw ApplicationFailure.nonRetryable('stages.goldenEval.dataset is not set', FailureType.InvalidDataset);
      let items;
      try {
        items = await loadGoldenDataset(input.config.dataset);
      } catch (error) {
        if (error instanceof InvalidDatasetError)
          throw ApplicationFailure.nonRetryable(error.message, FailureType.InvalidDataset);
        throw error;
      }
      const resume = context.info.heartbeatDetails as GoldenEvalProgress | undefined;
      try {
        const { verdict, state } = await runBehavioralGoldenEval({
          rolloutId: input.rolloutId,
          stage: input.stage,
          items,
          datasetName: input.config.dataset,
          config: input.config,
          guardrails: input.guardrails,
          baseline: resolveBackend(input.baseline),
          candidate: resolveBackend(input.candidate),
          judgeApiKey: apiKeyFrom(input.config.judge?.apiKeyEnv, 'the LLM judge'),
          embeddingsApiKey: apiKeyFrom(input.config.embeddings?.apiKeyEnv, 'the embeddings endpoint'),
          resume,
          // The SDK throttles sending heartbeats; the details carry everything needed to resume.
          onProgress: heartbeatReporter(items.length, (details) => context.heartbeat(details)),
          signal: context.cancellationSignal,
        });
        context.log.info('golden eval finished', {
          rolloutId: input.rolloutId,
          outcomes: state.outcomes.length,
          outcome: verdict.outcome,
          report: verdict.report,
        });
        return verdict;
      } catch (error) {
        if (error instanceof UnknownMetricError)
          throw ApplicationFailure.nonRetryable(`stages.goldenEval.${error.message}`, FailureType.InvalidPlan);
        throw error;
      }
    },
  };
}

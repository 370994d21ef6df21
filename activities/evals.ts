// Golden-eval activity: runs the dataset on both backends, heartbeating its progress so that a
// retry after a worker crash resumes without redoing finished items.
import { ApplicationFailure, Context } from '@temporalio/activity';
import { goldenEvalVerdict } from '../evals/golden-eval-verdict';
import { InvalidDatasetError, loadGoldenDataset } from '../evals/golden-dataset';
import { runGoldenItems, type ItemOutcome } from '../evals/golden-eval-runner';
import type { Verdict } from '../judge/verdict';
import type { GoldenEvalInput } from './contract';
import { resolveBackend } from './traffic';

export function createEvalActivities() {
  return {
    async runGoldenEval(input: GoldenEvalInput): Promise<Verdict> {
      const context = Context.current();
      if (!input.config.dataset) throw ApplicationFailure.nonRetryable('stages.goldenEval.dataset is not set', 'InvalidDataset');
      let items;
      try {
        items = await loadGoldenDataset(input.config.dataset);
      } catch (error) {
        if (error instanceof InvalidDatasetError) throw ApplicationFailure.nonRetryable(error.message, 'InvalidDataset');
        throw error;
      }
      const done = (context.info.heartbeatDetails as { outcomes?: ItemOutcome[] } | undefined)?.outcomes ?? [];
      const outcomes: ItemOutcome[] = [...done];
      const outcomesSoFar = await runGoldenItems({
        items,
        backends: [
          { side: 'baseline', ...resolveBackend(input.baseline) },
          { side: 'candidate', ...resolveBackend(input.candidate) },
        ],
        concurrency: input.config.concurrency,
        requestTimeoutMs: input.config.requestTimeout,
        done,
        signal: context.cancellationSignal,
        onOutcome: (outcome) => {
          outcomes.push(outcome);
          // The SDK throttles heartbeats; the details carry everything needed to resume.
          context.heartbeat({ outcomes, total: items.length * 2 });
        },
      });
      context.log.info('golden eval finished', { rolloutId: input.rolloutId, outcomes: outcomesSoFar.length });
      return goldenEvalVerdict(input.stage, outcomesSoFar, input.config, new Date().toISOString());
    },
  };
}

// Writing the rollout report as the rollout goes: gathered from Temporal itself (the status and
// the history, through the worker's client) and written under the reports dir, so the workflow
// hands over only the rollout's id. Returns the report's path and the link people are given.
import { ApplicationFailure, Context } from '@temporalio/activity';
import { collectRolloutReport } from '../report/collect-report';
import { reportsDir } from '../evals/eval-report';
import { reportLink, reportPath, writeRolloutReport } from '../report/report-file';
import { FailureType } from '../workflows/failure-types';

export interface WriteReportInput {
  rolloutId: string;
}

export interface WriteReportResult {
  path: string;
  /** Under ROLLOUT_REPORTS_URL when the worker has it, else the file's file:// URL. */
  link: string;
}

export function createReportActivities(env: NodeJS.ProcessEnv = process.env) {
  return {
    async writeRolloutReport(input: WriteReportInput): Promise<WriteReportResult> {
      let client;
      try {
        client = Context.current().client;
      } catch {
        throw ApplicationFailure.nonRetryable(
          'the worker has no Temporal client (created without a connection)',
          FailureType.NoTemporalClient,
        );
      }
      const path = await writeRolloutReport(
        await collectRolloutReport(client, input.rolloutId),
        reportPath(input.rolloutId, reportsDir(env)),
      );
      return { path, link: reportLink(input.rolloutId, env) };
    },
  };
}

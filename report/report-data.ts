// What a rollout report shows, as plain data: gathered from Temporal by the client
// (client/rollout-report.ts) and drawn by report/render-report.ts. Nothing here reads anything.
import type { ReportRow } from '../evals/eval-report';
import type { Verdict } from '../judge/verdict';
import type { RolloutStatus } from '../workflows/rollout-state';

/** A golden eval's or shadow comparison's JSON report (evals/eval-report.ts), as far as the rollout report reads it. */
export interface EvalReportFile {
  kind: string;
  verdict: Verdict;
  facts?: Record<string, string | number>;
  items?: ReportRow[];
}

/** The status's facts a report shows (`gate`: the one open now, if any), and what only the report gathers. */
export type RolloutReportData = Pick<
  RolloutStatus,
  | 'rolloutId'
  | 'name'
  | 'baselineModel'
  | 'candidateModel'
  | 'requestedBy'
  | 'phase'
  | 'outcome'
  | 'reason'
  | 'stages'
  | 'timeline'
  | 'decisions'
  | 'gate'
> & {
  /** Every verdict the rollout reached, oldest first (from its history, not just the status's last few). */
  verdicts: Verdict[];
  /** The behavioral gates' reports, keyed by the verdict's `report` path. */
  evalReports: Record<string, EvalReportFile>;
  generatedAt: string;
};

/** The status fields a report takes as they are. */
export function fromStatus(status: RolloutStatus): Omit<RolloutReportData, 'verdicts' | 'evalReports' | 'generatedAt'> {
  return {
    rolloutId: status.rolloutId,
    ...(status.name && { name: status.name }),
    baselineModel: status.baselineModel,
    candidateModel: status.candidateModel,
    requestedBy: status.requestedBy,
    phase: status.phase,
    ...(status.outcome && { outcome: status.outcome }),
    ...(status.reason && { reason: status.reason }),
    stages: status.stages,
    timeline: status.timeline,
    decisions: status.decisions,
    gate: status.gate,
  };
}

// What a rollout report shows, as plain data: gathered from Temporal by the client
// (client/rollout-report.ts) and drawn by report/render-report.ts. Nothing here reads anything.
import type { ReportRow } from '../evals/eval-report';
import type { Verdict } from '../judge/verdict';
import { configDigest, describeConfigBundle } from '../lib/config-bundle';
import { bundleOf, type BackendConfigPlan } from '../plan/backend-config-schema';
import type { RolloutStatus } from '../workflows/rollout-state';

/** A golden eval's or shadow comparison's JSON report (evals/eval-report.ts), as far as the rollout report reads it. */
export interface EvalReportFile {
  kind: string;
  verdict: Verdict;
  facts?: Record<string, string | number>;
  items?: ReportRow[];
}

/** One side's configuration bundle as the report shows it: its digest and its whole content. */
export interface ReportConfiguration {
  side: 'baseline' | 'candidate';
  model: string;
  digest: string;
  /** What it sets, in one line (as `plan check` and the timeline say it). */
  summary: string;
  /** The file next to the plan the system prompt was read from, if any. */
  systemPromptFile?: string;
  systemPrompt?: string;
  /** Everything else the bundle sets (prompt mode, sampling, extra fields, tools), as JSON. */
  settings: string;
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
  /** Each side's configuration bundle, for the sides whose plan gives one (a prompt or settings rollout). */
  configurations?: ReportConfiguration[];
  generatedAt: string;
};

/** The configuration bundles of the plan's two backends, as the rollout recorded them. */
export function reportConfigurations(backends: {
  baseline: { model: string; config?: BackendConfigPlan | undefined };
  candidate: { model: string; config?: BackendConfigPlan | undefined };
}): ReportConfiguration[] {
  return (['baseline', 'candidate'] as const).flatMap((side) => {
    const { model, config } = backends[side];
    if (!config) return [];
    const bundle = bundleOf(config);
    const { systemPrompt, ...settings } = bundle;
    return [
      {
        side,
        model,
        digest: configDigest(bundle)!,
        summary: describeConfigBundle(bundle, config.systemPromptFile),
        ...(config.systemPromptFile !== undefined && { systemPromptFile: config.systemPromptFile }),
        ...(systemPrompt !== undefined && { systemPrompt }),
        settings: JSON.stringify(settings, null, 2),
      },
    ];
  });
}

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

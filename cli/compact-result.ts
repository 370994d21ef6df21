// What `rollout status --json` and `rollout run --wait --json` print unless asked for everything:
// what was decided and the figures behind it. The full result is 35–440 KB per rollout, most of it
// evidence text and the timeline; `--full` prints it and `--out FILE` saves it, unchanged.
import type { JudgeMetricEvidence } from '../judge/judge-evidence';
import type { MetricEvidence, Verdict } from '../judge/verdict';
import type { ApprovalGate, RolloutResult, RolloutStatus } from '../workflows/rollout-state';

/** How many of the latest timeline events the compact form keeps. */
export const COMPACT_TIMELINE_EVENTS = 10;

export type CompactMetric = Pick<
  MetricEvidence,
  | 'metric'
  | 'classification'
  | 'critical'
  | 'baseline'
  | 'candidate'
  | 'delta'
  | 'deltaKind'
  | 'tolerance'
  | 'interval'
  | 'test'
  | 'pValue'
> & {
  /** The statistical judge's data status: 'not_applicable' marks a guardrail this window's traffic did not use. */
  status?: JudgeMetricEvidence['status'];
};

/** `notes`: what the judge left out and why (e.g. "costPerRequest not judged: the plan gives no prices"). */
export type CompactVerdict = Pick<Verdict, 'stage' | 'outcome' | 'reason' | 'score' | 'at' | 'report' | 'notes'> & {
  metrics: CompactMetric[];
};

export type CompactResult = Omit<RolloutResult, 'verdicts'> & { verdicts: CompactVerdict[] };

export type CompactStatus = Omit<RolloutStatus, 'verdicts' | 'gate'> & {
  verdicts: CompactVerdict[];
  gate: (Omit<ApprovalGate, 'evidence'> & { evidence?: CompactVerdict }) | null;
};

// Picked field by field, so evidence a newer worker adds to a verdict stays out of the compact form.
export function compactMetric(metric: MetricEvidence): CompactMetric {
  return {
    metric: metric.metric,
    classification: metric.classification,
    critical: metric.critical,
    baseline: metric.baseline,
    candidate: metric.candidate,
    delta: metric.delta,
    deltaKind: metric.deltaKind,
    tolerance: metric.tolerance,
    ...(metric.interval && { interval: metric.interval }),
    ...(metric.test !== undefined && { test: metric.test }),
    ...(metric.pValue !== undefined && { pValue: metric.pValue }),
    ...('status' in metric &&
      typeof metric.status === 'string' && { status: metric.status as CompactMetric['status'] }),
  };
}

export function compactVerdict(verdict: Verdict): CompactVerdict {
  return {
    stage: verdict.stage,
    outcome: verdict.outcome,
    reason: verdict.reason,
    ...(verdict.score !== undefined && { score: verdict.score }),
    at: verdict.at,
    ...(verdict.report !== undefined && { report: verdict.report }),
    metrics: verdict.metrics.map(compactMetric),
    ...(verdict.notes !== undefined && { notes: verdict.notes }),
  };
}

export function compactResult(result: RolloutResult): CompactResult {
  return {
    ...result,
    verdicts: result.verdicts.map(compactVerdict),
    timeline: result.timeline.slice(-COMPACT_TIMELINE_EVENTS),
  };
}

export function compactStatus(status: RolloutStatus): CompactStatus {
  const { gate } = status;
  return {
    ...status,
    gate: gate && {
      ...gate,
      ...(gate.evidence && { evidence: compactVerdict(gate.evidence) }),
    },
    verdicts: status.verdicts.map(compactVerdict),
    timeline: status.timeline.slice(-COMPACT_TIMELINE_EVENTS),
  };
}

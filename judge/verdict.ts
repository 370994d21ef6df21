// The verdict model every gate produces: threshold checks now, the statistical judge and the
// behavioral gates later. The workflow records verdicts in its status and acts on `outcome`;
// `metrics` is the evidence shown to release owners (CLI, Slack, status query).

export type Direction = 'higher_is_worse' | 'lower_is_worse' | 'either';

/** Kayenta-style per-metric classification. */
export type MetricClass = 'pass' | 'high' | 'low' | 'no_data';

export interface MetricEvidence {
  metric: string;
  direction: Direction;
  /** Blocking on its own when true: a high/low classification fails the verdict. */
  critical: boolean;
  baseline: number | null;
  candidate: number | null;
  /** candidate − baseline (absolute) or candidate / baseline − 1 (relative), per `deltaKind`. */
  delta: number | null;
  deltaKind: 'absolute' | 'relative';
  tolerance: number;
  /** Confidence interval of the delta when the judge computed one. */
  interval?: [number, number];
  test?: string;
  pValue?: number;
  samples: { baseline: number; candidate: number };
  classification: MetricClass;
  message: string;
}

export type VerdictOutcome = 'pass' | 'fail' | 'inconclusive';

export interface Verdict {
  stage: string;
  outcome: VerdictOutcome;
  reason: string;
  /** 0–100 when the judge scores the canary. */
  score?: number;
  metrics: MetricEvidence[];
  at: string;
  /**
   * The behavioral gates' report (golden eval, shadow comparison): the absolute path of its
   * Markdown file on the worker's machine, with the JSON report beside it (evals/eval-report.ts).
   */
  report?: string;
  /** What the judge left out and why (a guardrail with nothing to measure), and where references came from. */
  notes?: string[];
}

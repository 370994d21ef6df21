// A finished rollout's report data as the collector would gather it: stages through a canary, a
// gate approved by a named person, guardrail looks over time, and a golden eval whose answers are
// hostile markup.
import type { MetricEvidence, Verdict } from '../../judge/verdict';
import type { RolloutReportData } from '../../report/report-data';

export const HOSTILE = `<script>window.__pwned = 1</script><img src="https://example.com/x.png">`;

const at = (seconds: number) => new Date(Date.UTC(2026, 11, 2, 10, 0, seconds)).toISOString();

function guardrail(metric: string, delta: number, width: number, tolerance: number): MetricEvidence {
  return {
    metric,
    direction: 'higher_is_worse',
    critical: true,
    baseline: 0.01,
    candidate: 0.01 + delta,
    delta,
    deltaKind: metric === 'latency_p99' ? 'relative' : 'absolute',
    tolerance,
    interval: [delta - width, delta + width],
    samples: { baseline: 400, candidate: 400 },
    classification: 'pass',
    message: `${metric} within tolerance`,
  };
}

const looks: Verdict[] = [10, 20, 30, 40].map((s, i) => ({
  stage: i < 2 ? 'shadow' : 'canary-1',
  outcome: 'pass',
  reason: 'all guardrails within tolerance',
  metrics: [
    guardrail('error_rate', 0.002 / (i + 1), 0.02 / (i + 1), 0.01),
    guardrail('latency_p99', 0.03, 0.2 / (i + 1), 0.15),
  ],
  at: at(s),
}));

export const EVAL_REPORT = '/reports/r1/golden-eval.md';

const golden: Verdict = {
  stage: 'golden-eval',
  outcome: 'pass',
  reason: 'no blocking regression on 40 items',
  metrics: [
    {
      ...guardrail('exact_match', -0.025, 0.04, 0.05),
      direction: 'lower_is_worse',
      deltaKind: 'absolute',
      baseline: 0.9,
      candidate: 0.875,
    },
  ],
  at: at(5),
  report: EVAL_REPORT,
};

export function reportFixture(overrides: Partial<RolloutReportData> = {}): RolloutReportData {
  return {
    rolloutId: 'r1',
    name: 'support bot v2',
    baselineModel: 'bot-v1',
    candidateModel: 'bot-v2',
    requestedBy: 'alice',
    phase: 'finished',
    outcome: 'promoted',
    reason: 'all stages passed',
    stages: [
      {
        id: 'golden-eval',
        kind: 'golden_eval',
        status: 'passed',
        candidateWeight: 0,
        windowMs: 0,
        startedAt: at(0),
        endedAt: at(5),
        verdict: 'pass',
      },
      {
        id: 'shadow',
        kind: 'shadow',
        status: 'passed',
        candidateWeight: 0,
        windowMs: 20_000,
        startedAt: at(5),
        endedAt: at(25),
        verdict: 'pass',
      },
      {
        id: 'canary-1',
        kind: 'canary',
        status: 'passed',
        candidateWeight: 50,
        windowMs: 20_000,
        startedAt: at(26),
        endedAt: at(45),
        verdict: 'pass',
      },
      {
        id: 'cutover',
        kind: 'cutover',
        status: 'passed',
        candidateWeight: 100,
        windowMs: 5_000,
        startedAt: at(46),
        endedAt: at(51),
      },
    ],
    timeline: [
      { at: at(0), type: 'started', message: 'rollout started' },
      { at: at(26), type: 'gate_decided', message: 'approved before canary-1', by: 'bob', stage: 'canary-1' },
      { at: at(51), type: 'finished', message: 'promoted' },
    ],
    decisions: [
      {
        decision: 'approved',
        by: 'bob',
        reason: `shadow looks fine ${HOSTILE}`,
        at: at(26),
        gateId: 'gate-1',
        before: 'canary-1',
        evidence: 'all guardrails within tolerance',
      },
    ],
    gate: null,
    verdicts: [golden, ...looks],
    evalReports: {
      [EVAL_REPORT]: {
        kind: 'golden eval',
        verdict: golden,
        facts: { dataset: 'support-golden', items: 40 },
        items: [
          {
            key: 'item-7',
            prompt: 'How do I reset my password?',
            baseline: 'Go to settings.',
            candidate: HOSTILE,
            findings: ['exact mismatch'],
            segments: ['account'],
            badness: 1,
          },
          {
            key: 'item-2',
            prompt: 'Refund?',
            baseline: 'Yes, within 30 days.',
            candidate: 'I cannot help with that.',
            findings: ['refused'],
            segments: ['billing'],
            badness: 2,
          },
          {
            key: 'item-3',
            prompt: 'Hours?',
            baseline: '9-5',
            candidate: '9-5',
            findings: [],
            segments: ['account'],
            badness: 0,
          },
        ],
      },
    },
    generatedAt: at(52),
    ...overrides,
  };
}

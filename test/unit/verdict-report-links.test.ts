// The behavioral gates' saved reports are linked wherever a rollout's status is shown: `rollout
// status` in the terminal and `/rollout status` and the gate evidence in Slack.
import { describe, expect, it } from 'vitest';
import { formatStatus } from '../../cli/format';
import type { Verdict } from '../../judge/verdict';
import { statusText, verdictText } from '../../block-kit/rollout-blocks';
import type { RolloutStatus } from '../../workflows/rollout-state';
import { rolloutStatus } from '../support/rollout-status';

const golden: Verdict = {
  stage: 'golden_eval',
  outcome: 'inconclusive',
  reason: 'the candidate differs: judge score up',
  metrics: [],
  at: '2026-11-23T10:00:00.000Z',
  report: '/srv/rollouts/.rollout/reports/r1/golden_eval.md',
};
const canary: Verdict = {
  stage: 'canary-1',
  outcome: 'pass',
  reason: 'all guardrails within tolerance',
  metrics: [],
  at: '2026-11-23T10:05:00.000Z',
};

function status(verdicts: Verdict[]): RolloutStatus {
  return rolloutStatus({ verdicts });
}

describe('report links', () => {
  it('rollout status lists the report of an earlier verdict, and of the latest one', () => {
    expect(formatStatus(status([golden, canary]))).toContain(
      'report    golden_eval (inconclusive): /srv/rollouts/.rollout/reports/r1/golden_eval.md',
    );
    const latest = formatStatus(status([canary, golden]));
    expect(latest).toContain('report  /srv/rollouts/.rollout/reports/r1/golden_eval.md');
    expect(latest.match(/golden_eval\.md/g)).toHaveLength(1);
    expect(formatStatus(status([canary]))).not.toContain('report');
  });

  it('Slack shows it with the evidence and in /rollout status', () => {
    expect(verdictText(golden)).toContain('`/srv/rollouts/.rollout/reports/r1/golden_eval.md`');
    expect(verdictText(canary)).not.toContain('report');
    expect(statusText(status([golden, canary]))).toContain(
      'golden_eval report (inconclusive): `/srv/rollouts/.rollout/reports/r1/golden_eval.md`',
    );
  });
});

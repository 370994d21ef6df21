// Sample ratio mismatch: a split unlike the plan's makes the verdict inconclusive and says why.
import { describe, expect, it } from 'vitest';
import { judgeCanary } from '../../judge/canary-judge';
import { sampleRatioPValue } from '../../judge/statistics/sample-ratio';
import type { JudgeConfig } from '../../judge/canary-judge';

const config: JudgeConfig = {
  alpha: 0.05,
  minSamples: 100,
  scoreThresholds: { pass: 95, marginal: 75 },
  metrics: [{ name: 'errorRate', kind: 'proportion', direction: 'higher_is_worse', tolerance: 0.01 }],
};
const healthy = (b: number, c: number) => ({
  errorRate: {
    type: 'counts' as const,
    baseline: { events: Math.round(b / 100), total: b },
    candidate: { events: Math.round(c / 100), total: c },
  },
});

describe('sample ratio mismatch', () => {
  it('a split as planned keeps the verdict; p stays large', () => {
    const { verdict } = judgeCanary({
      stage: 'canary-25',
      at: 'look',
      config,
      data: healthy(3000, 1010),
      split: { expectedCandidateShare: 0.25, baseline: 3000, candidate: 1010 },
    });
    expect(verdict.sampleRatio!.mismatch).toBe(false);
    expect(verdict.outcome).toBe('pass');
  });

  it('a skewed split makes the verdict inconclusive, naming planned and observed shares', () => {
    const { verdict, state } = judgeCanary({
      stage: 'canary-25',
      at: 'look',
      config,
      data: healthy(3692, 518),
      split: { expectedCandidateShare: 0.25, baseline: 3692, candidate: 518 },
    });
    expect(verdict.outcome).toBe('inconclusive');
    expect(verdict.reason).toMatch(/^SRM: planned 25 % candidate, observed 12\.3 % over 4,210 requests; p = /);
    expect(state.srmP).toBe(verdict.sampleRatio!.pValue);
  });

  it('the p-value is a running minimum and small only for real mismatches', () => {
    expect(sampleRatioPValue(250, 1000, 0.25)).toBe(1);
    expect(sampleRatioPValue(200, 1000, 0.25)).toBeLessThan(0.05);
    expect(sampleRatioPValue(250, 1000, 0.25, 0.2)).toBe(0.2);
  });
});

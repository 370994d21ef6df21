// The golden eval per segment: a regression confined to one tag's items fails the eval (Bonferroni
// over segments × blocking metrics), names the segment and its figures; a small segment is said to
// have too little data; a tag on every item is the whole dataset, not a segment.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { describePlan } from '../../cli/plan-check';
import { loadPlanFile } from '../../plan/load';
import { behavioralGoldenVerdict } from '../../evals/golden-behavioral-verdict';
import type { GoldenItem } from '../../evals/golden-dataset';
import type { ItemOutcome } from '../../evals/golden-eval-runner';
import { goldenSegments } from '../../evals/golden-segments';
import { parsePlan } from '../../plan/schema';
import { testPlan } from '../support/plans';

const plan = parsePlan(testPlan({ id: 'segments', goldenEval: true }));

/** Items per segment; the candidate fails `matched` of a segment's items to match where the baseline did. */
function run(segments: Record<string, { items: number; candidateMisses: number }>) {
  const items: GoldenItem[] = [];
  const outcomes: ItemOutcome[] = [];
  for (const [tag, { items: count, candidateMisses }] of Object.entries(segments))
    for (let i = 0; i < count; i++) {
      const id = `${tag}-${i}`;
      items.push({
        id,
        messages: [{ role: 'user', content: `${tag} question ${i}` }],
        expected: 'ok',
        match: 'contains',
        tags: ['support', tag],
      });
      for (const side of ['baseline', 'candidate'] as const) {
        const match = side === 'baseline' || i >= candidateMisses;
        outcomes.push({
          id,
          side,
          status: 'answered',
          passed: match,
          failures: match ? [] : ['expected output not found'],
          latencyMs: 100,
          completionTokens: 50,
          scores: { match, schemaValid: null, refusal: false, hedged: false, length: 50 },
          text: match ? `The answer to ${tag} question ${i} is ok.` : `The answer to ${tag} question ${i} is unknown.`,
        });
      }
    }
  return { items, state: { outcomes, judgements: [], pending: [] } };
}

function verdictOf(segments: Parameters<typeof run>[0], config = plan.stages.goldenEval) {
  const { items, state } = run(segments);
  return behavioralGoldenVerdict({
    stage: 'golden_eval',
    items,
    state,
    config,
    guardrails: plan.guardrails,
    at: '2026-12-04T00:00:00Z',
  });
}

describe('golden eval per segment', () => {
  it('fails a regression confined to one segment that the whole dataset’s figures hide, naming the segment', () => {
    // 10 of the 30 Spanish items lost: −33 pts there, −6.7 pts over all 150 items, inside a 10 pts allowance.
    const config = { ...plan.stages.goldenEval, maxRegression: 0.1, minPassRate: 0.5 };
    const verdict = verdictOf(
      {
        en: { items: 60, candidateMisses: 0 },
        de: { items: 60, candidateMisses: 0 },
        es: { items: 30, candidateMisses: 10 },
      },
      config,
    );
    // On the whole dataset the drop is inside the tolerance …
    expect(verdict.metrics.find((m) => m.metric === 'matchRate')!.classification).not.toBe('low');
    // … in Spanish it is not.
    expect(verdict.outcome).toBe('fail');
    expect(verdict.reason).toMatch(/^regression in segment: matchRate@es −33\.3 pts \[.*\] vs tolerance ±10\.0 pts$/);
    const es = verdict.metrics.find((m) => m.metric === 'matchRate@es')!;
    expect(es).toMatchObject({
      samples: { baseline: 30, candidate: 30 },
      message: expect.stringMatching(/^segment es: /),
    });
    expect(verdict.notes).toEqual([
      expect.stringMatching(
        /^per segment: de \(60 items\), en \(60 items\), es \(30 items\) judged on \d+ blocking metrics? each, at α\/\d+ = /,
      ),
    ]);
  });

  it('passes when every segment holds, and says which segments had too little data', () => {
    const verdict = verdictOf({ en: { items: 40, candidateMisses: 0 }, fr: { items: 5, candidateMisses: 0 } });
    expect(verdict.outcome, verdict.reason).toBe('pass');
    expect(verdict.notes).toContain('too little data to judge on its own (fewer than 12 items): segment fr (5)');
    expect(verdict.metrics.some((m) => m.metric.includes('@'))).toBe(false);
  });

  it('never passes a small segment’s regression as fine, and can be turned off', () => {
    const small = verdictOf(
      { en: { items: 60, candidateMisses: 0 }, fr: { items: 6, candidateMisses: 6 } },
      {
        ...plan.stages.goldenEval,
        maxRegression: 0.15,
        minPassRate: 0.5,
      },
    );
    expect(small.notes).toContain('too little data to judge on its own (fewer than 12 items): segment fr (6)');
    expect(small.metrics.some((m) => m.metric === 'matchRate@fr')).toBe(false);
    const off = verdictOf(
      {
        en: { items: 60, candidateMisses: 0 },
        de: { items: 60, candidateMisses: 0 },
        es: { items: 30, candidateMisses: 10 },
      },
      { ...plan.stages.goldenEval, maxRegression: 0.1, minPassRate: 0.5, segments: { enabled: false, minItems: 12 } },
    );
    expect(off.outcome).not.toBe('fail');
    expect(off.notes).toBeUndefined();
  });

  it('is shown by plan check', async () => {
    const text = describePlan(await loadPlanFile(join(import.meta.dirname, '../../examples/support-bot.yaml')));
    expect(text).toMatch(/golden dataset .*; each tag with ≥ 12 items judged on its own\)/);
  });

  it('takes segments from the tags, leaving out a tag every item has', () => {
    const { items, state } = run({ en: { items: 3, candidateMisses: 0 }, es: { items: 2, candidateMisses: 0 } });
    const pairs = items.map((item) => ({ item, baseline: state.outcomes[0], candidate: state.outcomes[1] }));
    expect([...goldenSegments(pairs).entries()].map(([tag, members]) => [tag, members.length])).toEqual([
      ['en', 3],
      ['es', 2],
    ]);
  });
});

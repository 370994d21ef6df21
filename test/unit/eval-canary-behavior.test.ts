// The canary's behavioral check on live answers: phrasing with α spent over the window's looks,
// judge scores with the always-valid mean test, and the verdict's semantics (blocking fails, a
// non-blocking regression asks a person, too few answers never passes).
import { describe, expect, it } from 'vitest';
import {
  initialCanaryBehaviorState,
  judgeCanaryBehavior,
  lookAlpha,
  type CanaryBehaviorLook,
} from '../../evals/canary-behavior';
import type { LlmJudgeVerdict } from '../../evals/llm-judge';
import { canaryBehaviorSchema } from '../../plan/canary-behavior-schema';
import { parsePlan } from '../../plan/schema';
import { testPlan } from '../support/plans';

const SUBJECTS = ['The invoice', 'Your order', 'The refund', 'The account', 'A payment', 'The parcel'];
const VERBS = ['arrives', 'updates', 'settles', 'renews', 'ships', 'clears'];
const OBJECTS = ['within two days', 'after review', 'by Friday', 'on the next cycle', 'once approved', 'overnight'];

function answers(n: number, seed: number, prefix?: (i: number) => string | null): string[] {
  return Array.from({ length: n }, (_, i) => {
    const k = i + seed;
    const text = `${SUBJECTS[k % 6]} ${VERBS[(k * 5) % 6]} ${OBJECTS[(k * 7) % 6]}. ${SUBJECTS[(k + 3) % 6]} ${VERBS[(k + 1) % 6]} ${OBJECTS[(k * 11 + 2) % 6]}.`;
    const p = prefix?.(i);
    return p ? `${p} ${text[0]!.toLowerCase()}${text.slice(1)}` : text;
  });
}

const guardrails = parsePlan(testPlan({ id: 'b' })).guardrails;

function look(overrides: Partial<CanaryBehaviorLook> = {}): CanaryBehaviorLook {
  return {
    stage: 'canary-1',
    at: '2026-01-01T00:00:00.000Z',
    config: canaryBehaviorSchema.parse({}),
    guardrails,
    plannedLooks: 10,
    answers: { baseline: answers(60, 0), candidate: answers(60, 100) },
    judged: [],
    alongside: [],
    state: initialCanaryBehaviorState(),
    ...overrides,
  };
}

const qualified = answers(60, 100, (i) => (i % 2 === 0 ? 'As far as I can tell,' : null));

describe('lookAlpha', () => {
  it('spends at most α over the planned looks and any number of looks beyond them', () => {
    for (const planned of [1, 5, 15, 60]) {
      let spent = 0;
      for (let k = 1; k <= 10_000; k++) spent += lookAlpha(0.05, k, planned);
      expect(spent).toBeLessThanOrEqual(0.05);
      expect(spent).toBeGreaterThan(0.0499);
      expect(lookAlpha(0.05, 1, planned)).toBeCloseTo((0.9 * 0.05) / planned, 12);
    }
  });
});

describe('judgeCanaryBehavior: phrasing', () => {
  it('fails on a phrase the candidate adds to half its answers, naming it with both shares and an example', () => {
    const { verdict, state } = judgeCanaryBehavior(
      look({ answers: { baseline: answers(60, 0), candidate: qualified } }),
    );
    expect(verdict.outcome).toBe('fail');
    expect(verdict.review).toBe(false);
    const phrasing = verdict.metrics.find((m) => m.metric === 'phrasing')!;
    expect(phrasing.decidedBy).toMatch(/Fisher.*α spent over the looks/);
    expect(phrasing.test).toMatch(/look 1 of 10 planned at α 0\.0045/);
    expect(verdict.reason).toMatch(/candidate starts 50\.0% of answers with "As far as I can tell/);
    expect(verdict.reason).toMatch(/baseline 0\.0%/);
    expect(phrasing.message).toMatch(/e\.g\. "As far as I can tell/);
    expect(state.phrasingFound?.look).toBe(1);
  });

  it('passes the same wording in other answers, and says which looks it spent α on', () => {
    const { verdict } = judgeCanaryBehavior(look());
    expect(verdict.outcome, verdict.reason).toBe('pass');
    expect(verdict.reason).toMatch(/no behavioral regression on 60 candidate and 60 baseline answers/);
  });

  it('is not enough to judge below minAnswers, never a pass', () => {
    const { verdict } = judgeCanaryBehavior(
      look({ answers: { baseline: answers(60, 0), candidate: qualified.slice(0, 10) } }),
    );
    expect(verdict.outcome).toBe('inconclusive');
    expect(verdict.review).toBe(false);
    expect(verdict.reason).toMatch(/not enough yet to judge \(10 candidate/);
  });

  it('asks a person when phrasing is not blocking, and keeps the finding at later looks', () => {
    const config = canaryBehaviorSchema.parse({ phrasing: { blocking: false } });
    const first = judgeCanaryBehavior(look({ config, answers: { baseline: answers(60, 0), candidate: qualified } }));
    expect(first.verdict.outcome).toBe('inconclusive');
    expect(first.verdict.review).toBe(true);
    expect(first.verdict.reason).toMatch(/needs review.*phrasing: candidate starts/);
    // A later look whose answers no longer show it (a smaller sample read after a restart) still does.
    const later = judgeCanaryBehavior(look({ config, state: first.state }));
    expect(later.verdict.review).toBe(true);
    expect(later.verdict.reason).toMatch(/found at look 1/);
  });

  it('shows the canary judge’s refusals, JSON and length beside its own findings', () => {
    const { verdict } = judgeCanaryBehavior(
      look({
        alongside: [
          {
            metric: 'refusalRate',
            direction: 'higher_is_worse',
            critical: true,
            baseline: 0.01,
            candidate: 0.012,
            delta: 0.002,
            deltaKind: 'absolute',
            tolerance: 0.02,
            samples: { baseline: 100, candidate: 100 },
            classification: 'pass',
            message: '',
          },
        ],
      }),
    );
    expect(verdict.reason).toMatch(/refusals, JSON and length \(canary judge\): refusalRate pass \(Δ \+0\.2 pts\)/);
  });
});

describe('judgeCanaryBehavior: judge scores', () => {
  const config = canaryBehaviorSchema.parse({
    phrasing: { enabled: false },
    judge: { baseUrl: 'http://127.0.0.1:9/v1', model: 'judge' },
  });
  const scored = (baseline: number, candidate: number): LlmJudgeVerdict => {
    const names = config.judge!.criteria.map((c) => c.name);
    return {
      status: 'scored',
      order: 'baseline_first',
      baseline: Object.fromEntries(names.map((n) => [n, baseline])),
      candidate: Object.fromEntries(names.map((n) => [n, candidate])),
    };
  };

  it('finds a drop in mean score beyond the tolerance, its interval and p-value agreeing, over looks', () => {
    let state = initialCanaryBehaviorState();
    let verdict;
    for (let i = 0; i < 6; i++) {
      const judged = Array.from({ length: 10 }, (_, j) => scored(4 + ((i + j) % 2) * 0.5, 2 + ((i + j) % 3) * 0.5));
      ({ verdict, state } = judgeCanaryBehavior(look({ config, judged, state })));
      if (verdict.outcome === 'fail') break;
    }
    expect(verdict!.outcome).toBe('fail');
    const metric = verdict!.metrics[0]!;
    expect(metric.decidedBy).toMatch(/always-valid mean difference/);
    expect(metric.change).toBe('regression');
    expect(metric.interval![1]).toBeLessThan(-guardrails.judgeScore.tolerance);
    expect(metric.pValue!).toBeLessThanOrEqual(1 - metric.confidence + 1e-12);
    expect(verdict!.metrics).toHaveLength(config.judge!.criteria.length);
  });

  it('finds nothing when both arms score alike, and counts calls without a score', () => {
    let state = initialCanaryBehaviorState();
    let verdict;
    for (let i = 0; i < 5; i++) {
      const judged: LlmJudgeVerdict[] = [
        ...Array.from({ length: 10 }, (_, j) => scored(3 + ((i + j) % 3) * 0.5, 3 + ((i + j + 1) % 3) * 0.5)),
        { status: 'no_score', order: 'baseline_first', kind: 'unparseable', reason: 'prose' },
      ];
      ({ verdict, state } = judgeCanaryBehavior(look({ config, judged, state })));
    }
    expect(verdict!.outcome, verdict!.reason).toBe('pass');
    expect(state.judgeCalls).toBe(55);
    expect(verdict!.reason).toMatch(/55 judge calls in the window \(5× unparseable without a score\)/);
  });
});

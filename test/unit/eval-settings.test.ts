// The behavioral gates' plan settings: optional, so plans written before them parse exactly as
// before; defaults applied when read; the metric table follows the plan's guardrails, and a
// policy override names a metric that exists.
import { describe, expect, it } from 'vitest';
import {
  goldenMetricSpecs,
  goldenPolicy,
  rubricOf,
  shadowCompare,
  shadowMetricSpecs,
  UnknownMetricError,
} from '../../evals/behavioral-settings';
import { DEFAULT_RUBRIC } from '../../plan/golden-eval-schema';
import { parsePlan, PlanValidationError, type RolloutPlanInput } from '../../plan/schema';

function plan(stages: Record<string, unknown> = {}, guardrails: Record<string, unknown> = {}): RolloutPlanInput {
  return {
    rollout: { id: 'behavioral' },
    backends: {
      baseline: { baseUrl: 'http://127.0.0.1:9001/v1', model: 'a' },
      candidate: { baseUrl: 'http://127.0.0.1:9002/v1', model: 'b' },
    },
    approvals: { approvers: ['alice'] },
    stages,
    guardrails,
  } as RolloutPlanInput;
}

function problems(input: RolloutPlanInput): string[] {
  try {
    parsePlan(input);
  } catch (error) {
    expect(error).toBeInstanceOf(PlanValidationError);
    return (error as PlanValidationError).problems;
  }
  throw new Error('expected the plan to be rejected');
}

const JUDGE = { baseUrl: 'http://127.0.0.1:9009/v1', model: 'sim-judge' };

describe('plan: behavioral settings', () => {
  it('adds nothing to a plan that does not use them', () => {
    const parsed = parsePlan(plan());
    expect(Object.keys(parsed.stages.goldenEval).sort()).toEqual([
      'concurrency',
      'enabled',
      'maxRegression',
      'minPassRate',
      'requestTimeout',
    ]);
    expect(Object.keys(parsed.stages.shadow).sort()).toEqual(['enabled', 'share', 'window']);
  });

  it('fills in the judge’s, the embeddings’ and the comparison’s defaults when they are given', () => {
    const parsed = parsePlan(
      plan({ goldenEval: { judge: JUDGE, embeddings: JUDGE, policy: {} }, shadow: { compare: { judge: JUDGE } } }),
    );
    expect(parsed.stages.goldenEval.judge).toEqual({
      ...JUDGE,
      criteria: DEFAULT_RUBRIC,
      concurrency: 4,
      requestTimeout: 60_000,
      orderSeed: 1,
    });
    expect(parsed.stages.goldenEval.embeddings).toEqual({
      ...JUDGE,
      minSimilarity: 0.85,
      concurrency: 4,
      requestTimeout: 30_000,
    });
    expect(parsed.stages.goldenEval.policy).toEqual({ minPairs: 8, maxNoScoreShare: 0.1, metrics: {} });
    expect(parsed.stages.shadow.compare).toMatchObject({
      minPairs: 30,
      sample: { share: 0.25, max: 200 },
      failAtBreaches: 2,
    });
    // Parsing the normalized plan again gives the same plan (the workflow re-validates it).
    expect(parsePlan(parsed)).toEqual(parsed);
  });

  it('rejects a rubric outside 3–5 criteria, duplicate or badly named criteria, and a judge without a model', () => {
    const two = [
      { name: 'a', description: 'x' },
      { name: 'b', description: 'y' },
    ];
    expect(problems(plan({ goldenEval: { judge: { ...JUDGE, criteria: two } } }))).toEqual([
      'stages.goldenEval.judge.criteria: a focused rubric has 3–5 criteria',
    ]);
    const dup = [
      { name: 'a', description: 'x' },
      { name: 'a', description: 'y' },
      { name: 'c', description: 'z' },
    ];
    expect(problems(plan({ goldenEval: { judge: { ...JUDGE, criteria: dup } } }))).toEqual([
      'stages.goldenEval.judge.criteria: criterion names must be unique',
    ]);
    const bad = [
      { name: 'Has Space', description: 'x' },
      { name: 'b', description: 'y' },
      { name: 'c', description: 'z' },
    ];
    expect(problems(plan({ goldenEval: { judge: { ...JUDGE, criteria: bad } } }))[0]).toMatch(
      /^stages\.goldenEval\.judge\.criteria\[0\]\.name: lowercase letters/,
    );
    expect(problems(plan({ shadow: { compare: { embeddings: { baseUrl: JUDGE.baseUrl } } } }))).toEqual([
      'stages.shadow.compare.embeddings.model: required',
    ]);
    expect(problems(plan({ shadow: { compare: { sample: { share: 2 } } } }))).toEqual([
      'stages.shadow.compare.sample.share: must be between 0 and 1',
    ]);
  });
});

describe('golden metric table', () => {
  it('takes tolerances and blocking from the guardrails, and adds the judge and similarity when configured', () => {
    const parsed = parsePlan(
      plan(
        { goldenEval: { judge: JUDGE, embeddings: { ...JUDGE, minSimilarity: 0.8 } } },
        { length: { tolerance: 0.2, critical: true } },
      ),
    );
    const specs = goldenMetricSpecs(parsed.stages.goldenEval, parsed.guardrails);
    const table = Object.fromEntries(
      specs.map((s) => [s.metric, [s.direction, s.statistic, Number(s.tolerance.toFixed(6)), s.blocking]]),
    );
    expect(table).toEqual({
      errorRate: ['higher_is_worse', 'difference', 0.01, true],
      matchRate: ['lower_is_worse', 'difference', 0.02, true],
      schemaAdherence: ['lower_is_worse', 'difference', 0.02, true],
      refusalRate: ['higher_is_worse', 'difference', 0.02, true],
      hedgeRate: ['higher_is_worse', 'difference', 0.05, false],
      phrasing: ['higher_is_worse', 'difference', 0.1, true],
      length: ['either', 'ratio', 0.2, true],
      'judge.completeness': ['lower_is_worse', 'difference', 0.25, true],
      'judge.directness': ['lower_is_worse', 'difference', 0.25, true],
      'judge.helpfulness': ['lower_is_worse', 'difference', 0.25, true],
      'judge.clarity': ['lower_is_worse', 'difference', 0.25, true],
      similarity: ['lower_is_worse', 'difference', 0.2, false],
    });
  });

  it('applies policy overrides and drops disabled metrics and guardrails', () => {
    const parsed = parsePlan(
      plan(
        {
          goldenEval: {
            policy: { metrics: { hedgeRate: { blocking: true, tolerance: 0.1 }, length: { enabled: false } } },
          },
        },
        { refusalRate: { enabled: false } },
      ),
    );
    const specs = goldenMetricSpecs(parsed.stages.goldenEval, parsed.guardrails);
    expect(specs.map((s) => s.metric)).toEqual(['errorRate', 'matchRate', 'schemaAdherence', 'hedgeRate', 'phrasing']);
    expect(specs.find((s) => s.metric === 'hedgeRate')).toMatchObject({ blocking: true, tolerance: 0.1 });
  });

  it("still reads the golden eval's old name schemaValidity in policy overrides, the current name winning", () => {
    const old = parsePlan(
      plan({ goldenEval: { policy: { metrics: { schemaValidity: { blocking: false, tolerance: 0.1 } } } } }),
    );
    expect(
      goldenMetricSpecs(old.stages.goldenEval, old.guardrails).find((s) => s.metric === 'schemaAdherence'),
    ).toMatchObject({ blocking: false, tolerance: 0.1 });
    const both = parsePlan(
      plan({
        goldenEval: {
          policy: { metrics: { schemaAdherence: { tolerance: 0.05 }, schemaValidity: { tolerance: 0.1 } } },
        },
      }),
    );
    expect(
      goldenMetricSpecs(both.stages.goldenEval, both.guardrails).find((s) => s.metric === 'schemaAdherence'),
    ).toMatchObject({ tolerance: 0.05 });
  });

  it('refuses an override of a metric that does not exist, listing the ones that do', () => {
    const parsed = parsePlan(plan({ goldenEval: { policy: { metrics: { 'judge.tone': { blocking: false } } } } }));
    expect(() => goldenMetricSpecs(parsed.stages.goldenEval, parsed.guardrails)).toThrow(UnknownMetricError);
    expect(() => goldenMetricSpecs(parsed.stages.goldenEval, parsed.guardrails)).toThrow(
      /policy\.metrics names unknown metric\(s\) "judge\.tone"; known: errorRate, matchRate/,
    );
  });

  it('uses the default policy and rubric when the plan has none', () => {
    const parsed = parsePlan(plan());
    expect(goldenPolicy(parsed.stages.goldenEval)).toEqual({ minPairs: 8, maxNoScoreShare: 0.1, metrics: {} });
    expect(rubricOf(undefined).map((c) => c.name)).toEqual(['completeness', 'directness', 'helpfulness', 'clarity']);
  });
});

describe('shadow metric table', () => {
  it('has the soak’s output statistics, cost when priced, and nothing blocking by default (the seeds’ rule)', () => {
    const parsed = parsePlan(plan({ shadow: { compare: { judge: JUDGE, embeddings: JUDGE } } }));
    const compare = shadowCompare(parsed.stages.shadow);
    const priced = shadowMetricSpecs(compare, parsed.guardrails, true).map((s) => s.metric);
    expect(priced).toEqual([
      'errorRate',
      'latency',
      'costPerRequest',
      'length',
      'refusalRate',
      'hedgeRate',
      'phrasing',
      'schemaAdherence',
      'judge.completeness',
      'judge.directness',
      'judge.helpfulness',
      'judge.clarity',
      'similarity',
    ]);
    expect(shadowMetricSpecs(compare, parsed.guardrails, false).map((s) => s.metric)).toContain('tokens');
    expect(shadowMetricSpecs(compare, parsed.guardrails, true).every((s) => !s.blocking)).toBe(true);
    expect(shadowCompare(parsePlan(plan()).stages.shadow)).toEqual({
      minPairs: 30,
      sample: { share: 0.25, max: 200 },
      failAtBreaches: 2,
    });
  });
});

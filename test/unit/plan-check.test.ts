// `rollout plan check` says which guardrails have nothing to measure before the rollout starts.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { describePlan } from '../../cli/plan-check';
import { parsePlan } from '../../plan/schema';

const minimal = JSON.parse(readFileSync(new URL('../../examples/minimal.json', import.meta.url), 'utf8'));

describe('plan check: guardrails with nothing to measure', () => {
  it('says a plan without prices leaves costPerRequest out, and which guardrails depend on the traffic', () => {
    const text = describePlan(parsePlan(minimal));
    expect(text).toContain('costPerRequest not judged: the plan gives no prices; it never blocks');
    expect(text).toMatch(
      /schemaAdherence \(JSON-mode requests\), timeToFirstToken \(streamed answers\): not applicable/,
    );
  });

  it('says nothing about cost once both backends are priced', () => {
    const pricing = { inputPer1k: 0.1, outputPer1k: 0.2 };
    const priced = {
      ...minimal,
      backends: {
        baseline: { ...minimal.backends.baseline, pricing },
        candidate: { ...minimal.backends.candidate, pricing },
      },
    };
    expect(describePlan(parsePlan(priced))).not.toContain('costPerRequest not judged');
  });
});

describe('plan check: behavioral gates', () => {
  it('lists each gate’s metrics, the phrasing check among them, and its tolerance from the plan', () => {
    const plan = {
      ...minimal,
      stages: {
        ...minimal.stages,
        goldenEval: { enabled: true, dataset: 'golden.jsonl', policy: { metrics: { phrasing: { tolerance: 0.2 } } } },
      },
    };
    const text = describePlan(parsePlan(plan));
    expect(text).toMatch(/ {2}behavior {2}golden eval: errorRate\*, .*hedgeRate, phrasing\*, /);
    expect(text).toMatch(/shadow soak: .*hedgeRate, phrasing, schemaAdherence/);
    expect(text).toContain('beyond ±20 pts / ±10 pts; no judge needed');
  });
});

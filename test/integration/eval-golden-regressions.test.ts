// Issue 4's acceptance for the golden eval: each silent regression of the simulated backends is
// caught by the gate meant for it, and the healthy-but-different candidate is not rolled back but
// goes to a human as an improvement. Real simulated backends, the real openai SDK, the rubric
// judge against the simulated judge, embeddings, the 200-item dataset.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATASET_200 } from '../../bench/eval-dataset';
import { embeddingsConfig, judgeConfig } from '../../evals/behavioral-settings';
import { loadGoldenDataset, type GoldenItem } from '../../evals/golden-dataset';
import { runBehavioralGoldenEval } from '../../evals/golden-eval';
import type { BehavioralMetricEvidence, BehavioralVerdict } from '../../evals/metric-judgement';
import { parsePlan, type RolloutPlan } from '../../plan/schema';
import { DEFAULT_BEHAVIOUR, type Behaviour } from '../../simulator/behaviour';
import { startSimulatedBackend, type SimulatedBackend } from '../../simulator/sim-backend';

// Fast, fixed-latency backends that know the same things (one content seed), answering in their own words and lengths.
const QUICK = { latencyMedianMs: 1, latencySigma: 0, maxConcurrency: 64, contentSeed: 7 };

let items: GoldenItem[];
let baseline: SimulatedBackend;
let candidate: SimulatedBackend;
let judge: SimulatedBackend;
let plan: RolloutPlan;
let reports: string;

beforeAll(async () => {
  items = await loadGoldenDataset(DATASET_200);
  [baseline, candidate, judge] = await Promise.all([
    startSimulatedBackend({ model: 'sim-golden-base', behaviour: { ...QUICK, seed: 11 } }),
    startSimulatedBackend({ model: 'sim-golden-cand', behaviour: { ...QUICK, seed: 12 } }),
    startSimulatedBackend({
      model: 'sim-golden-judge',
      behaviour: { latencyMedianMs: 0, latencySigma: 0, maxConcurrency: 256 },
    }),
  ]);
  plan = parsePlan({
    rollout: { id: 'golden-regressions' },
    backends: {
      baseline: { baseUrl: baseline.url, model: baseline.model },
      candidate: { baseUrl: candidate.url, model: candidate.model },
    },
    approvals: { approvers: ['alice'] },
  });
  reports = await mkdtemp(join(tmpdir(), 'golden-regressions-'));
});

afterAll(async () => {
  await Promise.all([baseline?.close(), candidate?.close(), judge?.close()]);
  await rm(reports, { recursive: true, force: true });
});

async function evalWith(
  patch: Partial<Behaviour>,
  options: { judge?: boolean; guardrails?: RolloutPlan['guardrails'] } = {},
): Promise<{ verdict: BehavioralVerdict; byName: Record<string, BehavioralMetricEvidence> }> {
  candidate.setBehaviour({ ...DEFAULT_BEHAVIOUR, ...QUICK, seed: 12, ...patch });
  const config = {
    ...plan.stages.goldenEval,
    concurrency: 32,
    requestTimeout: 10_000,
    ...(options.judge === false
      ? {}
      : {
          judge: judgeConfig({ baseUrl: judge.url, model: judge.model, concurrency: 16 }),
          embeddings: embeddingsConfig({ baseUrl: judge.url, model: judge.model, concurrency: 16 }),
        }),
  };
  const stage = `golden_${Object.keys(patch).join('_') || 'healthy'}${options.judge === false ? '_nojudge' : ''}`;
  const { verdict } = await runBehavioralGoldenEval({
    rolloutId: 'golden-regressions',
    stage,
    items,
    config,
    guardrails: options.guardrails ?? plan.guardrails,
    baseline: { baseUrl: baseline.url, model: baseline.model },
    candidate: { baseUrl: candidate.url, model: candidate.model },
    reportsDir: reports,
  });
  const byName = Object.fromEntries(verdict.metrics.map((m) => [m.metric, m as BehavioralMetricEvidence]));
  return { verdict, byName };
}

const changed = (byName: Record<string, BehavioralMetricEvidence>, change: string) =>
  Object.values(byName)
    .filter((m) => m.change === change)
    .map((m) => m.metric)
    .sort();

describe('golden eval: behavioral gates on simulated regressions', () => {
  it('passes a healthy candidate that says the same things in its own words, and writes the report', async () => {
    const { verdict, byName } = await evalWith({});
    expect(verdict.outcome).toBe('pass');
    expect(verdict.reason).toMatch(
      /^no detectable change on 12 metrics \(golden pass rate 100\.0% vs baseline 100\.0%/,
    );
    expect(changed(byName, 'regression')).toEqual([]);
    expect(changed(byName, 'improvement')).toEqual([]);
    expect(byName['judge.completeness']).toMatchObject({
      status: 'ok',
      noScore: 0,
      samples: { baseline: 200, candidate: 200 },
    });
    expect(byName.schemaAdherence!.samples.candidate).toBe(80);
    expect(verdict.report).toBe(join(reports, 'golden-regressions', 'golden_healthy.md'));
    const md = await readFile(verdict.report!, 'utf8');
    expect(md).toContain('**Outcome: PASS**');
    expect(md).toMatch(/- LLM judge: sim-golden-judge at .*; \d+ items shown baseline first, \d+ candidate first/);
  });

  it('fails shorter answers that skip content, on the judge’s completeness and on length', async () => {
    const { verdict, byName } = await evalWith({ skipContentRate: 0.6 });
    expect(verdict.outcome).toBe('fail');
    expect(verdict.reason).toMatch(/^regression on blocking metric\(s\): judge\.completeness −/);
    expect(byName['judge.completeness']).toMatchObject({ change: 'regression', blocking: true });
    expect(byName.length).toMatchObject({ change: 'regression', blocking: false });
    expect(byName.length!.delta!).toBeLessThan(-0.3);
    const md = await readFile(verdict.report!, 'utf8');
    expect(md).toMatch(/### support200-\d+: .*length ×0\.\d\d/);
  });

  it('still sends shorter answers to a human when there is no judge (length is non-blocking by default)', async () => {
    const { verdict, byName } = await evalWith({ skipContentRate: 0.6 }, { judge: false });
    expect(verdict.outcome).toBe('inconclusive');
    expect(verdict.reason).toMatch(/^differs from the baseline; needs review: non-blocking change: length −/);
    expect(byName['judge.completeness']).toBeUndefined();
  });

  it('fails hedging, on the judge’s directness and the hedge rate', async () => {
    const { verdict, byName } = await evalWith({ hedgeRate: 0.5 });
    expect(verdict.outcome).toBe('fail');
    expect(verdict.reason).toMatch(/judge\.directness −/);
    expect(byName['judge.directness']).toMatchObject({ change: 'regression', blocking: true });
    expect(byName.hedgeRate).toMatchObject({ change: 'regression', baseline: 0 });
    expect(byName.hedgeRate!.candidate!).toBeGreaterThan(0.3);
  });

  it('fails a new qualifier the hedge patterns do not know, without a judge, naming the phrase', async () => {
    const { verdict, byName } = await evalWith({ qualifierRate: 0.5, qualifier: 'To be fair,' }, { judge: false });
    expect(verdict.outcome).toBe('fail');
    expect(byName.hedgeRate!.change).toBe('none');
    expect(byName.phrasing).toMatchObject({ change: 'regression', blocking: true, baseline: 0 });
    expect(byName.phrasing!.candidate!).toBeGreaterThan(0.35);
    expect(verdict.reason).toMatch(
      /^regression on blocking metric\(s\): phrasing: candidate starts \d+\.\d% of answers with "To be fair …"; baseline 0\.0%/,
    );
    expect(byName.phrasing!.message).toMatch(/e\.g\. "To be fair, /);
  });

  it('fails refusals on a topic, on the refusal rate', async () => {
    const { verdict, byName } = await evalWith({ refusalTopics: ['refund'] });
    expect(verdict.outcome).toBe('fail');
    expect(byName.refusalRate).toMatchObject({ change: 'regression', blocking: true, baseline: 0, candidate: 0.1 });
    expect(verdict.reason).toMatch(/refusalRate \+10\.0 pts/);
  });

  it('fails refusals confined to one segment, which the whole dataset’s figures would let through, naming the segment', async () => {
    // Half of the 40 "open" items (topics 5 and 10) are refused: +50 pts there, +10 pts over all 200,
    // inside a refusal tolerance of 12 pts.
    const guardrails = { ...plan.guardrails, refusalRate: { ...plan.guardrails.refusalRate, tolerance: 0.12 } };
    const { verdict, byName } = await evalWith(
      { refusalTopics: ['downgrade', 'deleted'] },
      { judge: false, guardrails },
    );
    expect(byName.refusalRate).toMatchObject({ baseline: 0, candidate: 0.1 });
    expect(byName.refusalRate!.change).not.toBe('regression');
    expect(verdict.outcome).toBe('fail');
    expect(verdict.reason).toMatch(
      /^regression in segment: refusalRate@open \+50\.0 pts \[.*\] vs tolerance ±12\.0 pts$/,
    );
    expect(byName['refusalRate@open']).toMatchObject({
      change: 'regression',
      samples: { baseline: 40, candidate: 40 },
    });
    // The other segments were judged too; the topics (10 items each) are too small on their own.
    expect(verdict.notes).toEqual([
      expect.stringMatching(/^too little data to judge on its own \(fewer than 12 items\): segment topic-1 \(10\), /),
      expect.stringMatching(
        /^per segment: json \(80 items\), open \(40 items\), prose \(80 items\) judged on \d+ blocking metrics each/,
      ),
    ]);
  });

  it('fails JSON that drops a field, on schema validity and the plan’s pass-rate floor', async () => {
    const { verdict, byName } = await evalWith({ jsonDropFields: ['confidence'] });
    expect(verdict.outcome).toBe('fail');
    expect(byName.schemaAdherence).toMatchObject({ change: 'regression', baseline: 1, candidate: 0 });
    expect(byName.goldenPassRate).toMatchObject({ classification: 'low', candidate: 0.5 });
    expect(verdict.reason).toMatch(
      /^regression on blocking metric\(s\): schemaAdherence −100\.0 pts .*; golden pass rate 50\.0% vs baseline 100\.0% .*below the minimum 90\.0%$/,
    );
    const md = await readFile(verdict.report!, 'utf8');
    expect(md).toContain("schema invalid (schema: data must have required property 'confidence')");
  });

  it('fails JSON that renames a field, on schema validity', async () => {
    const { verdict, byName } = await evalWith({ jsonRenameFields: { answer: 'response' } });
    expect(verdict.outcome).toBe('fail');
    expect(byName.schemaAdherence).toMatchObject({ change: 'regression', candidate: 0 });
    // The renamed answers still read as well to the judge: only the contract broke.
    expect(byName['judge.completeness']!.change).toBe('none');
  });

  it('does not fail a healthy change of wording: it goes to a human as an improvement, with the divergence shown', async () => {
    const { verdict, byName } = await evalWith({ wordingDrift: 1 });
    expect(verdict.outcome).toBe('inconclusive');
    expect(verdict.reason).toMatch(
      /^differs from the baseline; needs review: improvement: judge\.clarity \+1\.\d\d .*; non-blocking change: similarity −0\.\d\d/,
    );
    expect(changed(byName, 'improvement')).toEqual(['judge.clarity']);
    expect(changed(byName, 'regression')).toEqual(['similarity']);
    expect(byName.similarity!.blocking).toBe(false);
    for (const metric of [
      'judge.completeness',
      'judge.directness',
      'judge.helpfulness',
      'refusalRate',
      'schemaAdherence',
      'length',
      'phrasing',
    ])
      expect(byName[metric]!.change, metric).toBe('none');
    expect(byName.phrasing!.message).toMatch(/reworded \(not a finding\): candidate says "[^"]+" .* in place of "/);
  });
});

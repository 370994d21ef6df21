// Bad input to the golden eval never becomes a silent 0 or a silent pass: a malformed dataset is
// refused before any request with every problem located; an unreachable judge, or a judge whose
// answers do not parse, leaves counted and reported "no score" items and a verdict that asks a
// human; a plan naming an unknown metric or a missing API key is a clear, final error.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GoldenEvalInput } from '../../activities/contract';
import { createEvalActivities } from '../../activities/evals';
import { DATASET_200 } from '../../bench/eval-dataset';
import type { BehavioralMetricEvidence, BehavioralVerdict } from '../../evals/metric-judgement';
import { parsePlan, type RolloutPlanInput } from '../../plan/schema';
import { startSimulatedBackend, type SimulatedBackend } from '../../simulator/sim-backend';
import { freePort } from '../../stack/managed-process';
import { FailureType } from '../../workflows/failure-types';

const SUPPORT_BOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../examples/golden/support-bot.jsonl');
const QUICK = { latencyMedianMs: 1, latencySigma: 0, maxConcurrency: 64, contentSeed: 7 };

let baseline: SimulatedBackend;
let candidate: SimulatedBackend;
let judge: SimulatedBackend;
let dir: string;
const previousReports = process.env.ROLLOUT_REPORTS_DIR;

beforeAll(async () => {
  [baseline, candidate, judge] = await Promise.all([
    startSimulatedBackend({ model: 'sim-bad-base', behaviour: { ...QUICK, seed: 11 } }),
    startSimulatedBackend({ model: 'sim-bad-cand', behaviour: { ...QUICK, seed: 12 } }),
    startSimulatedBackend({
      model: 'sim-bad-judge',
      behaviour: { latencyMedianMs: 0, latencySigma: 0, maxConcurrency: 64 },
    }),
  ]);
  dir = await mkdtemp(join(tmpdir(), 'golden-bad-input-'));
  process.env.ROLLOUT_REPORTS_DIR = join(dir, 'reports');
});

afterAll(async () => {
  if (previousReports === undefined) delete process.env.ROLLOUT_REPORTS_DIR;
  else process.env.ROLLOUT_REPORTS_DIR = previousReports;
  await Promise.all([baseline?.close(), candidate?.close(), judge?.close()]);
  await rm(dir, { recursive: true, force: true });
});

function input(goldenEval: Record<string, unknown>): GoldenEvalInput {
  const plan = parsePlan({
    rollout: { id: 'golden-bad-input' },
    backends: {
      baseline: { baseUrl: baseline.url, model: baseline.model },
      candidate: { baseUrl: candidate.url, model: candidate.model },
    },
    approvals: { approvers: ['alice'] },
    stages: { goldenEval: { enabled: true, dataset: SUPPORT_BOT, concurrency: 16, ...goldenEval } },
  } as RolloutPlanInput);
  return {
    rolloutId: 'golden-bad-input',
    stage: 'golden_eval',
    config: plan.stages.goldenEval,
    baseline: plan.backends.baseline,
    candidate: plan.backends.candidate,
    guardrails: plan.guardrails,
  };
}

const run = (i: GoldenEvalInput) =>
  new MockActivityEnvironment(undefined, { logger: new DefaultLogger('ERROR') }).run(
    createEvalActivities().runGoldenEval,
    i,
  ) as Promise<BehavioralVerdict>;
const failure = async (i: GoldenEvalInput) => {
  const error = await run(i).then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ApplicationFailure);
  return error as ApplicationFailure;
};
const metric = (verdict: BehavioralVerdict, name: string) =>
  verdict.metrics.find((m) => m.metric === name) as BehavioralMetricEvidence;

describe('golden eval: bad input', () => {
  it('refuses a dataset with a malformed line before sending anything, naming file and line', async () => {
    const path = join(dir, 'broken.jsonl');
    const good = (await readFile(SUPPORT_BOT, 'utf8')).split('\n').slice(0, 3);
    await writeFile(
      path,
      [
        ...good,
        '{"id": "cut-off", "messages": [{"role": "user", "content": "Wh',
        good[0]!.replace('support-01', 'support-99'),
      ].join('\n'),
    );
    const before = baseline.stats().requests + candidate.stats().requests;
    const error = await failure(input({ dataset: path }));
    expect(error.type).toBe(FailureType.InvalidDataset);
    expect(error.nonRetryable).toBe(true);
    expect(error.message).toMatch(new RegExp(`^invalid golden dataset ${path}:\\n  - ${path}:4: not valid JSON \\(`));
    expect(baseline.stats().requests + candidate.stats().requests).toBe(before);
  });

  it('counts every item as "no score" when the judge is unreachable, gives up on it, and asks a human', async () => {
    const port = await freePort();
    const started = performance.now();
    const verdict = await run(input({ retries: 0, judge: { baseUrl: `http://127.0.0.1:${port}/v1`, model: 'judge' } }));
    expect(performance.now() - started).toBeLessThan(20_000);
    expect(verdict.outcome).toBe('inconclusive');
    expect(verdict.reason).toMatch(/^not enough evidence; needs review: judge\.completeness no score on 20\/20 \(/);
    // The first failures are requests that failed (as many as were in flight, at least 5); then the
    // judge counts as unreachable and is not called again.
    const reasons = metric(verdict, 'judge.completeness').noScoreReasons!;
    expect(reasons['judge request failed']! + reasons['judge unreachable']!).toBe(20);
    expect(reasons['judge request failed']).toBeGreaterThanOrEqual(5);
    expect(reasons['judge request failed']).toBeLessThanOrEqual(5 + 4);
    for (const criterion of ['completeness', 'directness', 'helpfulness', 'clarity']) {
      expect(metric(verdict, `judge.${criterion}`)).toMatchObject({
        status: 'incomplete',
        change: 'no_data',
        classification: 'no_data',
        noScore: 20,
        expected: 20,
        baseline: null,
      });
    }
    const md = await readFile(verdict.report!, 'utf8');
    expect(md).toMatch(/\| judge\.completeness \| yes \| — \| — \| — \| — \| 0 \| 20\/20 \| no data \(incomplete\) \|/);
    expect(md).toMatch(
      /- judge\.completeness: no paired samples; too many items without a score to judge \[n=0, 20\/20 no score \(\d+× judge (unreachable|request failed); \d+× judge (unreachable|request failed)\)\]/,
    );
    // Each item's own reason is in the JSON report beside it.
    const json = JSON.parse(await readFile(verdict.report!.replace(/\.md$/, '.json'), 'utf8')) as {
      items: Array<{ judge?: { noScore?: string } }>;
    };
    expect(json.items).toHaveLength(20);
    for (const item of json.items)
      expect(item.judge?.noScore).toMatch(/^judge (request failed: connection error|unreachable)/);
  });

  it('counts judge answers that do not parse as "no score", and asks a human when too many do', async () => {
    judge.setBehaviour({ judgeMalformedRate: 1 });
    try {
      const verdict = await run(input({ judge: { baseUrl: judge.url, model: judge.model } }));
      expect(verdict.outcome).toBe('inconclusive');
      expect(verdict.reason).toMatch(/judge\.completeness no score on 20\/20 \(20× judge answer did not parse\)/);
    } finally {
      judge.setBehaviour({ judgeMalformedRate: 0 });
    }
  });

  it('reports a few unparseable judge answers as counted "no score" without holding up a healthy candidate', async () => {
    judge.setBehaviour({ judgeMalformedRate: 0.04 });
    try {
      const verdict = await run(input({ dataset: DATASET_200, judge: { baseUrl: judge.url, model: judge.model } }));
      const completeness = metric(verdict, 'judge.completeness');
      expect(completeness.noScore).toBeGreaterThan(0);
      expect(completeness.noScore).toBeLessThanOrEqual(20);
      expect(completeness).toMatchObject({
        status: 'ok',
        expected: 200,
        noScoreReasons: { 'judge answer did not parse': completeness.noScore },
      });
      expect(completeness.samples.baseline).toBe(200 - completeness.noScore);
      expect(completeness.message).toContain(
        `${completeness.noScore}/200 no score (${completeness.noScore}× judge answer did not parse)`,
      );
      expect(verdict.outcome).toBe('pass');
    } finally {
      judge.setBehaviour({ judgeMalformedRate: 0 });
    }
  });

  it('refuses a policy override naming an unknown metric, as a plan error', async () => {
    const error = await failure(input({ policy: { metrics: { 'judge.tone': { blocking: true } } } }));
    expect(error.type).toBe(FailureType.InvalidPlan);
    expect(error.nonRetryable).toBe(true);
    expect(error.message).toMatch(/^stages\.goldenEval\.policy\.metrics names unknown metric\(s\) "judge\.tone"/);
  });

  it('says which API key is missing on the worker', async () => {
    const error = await failure(
      input({ judge: { baseUrl: judge.url, model: judge.model, apiKeyEnv: 'NO_SUCH_JUDGE_KEY_FOR_TESTS' } }),
    );
    expect(error.type).toBe(FailureType.MissingApiKey);
    expect(error.message).toBe(
      'environment variable NO_SUCH_JUDGE_KEY_FOR_TESTS (API key for the LLM judge) is not set on the worker',
    );
  });
});

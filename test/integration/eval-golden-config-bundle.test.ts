// A settings rollout judged by the golden eval: baseline and candidate are the same simulated
// model on the same server, and only the candidate's bundle differs. The eval must send each item
// with that bundle, as the gateway would, so a max_tokens that cuts answers short fails the
// candidate while the same model without it passes.
import { DefaultLogger } from '@temporalio/worker';
import { MockActivityEnvironment } from '@temporalio/testing';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEvalActivities } from '../../activities/evals';
import type { GoldenEvalInput } from '../../activities/contract';
import { DATASET_200 } from '../../bench/eval-dataset';
import type { Verdict } from '../../judge/verdict';
import { parsePlan } from '../../plan/schema';
import { startSimulatedBackend, type SimulatedBackend } from '../../simulator/sim-backend';

let model: SimulatedBackend;
let reports: string;
const previousReports = process.env.ROLLOUT_REPORTS_DIR;

beforeAll(async () => {
  model = await startSimulatedBackend({
    model: 'sim-bundle-8b',
    behaviour: { latencySigma: 0, maxConcurrency: 64, contentSeed: 7, latencyMedianMs: 1, seed: 5 },
  });
  reports = await mkdtemp(join(tmpdir(), 'golden-bundle-'));
  process.env.ROLLOUT_REPORTS_DIR = reports;
});

afterAll(async () => {
  if (previousReports === undefined) delete process.env.ROLLOUT_REPORTS_DIR;
  else process.env.ROLLOUT_REPORTS_DIR = previousReports;
  await model?.close();
  await rm(reports, { recursive: true, force: true });
});

function input(candidateConfig: Record<string, unknown>): GoldenEvalInput {
  const plan = parsePlan({
    rollout: { id: 'golden-bundle' },
    backends: {
      baseline: { baseUrl: model.url, model: model.model },
      candidate: { baseUrl: model.url, model: model.model, config: candidateConfig },
    },
    approvals: { approvers: ['alice'] },
    stages: { goldenEval: { enabled: true, dataset: DATASET_200, concurrency: 8 } },
  });
  return {
    rolloutId: 'golden-bundle',
    stage: 'golden_eval',
    config: plan.stages.goldenEval,
    baseline: plan.backends.baseline,
    candidate: plan.backends.candidate,
    guardrails: plan.guardrails,
  };
}

const run = (config: Record<string, unknown>): Promise<Verdict> =>
  new MockActivityEnvironment(undefined, { logger: new DefaultLogger('WARN') }).run(
    createEvalActivities().runGoldenEval,
    input(config),
  ) as Promise<Verdict>;

describe('the golden eval with a configuration bundle', () => {
  it('fails a candidate whose bundle cuts answers to 3 tokens, on the same model that passes without it', async () => {
    const cut = await run({ sampling: { max_tokens: 3 } });
    expect(cut.outcome).toBe('fail');
    const harmless = await run({ systemPrompt: 'You are a concise, friendly customer-support assistant.' });
    expect(harmless.outcome).toBe('pass');
  });
});

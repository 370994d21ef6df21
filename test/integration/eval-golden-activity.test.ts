// The golden-eval activity as the worker runs it: heartbeats carry its progress, and a retry
// after a crash (here: a cancelled attempt) resumes from the last heartbeat without asking a
// backend or the judge again for anything already done, and reaches the same verdict.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DefaultLogger } from '@temporalio/worker';
import { MockActivityEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GoldenEvalInput } from '../../activities/contract';
import { createEvalActivities, type GoldenEvalProgress } from '../../activities/evals';
import { DATASET_200 } from '../../bench/eval-dataset';
import type { BehavioralVerdict } from '../../evals/metric-judgement';
import { loadGoldenDataset } from '../../evals/golden-dataset';
import { runGoldenPipeline, type GoldenRunState } from '../../evals/golden-pipeline';
import { LlmJudge } from '../../evals/llm-judge';
import { parsePlan } from '../../plan/schema';
import { startSimulatedBackend, type SimulatedBackend } from '../../simulator/sim-backend';

const QUICK = { latencySigma: 0, maxConcurrency: 64, contentSeed: 7 };
const quiet = () => ({ logger: new DefaultLogger('WARN') });

let baseline: SimulatedBackend;
let candidate: SimulatedBackend;
let judge: SimulatedBackend;
let embeddings: SimulatedBackend;
let reports: string;
const previousReports = process.env.ROLLOUT_REPORTS_DIR;

beforeAll(async () => {
  [baseline, candidate, judge, embeddings] = await Promise.all([
    startSimulatedBackend({ model: 'sim-act-base', behaviour: { ...QUICK, latencyMedianMs: 3, seed: 11 } }),
    startSimulatedBackend({
      model: 'sim-act-cand',
      behaviour: { ...QUICK, latencyMedianMs: 3, seed: 12, hedgeRate: 0.3 },
    }),
    startSimulatedBackend({ model: 'sim-act-judge', behaviour: { ...QUICK, latencyMedianMs: 5 } }),
    startSimulatedBackend({ model: 'sim-act-embed', behaviour: { ...QUICK, latencyMedianMs: 1 } }),
  ]);
  reports = await mkdtemp(join(tmpdir(), 'golden-activity-'));
  process.env.ROLLOUT_REPORTS_DIR = reports;
});

afterAll(async () => {
  if (previousReports === undefined) delete process.env.ROLLOUT_REPORTS_DIR;
  else process.env.ROLLOUT_REPORTS_DIR = previousReports;
  await Promise.all([baseline?.close(), candidate?.close(), judge?.close(), embeddings?.close()]);
  await rm(reports, { recursive: true, force: true });
});

function input(): GoldenEvalInput {
  const plan = parsePlan({
    rollout: { id: 'golden-activity' },
    backends: {
      baseline: { baseUrl: baseline.url, model: baseline.model },
      candidate: { baseUrl: candidate.url, model: candidate.model },
    },
    approvals: { approvers: ['alice'] },
    stages: {
      goldenEval: {
        enabled: true,
        dataset: DATASET_200,
        concurrency: 8,
        judge: { baseUrl: judge.url, model: judge.model, concurrency: 2 },
        embeddings: { baseUrl: embeddings.url, model: embeddings.model, concurrency: 2 },
      },
    },
  });
  return {
    rolloutId: 'golden-activity',
    stage: 'golden_eval',
    config: plan.stages.goldenEval,
    baseline: plan.backends.baseline,
    candidate: plan.backends.candidate,
    guardrails: plan.guardrails,
  };
}

const requests = () => ({
  models: baseline.stats().requests + candidate.stats().requests,
  judge: judge.stats().requests,
  embeddings: embeddings.stats().requests,
});
/** Waits until the servers' request counts stop moving (bounded to 2 s). */
async function settled(): Promise<void> {
  let previous = JSON.stringify(requests());
  for (const deadline = Date.now() + 2_000; Date.now() < deadline;) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    const now = JSON.stringify(requests());
    if (
      now === previous &&
      [baseline, candidate, judge, embeddings].every((b) => b.stats().inFlight === 0 && b.stats().queued === 0)
    )
      return;
    previous = now;
  }
}
const evidence = (verdict: BehavioralVerdict) =>
  verdict.metrics.map((m) => [m.metric, m.baseline, m.candidate, m.delta, m.interval ?? null, m.classification]);

describe('runGoldenEval activity', () => {
  it('resumes from its last heartbeat after an interrupted attempt, asking nothing twice, to the same verdict', async () => {
    const activity = createEvalActivities().runGoldenEval;
    const start = requests();
    // Attempt 1: interrupted once 150 of the 400 answers are in (and some items judged).
    const first = new MockActivityEnvironment(undefined, quiet());
    let last: GoldenEvalProgress | undefined;
    first.on('heartbeat', (details: GoldenEvalProgress) => {
      // What the worker would send: the details as they are at this heartbeat.
      last = JSON.parse(JSON.stringify(details)) as GoldenEvalProgress;
      if ((details.outcomes?.length ?? 0) >= 150) first.cancel('WORKER_SHUTDOWN');
    });
    await expect(first.run(activity, input())).rejects.toThrow();
    expect(last?.total).toBe(400);
    const done = last!.outcomes!.length;
    const judged = last!.judgements!.length;
    expect(done).toBeGreaterThanOrEqual(150);
    expect(done).toBeLessThan(400);
    expect(judged).toBeGreaterThan(0);
    // Items answered on both sides but not judged yet keep their answers in the details.
    const ids = new Set(last!.judgements!.map((j) => j.id));
    const waiting = new Set(last!.outcomes!.filter((o) => !ids.has(o.id)).map((o) => `${o.side}/${o.id}`));
    expect(new Set(last!.pending!.map((p) => `${p.side}/${p.id}`))).toEqual(waiting);

    // Requests the interrupted attempt had on the wire reach the servers a moment later; count them
    // as the first attempt's.
    await settled();
    // Attempt 2: resumes from those details.
    const before = requests();
    const second = new MockActivityEnvironment({ heartbeatDetails: last, attempt: 2 }, quiet());
    const resumed = (await second.run(activity, input())) as BehavioralVerdict;
    const after = requests();
    expect(after.models - before.models).toBe(400 - done);
    expect(after.judge - before.judge).toBe(200 - judged);
    expect(after.embeddings - before.embeddings).toBeLessThanOrEqual(200 - judged);

    // A clean run of the same eval gives the same verdict, metric by metric.
    const clean = (await new MockActivityEnvironment(undefined, quiet()).run(activity, input())) as BehavioralVerdict;
    expect(resumed.outcome).toBe('fail');
    expect(resumed.reason).toBe(clean.reason);
    expect(evidence(resumed)).toEqual(evidence(clean));
    expect(resumed.report).toBe(join(reports, 'golden-activity', 'golden_eval.md'));
    // The interrupted attempt's requests plus the resumed ones: no (item, side) asked twice beyond what was in flight when it stopped.
    expect(before.models - start.models).toBeLessThanOrEqual(done + 8);
  });

  it('asks again for answers a heartbeat recorded without their text, rather than judging nothing', async () => {
    // An answered outcome whose item was not judged yet and whose answer is not in `pending` (it
    // arrived after the heartbeat's snapshot) cannot be judged: the pipeline asks for it again.
    const items = (await loadGoldenDataset(DATASET_200)).slice(0, 6);
    const config = input().config;
    const run = (resume?: Partial<GoldenRunState>) =>
      runGoldenPipeline({
        items,
        baseline: { baseUrl: baseline.url, model: baseline.model },
        candidate: { baseUrl: candidate.url, model: candidate.model },
        concurrency: 4,
        requestTimeoutMs: 10_000,
        judge: {
          scorer: new LlmJudge({
            baseUrl: judge.url,
            model: judge.model,
            criteria: config.judge!.criteria,
            requestTimeoutMs: 10_000,
            retries: 0,
            orderSeed: 1,
          }),
          concurrency: 2,
        },
        resume,
      });
    const full = await run();
    const resume: Partial<GoldenRunState> = {
      // Items 1–2 judged; item 3 answered on both sides, one answer kept; items 4–6 not started.
      outcomes: full.outcomes.filter((o) => ['support200-001', 'support200-002', 'support200-003'].includes(o.id)),
      judgements: full.judgements.filter((j) => ['support200-001', 'support200-002'].includes(j.id)),
      pending: [{ id: 'support200-003', side: 'baseline', answer: 'kept answer' }],
    };
    await settled();
    const before = requests();
    const resumed = await run(resume);
    const after = requests();
    // Item 3's candidate answer is asked again (its text was lost), items 4–6 on both sides: 7.
    expect(after.models - before.models).toBe(7);
    // Items 3–6 are judged; 1–2 are not judged again.
    expect(after.judge - before.judge).toBe(4);
    expect(resumed.outcomes).toHaveLength(12);
    expect(resumed.judgements.map((j) => j.id).sort()).toEqual(items.map((i) => i.id));
    expect(resumed.pending).toEqual([]);
  });
});

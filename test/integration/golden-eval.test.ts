// The golden eval against two real simulated backends: what passes, what fails and why, what
// happens when a backend does not answer, resuming a retried eval, and bounded concurrency.
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadGoldenDataset, parseGoldenDataset, type GoldenItem } from '../../evals/golden-dataset';
import type { ItemOutcome } from '../../evals/golden-eval-runner';
import { passRateCheck, summarize } from '../../evals/golden-pass-rate';
import { runGoldenPipeline } from '../../evals/golden-pipeline';
import type { RolloutPlan } from '../../plan/schema';
import { DEFAULT_BEHAVIOUR } from '../../simulator/behaviour';
import { startSimulatedBackend, type SimulatedBackend } from '../../simulator/sim-backend';
import { freePort } from '../../stack/managed-process';

const DATASET = resolve(dirname(fileURLToPath(import.meta.url)), '../../examples/golden/support-bot.jsonl');
// Fast, fixed-latency backends with plenty of slots: these tests are about the eval, not speed.
const QUICK = { latencyMedianMs: 5, latencySigma: 0, maxConcurrency: 100 };

const CONFIG: RolloutPlan['stages']['goldenEval'] = {
  enabled: true,
  dataset: DATASET,
  minPassRate: 0.9,
  maxRegression: 0.02,
  concurrency: 8,
  requestTimeout: 10_000,
};

let items: GoldenItem[];
let baseline: SimulatedBackend;
let candidate: SimulatedBackend;

function backends(candidateUrl = candidate.url) {
  return {
    baseline: { baseUrl: baseline.url, model: baseline.model },
    candidate: { baseUrl: candidateUrl, model: candidate.model },
  };
}

/** The golden eval's model calls without judge or embeddings; `done` are an earlier attempt's outcomes. */
async function runItems(options: {
  items: GoldenItem[];
  backends: ReturnType<typeof backends>;
  concurrency: number;
  requestTimeoutMs: number;
  done?: ItemOutcome[];
  onOutcome?: (outcome: ItemOutcome) => void;
}): Promise<ItemOutcome[]> {
  const state = await runGoldenPipeline({
    items: options.items,
    ...options.backends,
    concurrency: options.concurrency,
    requestTimeoutMs: options.requestTimeoutMs,
    ...(options.done ? { resume: { outcomes: options.done } } : {}),
    // Without scoring, progress is reported once per new outcome, the newest last.
    onProgress: (progress) => options.onOutcome?.(progress.outcomes[progress.outcomes.length - 1]!),
  });
  return state.outcomes;
}

const key = (outcome: Pick<ItemOutcome, 'side' | 'id'>) => `${outcome.side}/${outcome.id}`;

beforeAll(async () => {
  items = await loadGoldenDataset(DATASET);
  baseline = await startSimulatedBackend({ model: 'sim-support-base', behaviour: { ...QUICK, seed: 11 } });
  candidate = await startSimulatedBackend({ model: 'sim-support-cand', behaviour: { ...QUICK, seed: 12 } });
});

afterEach(() => {
  // Every test starts from healthy, quick backends.
  baseline.setBehaviour({ ...DEFAULT_BEHAVIOUR, ...QUICK, seed: 11 });
  candidate.setBehaviour({ ...DEFAULT_BEHAVIOUR, ...QUICK, seed: 12 });
});

afterAll(async () => {
  await Promise.all([baseline?.close(), candidate?.close()]);
});

describe('golden eval on simulated backends', () => {
  it('passes a healthy pair, running every item once on each side', async () => {
    const before = { baseline: baseline.stats().requests, candidate: candidate.stats().requests };
    const outcomes = await runItems({ items, backends: backends(), concurrency: 8, requestTimeoutMs: 10_000 });

    expect(outcomes).toHaveLength(40);
    expect(new Set(outcomes.map(key)).size).toBe(40);
    expect(outcomes.filter((o) => o.status === 'answered' && o.passed === true)).toHaveLength(40);
    expect(outcomes.every((o) => o.completionTokens !== null && o.completionTokens > 0)).toBe(true);
    expect(baseline.stats().requests - before.baseline).toBe(20);
    expect(candidate.stats().requests - before.candidate).toBe(20);

    const check = passRateCheck(outcomes, CONFIG);
    expect(check.outcome).toBe('pass');
    expect(check.reason).toBe('golden pass rate 100.0% vs baseline 100.0% (20/20 vs 20/20; 0 candidate errors)');
    expect([check.evidence]).toEqual([
      expect.objectContaining({
        metric: 'goldenPassRate',
        baseline: 1,
        candidate: 1,
        delta: 0,
        classification: 'pass',
        samples: { baseline: 20, candidate: 20 },
      }),
    ]);
  });

  it('fails a candidate that breaks every JSON answer, naming both pass rates', async () => {
    candidate.setBehaviour({ brokenJsonRate: 1 });
    const outcomes = await runItems({ items, backends: backends(), concurrency: 8, requestTimeoutMs: 10_000 });

    const failed = outcomes.filter((o) => o.passed === false);
    // Exactly the candidate's ten schema items fail, each because its answer is not JSON.
    expect(failed.map(key).sort()).toEqual(
      items
        .filter((i) => i.schema)
        .map((i) => `candidate/${i.id}`)
        .sort(),
    );
    expect(failed.every((o) => o.status === 'answered' && o.failures.join() === 'answer is not valid JSON')).toBe(true);
    // The prose items (regex checks) are untouched by broken JSON.
    expect(outcomes.filter((o) => o.side === 'candidate' && o.passed === true)).toHaveLength(10);

    const check = passRateCheck(outcomes, CONFIG);
    expect(check.outcome).toBe('fail');
    expect(check.reason).toBe(
      'golden pass rate 50.0% vs baseline 100.0% (10/20 vs 20/20; 0 candidate errors): below the minimum 90.0%',
    );
    expect(check.evidence).toMatchObject({ baseline: 1, candidate: 0.5, delta: -0.5, classification: 'low' });
  });

  it('fails on a regression beyond maxRegression even above the minimum pass rate', async () => {
    // 19/20 against 20/20 is a 5-point drop: above a 0.9 floor, beyond a 2-point allowance.
    const outcomes = await runItems({ items, backends: backends(), concurrency: 8, requestTimeoutMs: 10_000 });
    const one = outcomes.find((o) => o.side === 'candidate' && o.id === 'support-01')!;
    const degraded = outcomes.map((o) =>
      o === one ? { ...o, passed: false, failures: ['answer is not valid JSON'] } : o,
    );
    const check = passRateCheck(degraded, CONFIG);
    expect(check.outcome).toBe('fail');
    expect(check.reason).toBe(
      'golden pass rate 95.0% vs baseline 100.0% (19/20 vs 20/20; 0 candidate errors): dropped more than 2.0%',
    );
  });

  it('counts an unreachable candidate as errors that fail the eval, never as a silent pass', async () => {
    const closedPort = await freePort();
    const subset = items.slice(0, 4);
    const outcomes = await runItems({
      items: subset,
      backends: backends(`http://127.0.0.1:${closedPort}/v1`),
      concurrency: 8,
      requestTimeoutMs: 5_000,
    });

    const candidateOutcomes = outcomes.filter((o) => o.side === 'candidate');
    expect(candidateOutcomes).toHaveLength(4);
    for (const outcome of candidateOutcomes) {
      expect(outcome).toMatchObject({ status: 'error', passed: false, completionTokens: null });
      expect(outcome.failures).toHaveLength(1);
      expect(outcome.failures[0]).toMatch(/^no answer: Connection error/);
    }
    expect(summarize(outcomes, 'candidate')).toEqual({ items: 4, scored: 4, passed: 0, errors: 4, passRate: 0 });
    expect(summarize(outcomes, 'baseline')).toEqual({ items: 4, scored: 4, passed: 4, errors: 0, passRate: 1 });

    const check = passRateCheck(outcomes, CONFIG);
    expect(check.outcome).toBe('fail');
    expect(check.reason).toBe(
      'golden pass rate 0.0% vs baseline 100.0% (0/4 vs 4/4; 4 candidate errors): below the minimum 90.0%',
    );
  });

  it('scores an unanswered item as failed even when it has nothing to check', async () => {
    // Items without checks are unscored (null) when answered; an error must still count against
    // the side that did not answer, or a dead candidate would leave the eval "inconclusive".
    const unchecked = parseGoldenDataset(
      [1, 2, 3]
        .map((n) =>
          JSON.stringify({ id: `free-${n}`, messages: [{ role: 'user', content: `Tell me about plan ${n}` }] }),
        )
        .join('\n'),
      'unchecked.jsonl',
    );
    const healthy = await runItems({ items: unchecked, backends: backends(), concurrency: 4, requestTimeoutMs: 5_000 });
    expect(healthy.every((o) => o.status === 'answered' && o.passed === null)).toBe(true);
    const healthyCheck = passRateCheck(healthy, CONFIG);
    expect(healthyCheck.outcome).toBe('inconclusive');
    expect(healthyCheck.reason).toBe(
      'no golden item could be scored on both sides: golden pass rate: no scored candidate items (3 run, 0 candidate errors)',
    );

    const closedPort = await freePort();
    const dead = await runItems({
      items: unchecked,
      backends: backends(`http://127.0.0.1:${closedPort}/v1`),
      concurrency: 4,
      requestTimeoutMs: 5_000,
    });
    expect(summarize(dead, 'candidate')).toEqual({ items: 3, scored: 3, passed: 0, errors: 3, passRate: 0 });
    // The baseline scored nothing, but the candidate's own floor still applies: it failed every item.
    const deadCheck = passRateCheck(dead, CONFIG);
    expect(deadCheck.outcome).toBe('fail');
    expect(deadCheck.reason).toBe(
      'golden pass rate 0.0% with no scored baseline items (0/3; 3 candidate errors): below the minimum 90.0%',
    );
    expect(deadCheck.evidence).toMatchObject({ baseline: null, candidate: 0, delta: null, classification: 'low' });
  });

  it('resumes from earlier outcomes without sending their items again', async () => {
    // A retried activity passes its heartbeated outcomes as `done`.
    const first = await runItems({ items, backends: backends(), concurrency: 8, requestTimeoutMs: 10_000 });
    const firstTen = new Set(items.slice(0, 10).map((i) => i.id));
    const done = first.filter((o) => firstTen.has(o.id) || (o.id === 'support-11' && o.side === 'candidate'));
    expect(done).toHaveLength(21);

    const before = { baseline: baseline.stats().requests, candidate: candidate.stats().requests };
    const reported: ItemOutcome[] = [];
    const resumed = await runItems({
      items,
      backends: backends(),
      concurrency: 8,
      requestTimeoutMs: 10_000,
      done,
      onOutcome: (o) => reported.push(o),
    });

    // Items 11–20 on the baseline, 12–20 on the candidate: 19 requests in all.
    expect(baseline.stats().requests - before.baseline).toBe(10);
    expect(candidate.stats().requests - before.candidate).toBe(9);
    expect(reported).toHaveLength(19);
    expect(reported.some((o) => firstTen.has(o.id))).toBe(false);
    // The result is complete: every (item, side) exactly once, the earlier outcomes kept as they were.
    expect(resumed).toHaveLength(40);
    expect(new Set(resumed.map(key)).size).toBe(40);
    for (const outcome of done) expect(resumed).toContain(outcome);
  });

  it('does nothing when every item is already done', async () => {
    const first = await runItems({
      items: items.slice(0, 2),
      backends: backends(),
      concurrency: 2,
      requestTimeoutMs: 10_000,
    });
    const before = baseline.stats().requests + candidate.stats().requests;
    const again = await runItems({
      items: items.slice(0, 2),
      backends: backends(),
      concurrency: 2,
      requestTimeoutMs: 10_000,
      done: first,
    });
    expect(again).toEqual(first);
    expect(baseline.stats().requests + candidate.stats().requests).toBe(before);
  });

  it('keeps at most `concurrency` requests in flight across both backends', async () => {
    // 60 ms per request, 24 requests: the peak in flight shows the bound, the duration shows the
    // requests really were spread over time rather than fired at once.
    baseline.setBehaviour({ latencyMedianMs: 60 });
    candidate.setBehaviour({ latencyMedianMs: 60 });
    const twelve = items.slice(0, 12);
    for (const concurrency of [3, 1]) {
      let peak = 0;
      const sampler = setInterval(() => {
        const busy = ['baseline', 'candidate'].reduce((sum, side) => {
          const stats = (side === 'baseline' ? baseline : candidate).stats();
          return sum + stats.inFlight + stats.queued;
        }, 0);
        peak = Math.max(peak, busy);
      }, 2);
      const started = performance.now();
      try {
        const outcomes = await runItems({
          items: concurrency === 1 ? twelve.slice(0, 4) : twelve,
          backends: backends(),
          concurrency,
          requestTimeoutMs: 10_000,
        });
        expect(outcomes.every((o) => o.status === 'answered')).toBe(true);
      } finally {
        clearInterval(sampler);
      }
      const elapsed = performance.now() - started;
      expect(peak, `concurrency ${concurrency}`).toBe(concurrency);
      // 24 requests / 3 at a time × 60 ms ≥ 480 ms; 8 requests one at a time × 60 ms ≥ 480 ms.
      expect(elapsed).toBeGreaterThanOrEqual(450);
    }
  });
});

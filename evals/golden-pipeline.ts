// The golden eval's full run: every item on both backends (at most `concurrency` requests in flight
// across the two), and, as soon as an item has both answers, the LLM judge and the embedding
// similarity for it on their own bounded pools — so scoring overlaps the model calls and the run
// takes as long as the backends need, not longer.
//
// Resumable: the state (outcomes, judgements, and the full answers of items still waiting for the
// judge) is reported after every step for the activity to heartbeat; a retry passes it back and
// nothing finished is asked again.
import { setMaxListeners } from 'node:events';
import type { EmbeddingSimilarity, SimilarityResult } from './embedding-similarity';
import type { GoldenItem } from './golden-dataset';
import { runOne, type EvalBackend, type ItemOutcome, type Side } from './golden-eval-runner';
import { Limiter } from './limiter';
import type { LlmJudge, LlmJudgeVerdict } from './llm-judge';
import { openAiClient } from './openai-client';

export interface ItemJudgement {
  id: string;
  judge?: LlmJudgeVerdict;
  similarity?: SimilarityResult;
  /** Why the item was not judged (a side did not answer). */
  skipped?: string;
}

export interface PendingAnswer {
  id: string;
  side: Side;
  answer: string;
}

export interface GoldenRunState {
  outcomes: ItemOutcome[];
  judgements: ItemJudgement[];
  /** Full answers of items not judged yet, so a retry can judge them without asking again. */
  pending: PendingAnswer[];
}

export interface PipelineOptions {
  items: GoldenItem[];
  baseline: Omit<EvalBackend, 'side'>;
  candidate: Omit<EvalBackend, 'side'>;
  /** Model requests in flight at once, across both backends. */
  concurrency: number;
  requestTimeoutMs: number;
  retries?: number;
  judge?: { scorer: LlmJudge; concurrency: number };
  embeddings?: { scorer: EmbeddingSimilarity; concurrency: number };
  /** State from an earlier attempt (heartbeat details). */
  resume?: Partial<GoldenRunState>;
  onProgress?: (state: GoldenRunState) => void;
  signal?: AbortSignal;
}

const key = (id: string, side: Side) => `${side}\u0000${id}`;

export async function runGoldenPipeline(options: PipelineOptions): Promise<GoldenRunState> {
  const { items, signal } = options;
  const scoring = Boolean(options.judge || options.embeddings);
  const byId = new Map(items.map((item) => [item.id, item]));
  const answers = new Map<string, string>();
  for (const pending of options.resume?.pending ?? []) answers.set(key(pending.id, pending.side), pending.answer);
  const judgements = new Map<string, ItemJudgement>();
  for (const judgement of options.resume?.judgements ?? [])
    if (byId.has(judgement.id)) judgements.set(judgement.id, judgement);
  const outcomes = new Map<string, ItemOutcome>();
  for (const outcome of options.resume?.outcomes ?? [])
    if (byId.has(outcome.id)) outcomes.set(key(outcome.id, outcome.side), outcome);
  if (scoring) {
    // An answered outcome still waiting for the judge without its full answer (lost between two
    // heartbeats) is asked again rather than judged on nothing.
    for (const [k, outcome] of outcomes) {
      if (outcome.status === 'answered' && !judgements.has(outcome.id) && !answers.has(k)) outcomes.delete(k);
    }
  }

  // Append-only lists shared with every progress report (no copying per step; a report sent later
  // simply carries more).
  const outcomeList = [...outcomes.values()];
  const judgementList = [...judgements.values()];
  const state = (): GoldenRunState => ({
    outcomes: outcomeList,
    judgements: judgementList,
    pending: [...answers].map(([k, answer]) => {
      const [side, id] = k.split('\u0000') as [Side, string];
      return { id, side, answer };
    }),
  });
  const report = () => options.onProgress?.(state());

  const judgeLimiter = options.judge ? new Limiter(options.judge.concurrency) : null;
  const embedLimiter = options.embeddings ? new Limiter(options.embeddings.concurrency) : null;
  const scoringRuns: Array<Promise<void>> = [];
  let scoringFailure: { error: unknown } | null = null;

  const scoreItem = async (item: GoldenItem): Promise<void> => {
    const base = outcomes.get(key(item.id, 'baseline'))!;
    const cand = outcomes.get(key(item.id, 'candidate'))!;
    let judgement: ItemJudgement;
    if (base.status !== 'answered' || cand.status !== 'answered') {
      judgement = {
        id: item.id,
        skipped: `no answer from the ${base.status !== 'answered' ? 'baseline' : 'candidate'}`,
      };
    } else {
      const baseline = answers.get(key(item.id, 'baseline')) ?? '';
      const candidate = answers.get(key(item.id, 'candidate')) ?? '';
      const [judge, similarity] = await Promise.all([
        options.judge && judgeLimiter
          ? judgeLimiter.run(() =>
              options.judge!.scorer.judge({
                key: item.id,
                messages: item.messages,
                ...(item.match !== 'regex' && item.expected !== undefined ? { expected: item.expected } : {}),
                baseline,
                candidate,
                signal,
              }),
            )
          : undefined,
        options.embeddings && embedLimiter
          ? embedLimiter.run(() => options.embeddings!.scorer.similarity(baseline, candidate, signal))
          : undefined,
      ]);
      judgement = { id: item.id, ...(judge ? { judge } : {}), ...(similarity ? { similarity } : {}) };
    }
    judgements.set(item.id, judgement);
    judgementList.push(judgement);
    answers.delete(key(item.id, 'baseline'));
    answers.delete(key(item.id, 'candidate'));
    report();
  };
  const maybeScore = (id: string) => {
    if (!scoring || judgements.has(id)) return;
    if (!outcomes.has(key(id, 'baseline')) || !outcomes.has(key(id, 'candidate'))) return;
    // Handled at once, so a failure (only cancellation) never goes unobserved while models run.
    scoringRuns.push(
      scoreItem(byId.get(id)!).catch((error: unknown) => {
        scoringFailure ??= { error };
      }),
    );
  };
  // Items finished on both sides in an earlier attempt but not yet judged.
  for (const item of items) maybeScore(item.id);

  const clients = {
    baseline: {
      backend: { side: 'baseline' as const, ...options.baseline },
      client: openAiClient({
        ...options.baseline,
        requestTimeoutMs: options.requestTimeoutMs,
        retries: options.retries,
      }),
    },
    candidate: {
      backend: { side: 'candidate' as const, ...options.candidate },
      client: openAiClient({
        ...options.candidate,
        requestTimeoutMs: options.requestTimeoutMs,
        retries: options.retries,
      }),
    },
  };
  const tasks = items
    .flatMap((item) => (['baseline', 'candidate'] as const).map((side) => ({ item, side })))
    .filter((task) => !outcomes.has(key(task.item.id, task.side)));
  // Each request in flight (models, judge, embeddings) has one listener on the cancellation signal.
  if (signal)
    setMaxListeners(
      options.concurrency + (options.judge?.concurrency ?? 0) + (options.embeddings?.concurrency ?? 0) + 64,
      signal,
    );
  const modelLimiter = new Limiter(options.concurrency);
  const ask = (task: { item: GoldenItem; side: Side }) =>
    modelLimiter.run(async () => {
      if (signal?.aborted) throw signal.reason ?? new Error('golden eval cancelled');
      const { backend, client } = clients[task.side];
      const { outcome, answer } = await runOne(client, backend, task.item, signal);
      outcomes.set(key(outcome.id, outcome.side), outcome);
      outcomeList.push(outcome);
      if (scoring && outcome.status === 'answered') answers.set(key(outcome.id, outcome.side), answer);
      report();
      maybeScore(outcome.id);
    });
  // Model calls and scoring run side by side; a failure in either (only cancellation) ends the run.
  await Promise.all(tasks.map(ask));
  // Scoring runs started while the model calls ran; those started late are in the array too.
  for (let i = 0; i < scoringRuns.length; i++) await scoringRuns[i];
  if (scoringFailure) throw (scoringFailure as { error: unknown }).error;
  return state();
}

// Runs a golden dataset against two OpenAI-compatible backends with bounded concurrency. Items
// already done (from a previous attempt's heartbeat) are skipped, so a retried eval resumes.
// (golden-pipeline.ts adds the judge and embeddings on top of the same per-request code.)
import { setMaxListeners } from 'node:events';
import OpenAI from 'openai';
import { withLinkedSignal } from './abort-link';
import { scoreAnswer, type AnswerScores } from './answer-scores';
import { checkAnswer } from './exact-checks';
import type { GoldenItem } from './golden-dataset';

/** Characters of each answer kept for the report. */
export const EXCERPT_CHARS = 240;

export type Side = 'baseline' | 'candidate';

export interface EvalBackend {
  side: Side;
  baseUrl: string;
  model: string;
  apiKey?: string;
}

export interface ItemOutcome {
  id: string;
  side: Side;
  /** 'error': the backend did not answer (after the client's retries). */
  status: 'answered' | 'error';
  /** null when the item has nothing to check. */
  passed: boolean | null;
  failures: string[];
  latencyMs: number;
  completionTokens: number | null;
  /** The behavioral scores of the answer; absent when the backend did not answer. */
  scores?: AnswerScores;
  /** The start of the answer (EXCERPT_CHARS), for the report's side-by-side items. */
  excerpt?: string;
}

/** An outcome and the full answer text it scored ('' when the backend did not answer). */
export interface AnsweredOutcome {
  outcome: ItemOutcome;
  answer: string;
}

export function clientFor(backend: Pick<EvalBackend, 'baseUrl' | 'apiKey'>, requestTimeoutMs: number, retries = DEFAULT_RETRIES): OpenAI {
  return new OpenAI({ baseURL: backend.baseUrl, apiKey: backend.apiKey ?? 'unused', timeout: requestTimeoutMs, maxRetries: retries });
}

/** Retries per request after the first attempt (the SDK's, with exponential backoff). */
export const DEFAULT_RETRIES = 2;

export interface RunOptions {
  items: GoldenItem[];
  backends: EvalBackend[];
  concurrency: number;
  requestTimeoutMs: number;
  /** Retries per request after the first attempt (default 2). */
  retries?: number;
  /** Outcomes from an earlier attempt; their (item, side) pairs are not run again. */
  done?: ItemOutcome[];
  onOutcome?: (outcome: ItemOutcome) => void;
  signal?: AbortSignal;
}

export async function runGoldenItems(options: RunOptions): Promise<ItemOutcome[]> {
  const outcomes = [...(options.done ?? [])];
  const finished = new Set(outcomes.map((outcome) => `${outcome.side}\u0000${outcome.id}`));
  const clients = new Map(
    options.backends.map((backend) => [
      backend.side,
      { backend, client: clientFor(backend, options.requestTimeoutMs, options.retries) },
    ]),
  );
  const tasks = options.items.flatMap((item) => options.backends.map((backend) => ({ item, side: backend.side }))).filter((task) => !finished.has(`${task.side}\u0000${task.item.id}`));

  // Every request in flight listens on the cancellation signal.
  if (options.signal) setMaxListeners(options.concurrency * 4 + 16, options.signal);
  let next = 0;
  const worker = async () => {
    while (next < tasks.length) {
      if (options.signal?.aborted) throw options.signal.reason ?? new Error('golden eval cancelled');
      const task = tasks[next++]!;
      const { backend, client } = clients.get(task.side)!;
      const { outcome } = await runOne(client, backend, task.item, options.signal);
      outcomes.push(outcome);
      options.onOutcome?.(outcome);
    }
  };
  await Promise.all(Array.from({ length: Math.min(options.concurrency, tasks.length) }, worker));
  return outcomes;
}

/** Asks one backend one golden item and scores the answer; a backend that does not answer is an 'error' outcome. */
export async function runOne(client: OpenAI, backend: EvalBackend, item: GoldenItem, signal?: AbortSignal): Promise<AnsweredOutcome> {
  const started = performance.now();
  try {
    const response = await withLinkedSignal(signal, (linked) =>
      client.chat.completions.create({ model: backend.model, messages: item.messages, ...(item.schema ? { response_format: { type: 'json_object' as const } } : {}) }, { signal: linked }),
    );
    const answer = response.choices[0]?.message?.content ?? '';
    const check = checkAnswer(item, answer);
    const completionTokens = response.usage?.completion_tokens ?? null;
    return {
      answer,
      outcome: {
        id: item.id,
        side: backend.side,
        status: 'answered',
        passed: check.passed,
        failures: check.failures,
        latencyMs: Math.round(performance.now() - started),
        completionTokens,
        scores: scoreAnswer(item, answer, completionTokens),
        excerpt: answer.length > EXCERPT_CHARS ? `${answer.slice(0, EXCERPT_CHARS)}…` : answer,
      },
    };
  } catch (error) {
    if (signal?.aborted) throw error;
    return {
      answer: '',
      outcome: {
        id: item.id,
        side: backend.side,
        status: 'error',
        passed: false,
        failures: [`no answer: ${(error as Error).message}`],
        latencyMs: Math.round(performance.now() - started),
        completionTokens: null,
      },
    };
  }
}

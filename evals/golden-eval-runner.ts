// Runs a golden dataset against two OpenAI-compatible backends with bounded concurrency. Items
// already done (from a previous attempt's heartbeat) are skipped, so a retried eval resumes.
import { setMaxListeners } from 'node:events';
import OpenAI from 'openai';
import { checkAnswer } from './exact-checks';
import type { GoldenItem } from './golden-dataset';

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
}

export interface RunOptions {
  items: GoldenItem[];
  backends: EvalBackend[];
  concurrency: number;
  requestTimeoutMs: number;
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
      { backend, client: new OpenAI({ baseURL: backend.baseUrl, apiKey: backend.apiKey ?? 'unused', timeout: options.requestTimeoutMs, maxRetries: 2 }) },
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
      const outcome = await runOne(client, backend, task.item, options.signal);
      outcomes.push(outcome);
      options.onOutcome?.(outcome);
    }
  };
  await Promise.all(Array.from({ length: Math.min(options.concurrency, tasks.length) }, worker));
  return outcomes;
}

async function runOne(client: OpenAI, backend: EvalBackend, item: GoldenItem, signal?: AbortSignal): Promise<ItemOutcome> {
  const started = performance.now();
  try {
    const response = await client.chat.completions.create(
      { model: backend.model, messages: item.messages, ...(item.schema ? { response_format: { type: 'json_object' as const } } : {}) },
      { signal },
    );
    const answer = response.choices[0]?.message?.content ?? '';
    const check = checkAnswer(item, answer);
    return {
      id: item.id,
      side: backend.side,
      status: 'answered',
      passed: check.passed,
      failures: check.failures,
      latencyMs: Math.round(performance.now() - started),
      completionTokens: response.usage?.completion_tokens ?? null,
    };
  } catch (error) {
    if (signal?.aborted) throw error;
    return {
      id: item.id,
      side: backend.side,
      status: 'error',
      passed: false,
      failures: [`no answer: ${(error as Error).message}`],
      latencyMs: Math.round(performance.now() - started),
      completionTokens: null,
    };
  }
}

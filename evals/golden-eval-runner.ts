// Asks one backend one golden item and scores the answer: the per-request step of the golden
// eval (golden-pipeline.ts runs every item on both sides, bounded, and resumes).
import type OpenAI from 'openai';
import type { ChatCompletionCreateParamsNonStreaming } from 'openai/resources/chat/completions';
import { applyConfigBundle, type ConfigBundle } from '../lib/config-bundle';
import { withLinkedSignal } from './abort-link';
import { scoreAnswer, type AnswerScores } from './answer-scores';
import { phrasingText } from './phrasing-metric';
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
  /** Applied to every item's request, as the gateway applies it to live traffic. */
  config?: ConfigBundle;
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
  /** The answer for the phrasing check (phrasingText: whole, or its start and end). */
  text?: string;
}

/** An outcome and the full answer text it scored ('' when the backend did not answer). */
export interface AnsweredOutcome {
  outcome: ItemOutcome;
  answer: string;
}

/** Asks one backend one golden item and scores the answer; a backend that does not answer is an 'error' outcome. */
export async function runOne(
  client: OpenAI,
  backend: EvalBackend,
  item: GoldenItem,
  signal?: AbortSignal,
): Promise<AnsweredOutcome> {
  const started = performance.now();
  try {
    const response = await withLinkedSignal(signal, (linked) =>
      client.chat.completions.create(
        withBundle(
          {
            ...(item.params as Omit<ChatCompletionCreateParamsNonStreaming, 'model' | 'messages'> | undefined),
            model: backend.model,
            messages: item.messages,
            ...(item.schema ? { response_format: { type: 'json_object' as const } } : {}),
          },
          backend.config,
        ),
        { signal: linked },
      ),
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
        text: phrasingText(answer),
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

/** The item's request as the backend's bundle makes it (the bundle never sets the model). */
function withBundle(
  request: OpenAI.Chat.ChatCompletionCreateParamsNonStreaming,
  bundle: ConfigBundle | undefined,
): OpenAI.Chat.ChatCompletionCreateParamsNonStreaming {
  if (!bundle) return request;
  return applyConfigBundle(
    request as unknown as Record<string, unknown>,
    bundle,
  ) as unknown as OpenAI.Chat.ChatCompletionCreateParamsNonStreaming;
}

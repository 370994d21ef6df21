// OpenAI-shaped response bodies produced by the simulated backend.
import type { ChatAnswer } from './chat-answer';

export function chatCompletionBody(id: string, model: string, answer: ChatAnswer, created: number) {
  return {
    id,
    object: 'chat.completion',
    created,
    model,
    choices: [
      { index: 0, message: { role: 'assistant', content: answer.content }, finish_reason: answer.finishReason },
    ],
    usage: {
      prompt_tokens: answer.promptTokens,
      completion_tokens: answer.completionTokens,
      total_tokens: answer.promptTokens + answer.completionTokens,
    },
  };
}

/** Server-sent event lines for a streamed completion, ending with `data: [DONE]`. */
export function chatCompletionEvents(
  id: string,
  model: string,
  answer: ChatAnswer,
  created: number,
  includeUsage: boolean,
): string[] {
  const chunk = (delta: Record<string, string>, finishReason: string | null) => ({
    id,
    object: 'chat.completion.chunk',
    created,
    model,
    choices: [{ index: 0, delta, finish_reason: finishReason }],
  });
  const pieces = answer.content.match(/\S+\s*|\s+/g) ?? [];
  const events: unknown[] = [chunk({ role: 'assistant', content: '' }, null)];
  // A few words per event, like a token stream.
  for (let i = 0; i < pieces.length; i += 4) events.push(chunk({ content: pieces.slice(i, i + 4).join('') }, null));
  events.push(chunk({}, answer.finishReason));
  if (includeUsage) {
    events.push({
      id,
      object: 'chat.completion.chunk',
      created,
      model,
      choices: [],
      usage: {
        prompt_tokens: answer.promptTokens,
        completion_tokens: answer.completionTokens,
        total_tokens: answer.promptTokens + answer.completionTokens,
      },
    });
  }
  return [...events.map((e) => `data: ${JSON.stringify(e)}\n\n`), 'data: [DONE]\n\n'];
}

export function embeddingsBody(model: string, vectors: number[][], promptTokens: number) {
  return {
    object: 'list',
    model,
    data: vectors.map((embedding, index) => ({ object: 'embedding', index, embedding })),
    usage: { prompt_tokens: promptTokens, total_tokens: promptTokens },
  };
}

export function simulatedFailureBody(status: 500 | 503) {
  return status === 500
    ? {
        error: {
          message: 'simulated internal error (llm-rollout simulator)',
          type: 'server_error',
          code: 'simulated_failure',
        },
      }
    : {
        error: {
          message: 'simulated overload: backend temporarily unavailable (llm-rollout simulator)',
          type: 'service_unavailable',
          code: 'simulated_overload',
        },
      };
}

export function errorBody(type: string, message: string) {
  return { error: { message, type } };
}

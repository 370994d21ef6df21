// What a simulated chat completion says, given the request and this request's random draws:
// a refusal, a JSON answer (valid or truncated), or prose; then cut to max_tokens if asked.
import type { Behaviour } from './behaviour';
import type { ChatRequest } from './openai-requests';
import type { RequestDraws } from './request-draws';
import { answerText, approxTokens, brokenJsonAnswer, jsonAnswer, refusalText, targetTokens } from './text-generation';

export interface ChatAnswer {
  content: string;
  finishReason: 'stop' | 'length';
  promptTokens: number;
  completionTokens: number;
}

export function chatAnswer(request: ChatRequest, draws: RequestDraws, behaviour: Behaviour): ChatAnswer {
  const { prompt } = request;
  const tokens = targetTokens(prompt, behaviour.seed, behaviour.meanCompletionTokens);
  let content: string;
  if (draws.refuse) content = refusalText(prompt, behaviour.seed);
  else if (request.wantsJson) {
    const json = jsonAnswer(prompt, behaviour.seed, tokens);
    content = draws.breakJson ? brokenJsonAnswer(json) : json;
  } else content = answerText(prompt, behaviour.seed, tokens);

  let finishReason: ChatAnswer['finishReason'] = 'stop';
  if (request.maxTokens !== null && approxTokens(content) > request.maxTokens) {
    content = content.slice(0, request.maxTokens * 4);
    finishReason = 'length';
  }
  return { content, finishReason, promptTokens: approxTokens(prompt), completionTokens: approxTokens(content) };
}

// What a simulated chat completion says, given the request and this request's random draws:
// a grading request gets the simulated judge's scores; otherwise a refusal (drawn, or on a
// refused topic), a JSON answer (valid, truncated, or with drifted fields) or prose, in the
// backend's answer style; then cut to max_tokens if asked.
import type { Behaviour } from './behaviour';
import { refusesTopic, styledJson, styledProse, type AnswerStyle } from './answer-style';
import { isJudgeRequest, judgeAnswer } from './judge-answer';
import type { ChatRequest } from './openai-requests';
import type { RequestDraws } from './request-draws';
import { approxTokens, brokenJsonAnswer, refusalText, targetTokens } from './text-generation';

export interface ChatAnswer {
  content: string;
  finishReason: 'stop' | 'length';
  promptTokens: number;
  completionTokens: number;
}

export function chatAnswer(request: ChatRequest, draws: RequestDraws, behaviour: Behaviour): ChatAnswer {
  const { prompt } = request;
  let content: string;
  if (isJudgeRequest(request)) content = judgeAnswer(request, behaviour);
  else {
    const tokens = targetTokens(prompt, behaviour.seed, behaviour.meanCompletionTokens);
    const textSeed = behaviour.contentSeed ?? behaviour.seed;
    const style: AnswerStyle = behaviour;
    if (draws.refuse || refusesTopic(request.user, behaviour.refusalTopics))
      content = refusalText(prompt, behaviour.seed);
    else if (request.wantsJson) {
      const json = styledJson(prompt, textSeed, behaviour.seed, tokens, style);
      content = draws.breakJson ? brokenJsonAnswer(json) : json;
    } else content = styledProse(prompt, textSeed, behaviour.seed, tokens, style);
  }

  let finishReason: ChatAnswer['finishReason'] = 'stop';
  if (request.maxTokens !== null && approxTokens(content) > request.maxTokens) {
    content = content.slice(0, request.maxTokens * 4);
    finishReason = 'length';
  }
  return { content, finishReason, promptTokens: approxTokens(prompt), completionTokens: approxTokens(content) };
}

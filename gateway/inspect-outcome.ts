// Turns an upstream outcome into the facts the gateway records: content, token usage, refusal
// and JSON validity. Only successful (2xx) answers are judged for refusal/JSON; an error body is
// not an answer.
import { isRefusal } from '../lib/refusal';
import { asksForJson, isValidJson, summarizeEventStream, summarizeJsonBody } from './response-inspection';
import type { AnswerSummary } from './response-inspection';
import type { UpstreamOutcome, UpstreamPath } from './upstream';

export interface InspectedAnswer extends AnswerSummary {
  refusal: boolean;
  /** null when the request did not ask for JSON output or the call did not succeed. */
  validJson: boolean | null;
}

export function inspectOutcome(
  outcome: UpstreamOutcome,
  path: UpstreamPath,
  requestBody: Record<string, unknown>,
): InspectedAnswer {
  if (outcome.failure !== null)
    return { content: null, promptTokens: 0, completionTokens: 0, refusal: false, validJson: null };
  const streamed = outcome.contentType.includes('text/event-stream');
  const { content, promptTokens, completionTokens } = streamed
    ? summarizeEventStream(outcome.bodyText)
    : summarizeJsonBody(outcome.bodyText);
  const ok = outcome.status >= 200 && outcome.status < 300;
  // One object literal per answer (no spreads): this runs for every live and shadow exchange.
  if (!ok || path !== 'chat/completions')
    return { content: ok ? content : null, promptTokens, completionTokens, refusal: false, validJson: null };
  return {
    content,
    promptTokens,
    completionTokens,
    refusal: isRefusal(content),
    validJson: asksForJson(requestBody) ? isValidJson(content) : null,
  };
}

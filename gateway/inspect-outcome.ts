// Turns an upstream outcome into the facts the gateway records: content, token usage, refusal
// and JSON validity. Only successful (2xx) answers are judged for refusal/JSON; an error body is
// not an answer.
import { asksForJson, isRefusal, isValidJson, summarizeEventStream, summarizeJsonBody } from './response-inspection';
import type { AnswerSummary } from './response-inspection';
import type { UpstreamOutcome, UpstreamPath } from './upstream';

export interface InspectedAnswer extends AnswerSummary {
  refusal: boolean;
  /** null when the request did not ask for JSON output or the call did not succeed. */
  validJson: boolean | null;
}

export function inspectOutcome(outcome: UpstreamOutcome, path: UpstreamPath, requestBody: Record<string, unknown>): InspectedAnswer {
  if (outcome.failure !== null) return { content: null, promptTokens: 0, completionTokens: 0, refusal: false, validJson: null };
  const streamed = outcome.contentType.includes('text/event-stream');
  const summary = streamed ? summarizeEventStream(outcome.bodyText) : summarizeJsonBody(outcome.bodyText);
  const ok = outcome.status >= 200 && outcome.status < 300;
  if (!ok || path !== 'chat/completions') return { ...summary, content: ok ? summary.content : null, refusal: false, validJson: null };
  return {
    ...summary,
    refusal: isRefusal(summary.content),
    validJson: asksForJson(requestBody) ? isValidJson(summary.content) : null,
  };
}

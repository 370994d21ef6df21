// What the gateway learns from each upstream answer: token usage, whether the assistant refused,
// and (when the request asked for JSON) whether the answer is valid JSON. These feed the
// per-request records and the flagged-response counters the canary judge compares.

/** True when the request asked for JSON output via `response_format`. */
export function asksForJson(body: Record<string, unknown>): boolean {
  const format = body.response_format;
  if (typeof format !== 'object' || format === null) return false;
  const type = (format as { type?: unknown }).type;
  return type === 'json_object' || type === 'json_schema';
}

/**
 * Strict parse of the whole content, as a client calling JSON.parse would do: markdown fences
 * or trailing prose count as invalid.
 */
export function isValidJson(content: string | null): boolean {
  if (content === null) return false;
  try {
    JSON.parse(content);
    return true;
  } catch {
    return false;
  }
}

export interface AnswerSummary {
  /** The assistant message content; null for embeddings or unparseable bodies. */
  content: string | null;
  promptTokens: number;
  completionTokens: number;
}

const EMPTY_ANSWER: AnswerSummary = { content: null, promptTokens: 0, completionTokens: 0 };

/** Extracts content and usage from a non-streamed OpenAI JSON response body. */
export function summarizeJsonBody(bodyText: string): AnswerSummary {
  let parsed: unknown;
  try {
    parsed = JSON.parse(bodyText);
  } catch {
    return { ...EMPTY_ANSWER };
  }
  if (typeof parsed !== 'object' || parsed === null) return { ...EMPTY_ANSWER };
  const body = parsed as { choices?: unknown; usage?: unknown };
  return { content: firstChoiceText(body.choices, 'message'), ...usageOf(body.usage) };
}

/**
 * Reassembles a streamed (server-sent events) chat completion: concatenates the delta contents
 * and takes usage from whichever chunk carries it (only sent when the client asked for
 * `stream_options.include_usage`).
 */
export function summarizeEventStream(streamText: string): AnswerSummary {
  let content: string | null = null;
  let usage = { promptTokens: 0, completionTokens: 0 };
  for (const line of streamText.split(/\r?\n/)) {
    if (!line.startsWith('data:')) continue;
    const data = line.slice(5).trim();
    if (data === '' || data === '[DONE]') continue;
    let chunk: { choices?: unknown; usage?: unknown } | null;
    try {
      chunk = JSON.parse(data) as typeof chunk;
    } catch {
      continue;
    }
    // `data: null` parses too; an event that is not an object carries nothing.
    if (typeof chunk !== 'object' || chunk === null) continue;
    const piece = firstChoiceText(chunk.choices, 'delta');
    if (piece !== null) content = (content ?? '') + piece;
    if (chunk.usage) usage = usageOf(chunk.usage);
  }
  return { content, ...usage };
}

function firstChoiceText(choices: unknown, field: 'message' | 'delta'): string | null {
  if (!Array.isArray(choices) || choices.length === 0) return null;
  const holder = (choices[0] as Record<string, unknown> | null)?.[field];
  if (typeof holder !== 'object' || holder === null) return null;
  const content = (holder as { content?: unknown }).content;
  return typeof content === 'string' ? content : null;
}

function usageOf(usage: unknown): { promptTokens: number; completionTokens: number } {
  if (typeof usage !== 'object' || usage === null) return { promptTokens: 0, completionTokens: 0 };
  const u = usage as { prompt_tokens?: unknown; completion_tokens?: unknown };
  return { promptTokens: nonNegativeInt(u.prompt_tokens), completionTokens: nonNegativeInt(u.completion_tokens) };
}

function nonNegativeInt(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? Math.floor(value) : 0;
}

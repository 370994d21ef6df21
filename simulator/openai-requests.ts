// Validation of the OpenAI-style request bodies the simulated backend accepts. Only the fields
// the simulator uses are checked; others (temperature, tools, ...) are accepted and ignored, as
// a lenient inference server would.
import { z } from 'zod';
import { parseFields } from './zod-errors';

const messageSchema = z.object({
  role: z.string('must be a string'),
  content: z.union([z.string(), z.array(z.unknown()), z.null()], 'must be a string, an array of parts, or null'),
});

const chatSchema = z.object({
  model: z.string('must be a string').optional(),
  messages: z.array(messageSchema, 'must be an array of messages').min(1, 'must contain at least one message'),
  response_format: z.object({ type: z.string('must be a string') }).optional(),
  max_tokens: z.int('must be an integer').min(1, 'must be >= 1').optional(),
  max_completion_tokens: z.int('must be an integer').min(1, 'must be >= 1').optional(),
  stream: z.boolean('must be a boolean').optional(),
  stream_options: z.object({ include_usage: z.boolean().optional() }).optional(),
});

const embeddingsSchema = z.object({
  model: z.string('must be a string').optional(),
  input: z.union([z.string(), z.array(z.string()).min(1)], 'must be a string or a non-empty array of strings'),
});

export interface ChatRequest {
  model: string | undefined;
  /** All messages as "role: text" lines; the answer text is derived from this. */
  prompt: string;
  /** The system messages' text, joined by newlines (the simulated judge reads its instructions here). */
  system: string;
  /** The user messages' text, joined by newlines (topic refusals look here). */
  user: string;
  wantsJson: boolean;
  maxTokens: number | null;
  stream: boolean;
  includeUsage: boolean;
}

export interface EmbeddingsRequest {
  model: string | undefined;
  inputs: string[];
}

function parse<S extends z.ZodType>(schema: S, body: unknown): z.output<S> {
  return parseFields(schema, body, 'body');
}

function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content
    .map((part: { type?: unknown; text?: unknown } | null) => (part && typeof part.text === 'string' ? part.text : ''))
    .join('\n');
}

export function parseChatRequest(body: unknown): ChatRequest {
  const chat = parse(chatSchema, body);
  const formatType = chat.response_format?.type;
  return {
    model: chat.model,
    prompt: chat.messages.map((m) => `${m.role}: ${textOf(m.content)}`).join('\n'),
    system: chat.messages
      .filter((m) => m.role === 'system' || m.role === 'developer')
      .map((m) => textOf(m.content))
      .join('\n'),
    user: chat.messages
      .filter((m) => m.role === 'user')
      .map((m) => textOf(m.content))
      .join('\n'),
    wantsJson: formatType === 'json_object' || formatType === 'json_schema',
    maxTokens: chat.max_completion_tokens ?? chat.max_tokens ?? null,
    stream: chat.stream ?? false,
    includeUsage: chat.stream_options?.include_usage ?? false,
  };
}

export function parseEmbeddingsRequest(body: unknown): EmbeddingsRequest {
  const request = parse(embeddingsSchema, body);
  return { model: request.model, inputs: typeof request.input === 'string' ? [request.input] : request.input };
}

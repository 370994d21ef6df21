// A backend's configuration bundle: what a prompt or settings rollout changes while the model may
// stay the same. The gateway applies it to every chat request it routes to that backend, and the
// golden eval applies it to the requests it sends, so both see the backend as users will.
//
// Deterministic and free of Node built-ins: the plan schema and the workflow import it (the
// workflow records each side's digest), as does the gateway.
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js';
import stableStringify from 'fast-json-stable-stringify';
import { z } from 'zod';

/** A system prompt is a few pages at most; the plan (and so the workflow's history) holds its text. */
export const MAX_SYSTEM_PROMPT_CHARS = 100_000;
/** The bundle as JSON: prompts, tools and extra fields together stay well inside a Temporal payload. */
export const MAX_BUNDLE_JSON_CHARS = 256_000;

/**
 * Request fields a bundle may not set through `extraBody`: the route and the conversation are the
 * client's, streaming is the client's choice, and the rest have their own field in the bundle.
 */
const RESERVED_EXTRA_FIELDS: Record<string, string> = {
  model: 'the model is the backend’s own `model`',
  messages: 'the conversation is the client’s; use systemPrompt',
  stream: 'streaming is the client’s choice',
  stream_options: 'streaming is the client’s choice',
  temperature: 'use sampling.temperature',
  top_p: 'use sampling.top_p',
  max_tokens: 'use sampling.max_tokens',
  max_completion_tokens: 'use sampling.max_tokens',
  seed: 'use sampling.seed',
  stop: 'use sampling.stop',
  presence_penalty: 'use sampling.presence_penalty',
  frequency_penalty: 'use sampling.frequency_penalty',
  tools: 'use tools',
  tool_choice: 'use toolChoice',
};

const samplingSchema = z.strictObject({
  temperature: z.number().min(0, 'must be 0–2').max(2, 'must be 0–2').optional(),
  top_p: z.number().min(0, 'must be 0–1').max(1, 'must be 0–1').optional(),
  max_tokens: z.int('must be a whole number').min(1, 'must be ≥ 1').max(1_000_000, 'must be ≤ 1000000').optional(),
  seed: z.int('must be a whole number').optional(),
  stop: z.union([z.string().min(1), z.array(z.string().min(1)).min(1).max(4, 'at most 4 stop sequences')]).optional(),
  presence_penalty: z.number().min(-2, 'must be -2–2').max(2, 'must be -2–2').optional(),
  frequency_penalty: z.number().min(-2, 'must be -2–2').max(2, 'must be -2–2').optional(),
});

const jsonValue: z.ZodType<unknown> = z.lazy(() =>
  z.union([z.string(), z.number(), z.boolean(), z.null(), z.array(jsonValue), z.record(z.string(), jsonValue)]),
);

/** An OpenAI function tool, as the chat API takes it. */
const toolSchema = z.looseObject({
  type: z.literal('function', 'only function tools are supported'),
  function: z.looseObject({
    name: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'letters, digits, "_" or "-", at most 64 characters'),
    description: z.string().optional(),
    parameters: z.record(z.string(), jsonValue).optional(),
  }),
});

/** The bundle's fields; the plan's schema adds where a system prompt may come from (a file next to the plan). */
export const configBundleShape = {
  /** Sent as the first system message of every chat request. */
  systemPrompt: z
    .string()
    .min(1, 'must not be empty')
    .max(MAX_SYSTEM_PROMPT_CHARS, 'at most 100000 characters')
    .optional(),
  /** prepend: before the client's own system messages; replace: instead of them. */
  systemPromptMode: z.enum(['prepend', 'replace']).default('prepend'),
  /** Sampling settings; each replaces what the client sent. */
  sampling: samplingSchema.optional(),
  /** Further request fields (say `reasoning_effort`), each replacing the client's. */
  extraBody: z.record(z.string(), jsonValue).optional(),
  /** Tools offered to the model, replacing the client's. */
  tools: z.array(toolSchema).min(1, 'list at least one tool, or leave tools out').max(128).optional(),
  toolChoice: z
    .union([
      z.enum(['auto', 'none', 'required']),
      z.strictObject({ type: z.literal('function'), function: z.strictObject({ name: z.string().min(1) }) }),
    ])
    .optional(),
};

/** Problems zod cannot say field by field: reserved extra fields, a tool choice naming no tool, the size. */
export function configBundleProblems(bundle: ConfigBundle): Array<[Array<string | number>, string]> {
  const problems: Array<[Array<string | number>, string]> = [];
  for (const field of Object.keys(bundle.extraBody ?? {})) {
    const why = RESERVED_EXTRA_FIELDS[field];
    if (why) problems.push([['extraBody', field], `extraBody cannot set ${field}: ${why}`]);
  }
  const choice = bundle.toolChoice;
  if (choice !== undefined && choice !== 'none' && !bundle.tools)
    problems.push([['toolChoice'], 'toolChoice needs tools in the same bundle']);
  if (typeof choice === 'object' && bundle.tools && !bundle.tools.some((t) => t.function.name === choice.function.name))
    problems.push([['toolChoice', 'function', 'name'], `no tool named '${choice.function.name}' in tools`]);
  const size = JSON.stringify(bundle).length;
  if (size > MAX_BUNDLE_JSON_CHARS)
    problems.push([[], `the bundle is ${size} characters as JSON; at most ${MAX_BUNDLE_JSON_CHARS}`]);
  return problems;
}

export const configBundleSchema = z.strictObject(configBundleShape).superRefine((bundle, ctx) => {
  for (const [path, message] of configBundleProblems(bundle)) ctx.addIssue({ code: 'custom', path, message });
});

export type ConfigBundle = z.output<typeof configBundleSchema>;

/** What identifies a bundle in the rollout's record, status and report: `sha256:` and 64 hex digits. */
export function configDigest(bundle: ConfigBundle | undefined): string | null {
  if (!bundle) return null;
  return `sha256:${bytesToHex(sha256(utf8ToBytes(stableStringify(bundle))))}`;
}

/** A digest short enough to read in a line of text. */
export function shortDigest(digest: string): string {
  return digest.slice(0, 'sha256:'.length + 12);
}

/**
 * The chat request a backend with this bundle is sent (the `model` is still the client's; the
 * caller sets the backend's). The client's body is not changed.
 */
export function applyConfigBundle(body: Record<string, unknown>, bundle: ConfigBundle): Record<string, unknown> {
  const applied: Record<string, unknown> = { ...body, ...bundle.extraBody, ...bundle.sampling };
  if (bundle.sampling?.max_tokens !== undefined) delete applied.max_completion_tokens;
  if (bundle.tools) applied.tools = bundle.tools;
  if (bundle.toolChoice !== undefined) applied.tool_choice = bundle.toolChoice;
  if (bundle.systemPrompt !== undefined && Array.isArray(body.messages)) {
    const kept =
      bundle.systemPromptMode === 'replace'
        ? body.messages.filter((m) => !isInstruction(m))
        : (body.messages as unknown[]);
    applied.messages = [{ role: 'system', content: bundle.systemPrompt }, ...kept];
  }
  return applied;
}

function isInstruction(message: unknown): boolean {
  const role = (message as { role?: unknown } | null)?.role;
  return role === 'system' || role === 'developer';
}

/** One line for `plan check`, the timeline and the report: what the bundle sets, not its whole text. */
export function describeConfigBundle(bundle: ConfigBundle, source?: string): string {
  const parts: string[] = [];
  if (bundle.systemPrompt !== undefined) {
    const from = source ? ` from ${source}` : '';
    parts.push(`system prompt (${bundle.systemPromptMode}, ${bundle.systemPrompt.length} characters${from})`);
  }
  const sampling = Object.entries(bundle.sampling ?? {}).map(([key, value]) => `${key} ${JSON.stringify(value)}`);
  if (sampling.length) parts.push(sampling.join(', '));
  if (bundle.tools) parts.push(`${bundle.tools.length} tool${bundle.tools.length === 1 ? '' : 's'}`);
  if (bundle.toolChoice !== undefined)
    parts.push(
      `tool choice ${typeof bundle.toolChoice === 'string' ? bundle.toolChoice : bundle.toolChoice.function.name}`,
    );
  const extra = Object.keys(bundle.extraBody ?? {});
  if (extra.length) parts.push(`extra ${extra.join(', ')}`);
  return parts.length ? parts.join('; ') : 'no settings';
}

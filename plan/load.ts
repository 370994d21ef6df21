// Reads a plan file (YAML or JSON) from disk for the CLI and the demo. Relative paths inside the
// plan (the golden dataset) are resolved against the plan file's folder, so the workflow carries
// absolute paths the worker can open.
import { readFile, stat } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { MAX_SYSTEM_PROMPT_CHARS } from '../lib/config-bundle';
import { parsePlan, PlanValidationError, type RolloutPlan } from './schema';

/** A plan is a few kilobytes; past this the file is not a plan, and parsing it could take minutes and gigabytes. */
export const MAX_PLAN_FILE_BYTES = 1024 * 1024;
/**
 * YAML aliases expanded per document ("billion laughs": each alias of an alias multiplies the
 * value). The yaml package's own default, written here so an upgrade cannot lift it.
 */
const MAX_ALIAS_COUNT = 100;

export async function loadPlanFile(path: string): Promise<RolloutPlan> {
  const text = await readBoundedText(path, MAX_PLAN_FILE_BYTES, 'a plan file', '1 MiB');
  const format = path.endsWith('.json') ? 'JSON' : 'YAML';
  if (!text.trim()) throw new PlanValidationError([`${path}: the file is empty`]);
  let raw: unknown;
  try {
    // Warnings (an unknown tag, say) are not printed: the value is read as a string, and the schema says what is wrong with it.
    raw = format === 'JSON' ? JSON.parse(text) : parseYaml(text, { maxAliasCount: MAX_ALIAS_COUNT, logLevel: 'error' });
  } catch (error) {
    // The yaml package reads nesting recursively; thousands of levels deep it runs out of stack.
    const why = /Maximum call stack size exceeded/.test((error as Error).message)
      ? `nested too deeply to read (a plan is nested a few levels)`
      : (error as Error).message;
    throw new PlanValidationError([`${path} is not valid ${format}: ${why}`]);
  }
  await inlineSystemPrompts(raw, path);
  const plan = parsePlan(raw);
  for (const stage of [plan.stages.goldenEval, plan.stages.replay]) {
    if (stage.dataset && !isAbsolute(stage.dataset)) stage.dataset = resolve(dirname(path), stage.dataset);
  }
  return plan;
}

/**
 * Reads each backend's `config.systemPromptFile` (relative to the plan's folder) into
 * `config.systemPrompt`, so the workflow carries the text itself; the file's name stays beside it.
 */
async function inlineSystemPrompts(raw: unknown, planPath: string): Promise<void> {
  const backends = field(raw, 'backends');
  for (const side of ['baseline', 'candidate']) {
    const config = field(field(backends, side), 'config');
    const file = field(config, 'systemPromptFile');
    if (typeof file !== 'string' || file === '') continue; // the schema says what is wrong with it
    const where = `backends.${side}.config`;
    if (field(config, 'systemPrompt') !== undefined)
      throw new PlanValidationError([`${where}: give systemPrompt or systemPromptFile, not both`]);
    const text = await readBoundedText(
      resolve(dirname(planPath), file),
      MAX_SYSTEM_PROMPT_CHARS * 4,
      'a system prompt file',
      `room for ${MAX_SYSTEM_PROMPT_CHARS} characters`,
    ).catch((error: unknown) => {
      throw new PlanValidationError([
        `${where}.systemPromptFile: ${(error as PlanValidationError).problems.join('; ')}`,
      ]);
    });
    // A trailing newline is how editors end files, not part of the prompt.
    (config as Record<string, unknown>).systemPrompt = text.replace(/\r?\n$/, '');
  }
}

function field(value: unknown, name: string): unknown {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, unknown>)[name]
    : undefined;
}

/** The file's text without a byte-order mark; refuses what is not a regular file or is bigger than `maxBytes`. */
async function readBoundedText(path: string, maxBytes: number, what: string, limit: string): Promise<string> {
  let text: string;
  try {
    // Checked before reading: /dev/zero or a named pipe would otherwise be read until memory runs out.
    const info = await stat(path);
    if (!info.isFile()) throw new PlanValidationError([`${path}: not a regular file`]);
    if (info.size > maxBytes)
      throw new PlanValidationError([`${path}: ${info.size} bytes; ${what} is at most ${maxBytes} bytes (${limit})`]);
    text = await readFile(path, 'utf8');
  } catch (error) {
    if (error instanceof PlanValidationError) throw error;
    throw new PlanValidationError([`cannot read ${what.replace(/^an? /, '')} ${path}: ${(error as Error).message}`]);
  }
  // Windows editors write one; JSON.parse refuses it.
  return text.startsWith('\uFEFF') ? text.slice(1) : text;
}

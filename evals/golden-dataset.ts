// The golden dataset: one JSON object per line.
//   {"id": "refund-1", "messages": [{"role": "user", "content": "…"}],
//    "expected": "refund", "match": "contains", "schema": {…JSON Schema…}, "tags": ["billing"]}
// `match` is exact | contains | regex (default contains, case-insensitive); `schema` asks the
// model for JSON and checks the answer against it.
import { readFile, stat } from 'node:fs/promises';
import { z } from 'zod';
import { formatIssueProblem, issueProblems, safeParseReportingInput } from '../lib/zod-issues';
import { validatorFor } from './json-schema';

const message = z.strictObject({ role: z.enum(['system', 'user', 'assistant']), content: z.string() });

const item = z.strictObject({
  id: z.string().min(1).optional(),
  messages: z.array(message).min(1, 'at least one message'),
  expected: z.string().optional(),
  match: z.enum(['exact', 'contains', 'regex']).default('contains'),
  schema: z.record(z.string(), z.unknown()).optional(),
  tags: z.array(z.string()).default([]),
  /**
   * Request fields sent with the messages, as a client sent them: a captured request keeps its
   * own (`rollout capture`). A backend's configuration bundle still replaces what it sets.
   */
  params: z
    .strictObject({
      temperature: z.number().min(0).max(2).optional(),
      top_p: z.number().min(0).max(1).optional(),
      max_tokens: z.int().min(1).optional(),
      response_format: z.record(z.string(), z.unknown()).optional(),
    })
    .optional(),
});

export type GoldenItem = z.output<typeof item> & { id: string };

export class InvalidDatasetError extends Error {
  override name = 'InvalidDatasetError';
}

/** Far more than any item needs (a long prompt is tens of kilobytes); past it the line is not an item. */
export const MAX_LINE_CHARS = 1024 * 1024;
/** Hundreds of thousands of items; past it the file is not a golden dataset, and reading it could exhaust memory. */
export const MAX_DATASET_BYTES = 256 * 1024 * 1024;
/**
 * Problems listed in the error, the rest counted: the error becomes the eval activity's failure,
 * recorded in the rollout's history, and a file of a million bad lines must not make it megabytes.
 */
export const MAX_PROBLEMS_LISTED = 20;
/** Past this many, the file is not a dataset with mistakes but something else: reading stops. */
export const MAX_PROBLEMS_COUNTED = 1_000;

export function parseGoldenDataset(text: string, source: string): GoldenItem[] {
  const items: GoldenItem[] = [];
  const problems: string[] = [];
  const ids = new Set<string>();
  // Windows editors start the file with a byte-order mark; JSON.parse refuses it.
  const body = text.startsWith('\uFEFF') ? text.slice(1) : text;
  const lines = body.split('\n');
  let stoppedAt: number | null = null;
  for (let index = 0; index < lines.length; index++) {
    if (problems.length >= MAX_PROBLEMS_COUNTED) {
      stoppedAt = index + 1;
      break;
    }
    readLine(lines[index]!, index);
  }

  /** Adds the line's item, or its problems. */
  function readLine(line: string, index: number): void {
    if (!line.trim()) return;
    const where = `${source}:${index + 1}`;
    if (line.length > MAX_LINE_CHARS) {
      problems.push(`${where}: ${line.length} characters; an item is at most ${MAX_LINE_CHARS}`);
      return;
    }
    let raw: unknown;
    try {
      raw = JSON.parse(line);
    } catch (error) {
      problems.push(`${where}: not valid JSON (${(error as Error).message})`);
      return;
    }
    const parsed = safeParseReportingInput(item, raw);
    if (!parsed.success) {
      problems.push(
        ...issueProblems(parsed.error, '(item)').map((problem) => `${where}: ${formatIssueProblem(problem)}`),
      );
      return;
    }
    if (parsed.data.match === 'regex' && parsed.data.expected !== undefined) {
      try {
        new RegExp(parsed.data.expected);
      } catch (error) {
        problems.push(`${where}: expected: not a valid regular expression (${(error as Error).message})`);
        return;
      }
    }
    // A schema that does not compile would otherwise surface mid-eval as a "no answer" error on
    // every item it guards, on both sides: the dataset's fault blamed on the backends.
    if (parsed.data.schema) {
      try {
        validatorFor(parsed.data.schema);
      } catch (error) {
        problems.push(`${where}: schema: not a valid JSON Schema (${(error as Error).message})`);
        return;
      }
    }
    const id = parsed.data.id ?? `line-${index + 1}`;
    if (ids.has(id)) problems.push(`${where}: duplicate id ${JSON.stringify(id)}`);
    ids.add(id);
    items.push({ ...parsed.data, id });
  }
  if (problems.length > 0) {
    const listed = problems.slice(0, MAX_PROBLEMS_LISTED).map((problem) => `  - ${problem}`);
    if (problems.length > MAX_PROBLEMS_LISTED)
      listed.push(
        `  … and ${problems.length - MAX_PROBLEMS_LISTED} more problems${stoppedAt ? ` (reading stopped at line ${stoppedAt})` : ''}`,
      );
    throw new InvalidDatasetError(`invalid golden dataset ${source}:\n${listed.join('\n')}`);
  }
  if (items.length === 0) throw new InvalidDatasetError(`golden dataset ${source} has no items`);
  return items;
}

export async function loadGoldenDataset(path: string): Promise<GoldenItem[]> {
  let text: string;
  try {
    // Checked before reading: /dev/zero or a named pipe would otherwise be read until memory runs out.
    const info = await stat(path);
    if (!info.isFile()) throw new InvalidDatasetError(`golden dataset ${path} is not a regular file`);
    if (info.size > MAX_DATASET_BYTES)
      throw new InvalidDatasetError(
        `golden dataset ${path} is ${info.size} bytes; a dataset is at most ${MAX_DATASET_BYTES} bytes (256 MiB)`,
      );
    text = await readFile(path, 'utf8');
  } catch (error) {
    if (error instanceof InvalidDatasetError) throw error;
    throw new InvalidDatasetError(`cannot read golden dataset ${path}: ${(error as Error).message}`);
  }
  return parseGoldenDataset(text, path);
}

// The golden dataset: one JSON object per line.
//   {"id": "refund-1", "messages": [{"role": "user", "content": "…"}],
//    "expected": "refund", "match": "contains", "schema": {…JSON Schema…}, "tags": ["billing"]}
// `match` is exact | contains | regex (default contains, case-insensitive); `schema` asks the
// model for JSON and checks the answer against it.
import { readFile } from 'node:fs/promises';
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
});

export type GoldenItem = z.output<typeof item> & { id: string };

export class InvalidDatasetError extends Error {
  override name = 'InvalidDatasetError';
}

export function parseGoldenDataset(text: string, source: string): GoldenItem[] {
  const items: GoldenItem[] = [];
  const problems: string[] = [];
  const ids = new Set<string>();
  text.split('\n').forEach((line, index) => {
    if (!line.trim()) return;
    const where = `${source}:${index + 1}`;
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
  });
  if (problems.length > 0)
    throw new InvalidDatasetError(
      `invalid golden dataset ${source}:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`,
    );
  if (items.length === 0) throw new InvalidDatasetError(`golden dataset ${source} has no items`);
  return items;
}

export async function loadGoldenDataset(path: string): Promise<GoldenItem[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new InvalidDatasetError(`cannot read golden dataset ${path}: ${(error as Error).message}`);
  }
  return parseGoldenDataset(text, path);
}

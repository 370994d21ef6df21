// Deterministic checks of one answer against a golden item: the expected text (exact, contains or
// regex) and, when the item carries a JSON Schema, that the answer is JSON matching it.
import type { GoldenItem } from './golden-dataset';
import { schemaErrorsText, validatorFor } from './json-schema';

export interface CheckResult {
  /** null when the item has nothing to check. */
  passed: boolean | null;
  failures: string[];
}

const normalize = (text: string) => text.trim().replace(/\s+/g, ' ').toLowerCase();

export function checkAnswer(item: GoldenItem, answer: string): CheckResult {
  const failures: string[] = [];
  let checks = 0;
  if (item.expected !== undefined) {
    checks += 1;
    const ok =
      item.match === 'exact'
        ? normalize(answer) === normalize(item.expected)
        : item.match === 'contains'
          ? normalize(answer).includes(normalize(item.expected))
          : new RegExp(item.expected, 'i').test(answer);
    if (!ok) failures.push(`${item.match} ${JSON.stringify(item.expected)} not matched`);
  }
  if (item.schema) {
    checks += 1;
    let value: unknown;
    try {
      value = JSON.parse(answer);
    } catch {
      failures.push('answer is not valid JSON');
      return { passed: false, failures };
    }
    const validate = validatorFor(item.schema);
    if (!validate(value)) failures.push(`schema: ${schemaErrorsText(validate)}`);
  }
  return { passed: checks === 0 ? null : failures.length === 0, failures };
}

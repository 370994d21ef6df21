// Deterministic checks of one answer against a golden item: the expected text (exact, contains or
// regex) and, when the item carries a JSON Schema, that the answer is JSON matching it.
import { Ajv } from 'ajv';
import type { GoldenItem } from './golden-dataset';

export interface CheckResult {
  /** null when the item has nothing to check. */
  passed: boolean | null;
  failures: string[];
}

const ajv = new Ajv({ allErrors: true, strict: false });
const compiled = new WeakMap<object, ReturnType<Ajv['compile']>>();
/** Datasets repeat one schema on many items: compile each distinct schema once (bounded). */
const compiledByText = new Map<string, ReturnType<Ajv['compile']>>();
const MAX_CACHED_SCHEMAS = 1_000;

/** Compiles (once per distinct schema) the item's JSON Schema; throws when it is not a valid schema. */
export function validatorFor(schema: Record<string, unknown>) {
  let validate = compiled.get(schema);
  if (!validate) {
    const text = JSON.stringify(schema);
    validate = compiledByText.get(text);
    if (!validate) {
      validate = ajv.compile(schema);
      if (compiledByText.size >= MAX_CACHED_SCHEMAS) compiledByText.clear();
      compiledByText.set(text, validate);
    }
    compiled.set(schema, validate);
  }
  return validate;
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
    if (!validate(value)) failures.push(`schema: ${ajv.errorsText(validate.errors)}`);
  }
  return { passed: checks === 0 ? null : failures.length === 0, failures };
}

// A plan's shape before the schema reads it: how deep and how big the value is. The schema only
// looks inside the fields it knows, but a free-form field (a JSON Schema under
// stages.shadow.compare.schema) is carried whole into the workflow's input, the CLI's --json and
// every history; a value nested thousands deep, or one that refers to itself through a YAML alias,
// overflows the stack when it is serialized there. Refused here, naming where it happens.
//
// Deterministic and free of Node built-ins: parsePlan runs in the workflow's local activity.
import { issuePath } from '../lib/zod-issues';

/** Deeper than any real plan (a JSON Schema for an answer included) needs. */
export const MAX_PLAN_DEPTH = 64;
/** Values (objects, arrays and scalars) in one plan; a real plan has a few hundred. */
export const MAX_PLAN_VALUES = 100_000;

/** Why `value` is too deep or too big to be a plan, naming the field; null when it is fine. */
export function planShapeProblem(value: unknown): string | null {
  // Iterative, so the check itself cannot overflow the stack it protects.
  const pending: Array<{ value: unknown; path: PropertyKey[] }> = [{ value, path: [] }];
  let seen = 0;
  while (pending.length > 0) {
    const { value: current, path } = pending.pop()!;
    if (++seen > MAX_PLAN_VALUES) return `(plan): more than ${MAX_PLAN_VALUES} values; a plan is far smaller`;
    if (current === null || typeof current !== 'object') continue;
    if (path.length >= MAX_PLAN_DEPTH)
      return `${issuePath(path.slice(0, 8))}…: nested more than ${MAX_PLAN_DEPTH} levels deep (or refers to itself through a YAML alias)`;
    const keys = Array.isArray(current) ? null : Object.keys(current);
    const count = keys ? keys.length : (current as unknown[]).length;
    if (seen + pending.length + count > MAX_PLAN_VALUES)
      return `(plan): more than ${MAX_PLAN_VALUES} values; a plan is far smaller`;
    const entries: Array<[PropertyKey, unknown]> = keys
      ? keys.map((key) => [key, (current as Record<string, unknown>)[key]])
      : (current as unknown[]).map((item, index) => [index, item]);
    for (const [key, item] of entries) pending.push({ value: item, path: [...path, key] });
  }
  return null;
}

// JSON Schema checks for the evals: the golden dataset's item schemas (compiled when the dataset
// loads, so a bad schema is the dataset's fault) and the answers checked against them.
import { Ajv } from 'ajv';

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

/** The validation errors of the last check with `validate`, as one line. */
export function schemaErrorsText(validate: ReturnType<typeof validatorFor>): string {
  return ajv.errorsText(validate.errors);
}

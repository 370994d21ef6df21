// Reads a plan file (YAML or JSON) from disk for the CLI and the demo. Relative paths inside the
// plan (the golden dataset) are resolved against the plan file's folder, so the workflow carries
// absolute paths the worker can open.
import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { parsePlan, PlanValidationError, type RolloutPlan } from './schema';

export async function loadPlanFile(path: string): Promise<RolloutPlan> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new PlanValidationError([`cannot read plan file ${path}: ${(error as Error).message}`]);
  }
  let raw: unknown;
  try {
    raw = path.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
  } catch (error) {
    throw new PlanValidationError([
      `${path} is not valid ${path.endsWith('.json') ? 'JSON' : 'YAML'}: ${(error as Error).message}`,
    ]);
  }
  const plan = parsePlan(raw);
  const dataset = plan.stages.goldenEval.dataset;
  if (dataset && !isAbsolute(dataset)) plan.stages.goldenEval.dataset = resolve(dirname(path), dataset);
  return plan;
}

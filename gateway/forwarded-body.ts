// The JSON text a request is forwarded as: the client's body with `model` set to the backend's
// own model name, and the backend's configuration bundle applied when it has one. A mirrored
// request goes to two backends whose texts often differ only in the model, so the body is then
// serialized once and each text is spliced from it rather than serialized again.
import { applyConfigBundle, type ConfigBundle } from '../lib/config-bundle';

/** Where a body goes: the backend's model and, for chat requests, its bundle. */
export interface ForwardTarget {
  model: string;
  config?: ConfigBundle | undefined;
}

/** Stands in for the model while the body is serialized once; a body that holds it itself is serialized per model instead. */
const MODEL_MARK = '\u0000llm-rollout-forwarded-model\u0000';
const MODEL_MARK_JSON = JSON.stringify(MODEL_MARK);

/** `JSON.stringify({ ...applyConfigBundle(body, config), model })` for each target, in order. */
export function forwardedBodies(body: Record<string, unknown>, targets: readonly ForwardTarget[]): string[] {
  if (targets.some((target) => target.config !== undefined))
    return targets.map(({ model, config }) =>
      JSON.stringify({ ...(config ? applyConfigBundle(body, config) : body), model }),
    );
  if (targets.length > 1) {
    const text = JSON.stringify({ ...body, model: MODEL_MARK });
    const at = text.indexOf(MODEL_MARK_JSON);
    if (at !== -1 && text.indexOf(MODEL_MARK_JSON, at + 1) === -1) {
      const before = text.slice(0, at);
      const after = text.slice(at + MODEL_MARK_JSON.length);
      return targets.map(({ model }) => before + JSON.stringify(model) + after);
    }
  }
  return targets.map(({ model }) => JSON.stringify({ ...body, model }));
}

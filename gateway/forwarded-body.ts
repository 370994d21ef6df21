// The JSON text a request is forwarded as: the client's body with `model` set to the backend's
// own model name. A mirrored request goes to two backends whose texts differ in that one value,
// so the body is serialized once and each text is spliced from it rather than serialized again.

/** Stands in for the model while the body is serialized once; a body that holds it itself is serialized per model instead. */
const MODEL_MARK = '\u0000llm-rollout-forwarded-model\u0000';
const MODEL_MARK_JSON = JSON.stringify(MODEL_MARK);

/** `JSON.stringify({ ...body, model })` for each of `models`, in order (the same text, character for character). */
export function forwardedBodies(body: Record<string, unknown>, models: readonly string[]): string[] {
  if (models.length > 1) {
    const text = JSON.stringify({ ...body, model: MODEL_MARK });
    const at = text.indexOf(MODEL_MARK_JSON);
    if (at !== -1 && text.indexOf(MODEL_MARK_JSON, at + 1) === -1) {
      const before = text.slice(0, at);
      const after = text.slice(at + MODEL_MARK_JSON.length);
      return models.map((model) => before + JSON.stringify(model) + after);
    }
  }
  return models.map((model) => JSON.stringify({ ...body, model }));
}

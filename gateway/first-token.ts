// Time to first token of a streamed chat completion: when the first server-sent event carrying
// generated output arrives. Not the first byte: servers open a stream with a role-only event
// (vLLM and OpenAI send `{"delta":{"role":"assistant","content":""}}`) before prefill is done, so
// the first byte would measure connection set-up, not the wait a user sees.

/** An event boundary further away than this is not a chat stream worth watching. */
const MAX_PENDING_CHARS = 256 * 1024;

export class FirstTokenWatch {
  private readonly decoder = new TextDecoder();
  private pending = '';
  private done = false;

  /** Feeds the next body chunk; true exactly once, for the chunk that completes the first token event. */
  feed(chunk: Uint8Array): boolean {
    if (this.done) return false;
    this.pending += this.decoder.decode(chunk, { stream: true });
    const events = this.pending.split(/\r?\n\r?\n/);
    this.pending = events.pop() ?? '';
    if (events.some(carriesToken)) {
      this.stop();
      return true;
    }
    if (this.pending.length > MAX_PENDING_CHARS) this.stop();
    return false;
  }

  private stop(): void {
    this.done = true;
    this.pending = '';
  }
}

/** Whether one SSE event's data is a chunk with generated text, reasoning or a tool call. */
export function carriesToken(event: string): boolean {
  const data = event
    .split(/\r?\n/)
    .filter((line) => line.startsWith('data:'))
    .map((line) => line.slice(5).replace(/^ /, ''))
    .join('\n');
  if (data === '' || data === '[DONE]') return false;
  let parsed: unknown;
  try {
    parsed = JSON.parse(data);
  } catch {
    return false;
  }
  // `data: null` is valid JSON too; reading a field of it would throw in the middle of the relay.
  if (typeof parsed !== 'object' || parsed === null) return false;
  const choices = (parsed as { choices?: unknown }).choices;
  if (!Array.isArray(choices)) return false;
  return choices.some((choice: unknown) => {
    const delta = (choice as { delta?: Record<string, unknown> } | null)?.delta;
    if (!delta || typeof delta !== 'object') return false;
    const text = (value: unknown) => typeof value === 'string' && value !== '';
    return (
      text(delta.content) ||
      text(delta.reasoning_content) ||
      (Array.isArray(delta.tool_calls) && delta.tool_calls.length > 0)
    );
  });
}

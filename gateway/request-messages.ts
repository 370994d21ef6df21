// The chat messages of a request, normalised to { role, content: string } for shadow pairs.
// Multi-part content (text + images) keeps its text parts only: the judge compares text.

export function requestMessages(body: Record<string, unknown>): Array<{ role: string; content: string }> {
  if (!Array.isArray(body.messages)) return [];
  return body.messages.flatMap((message: unknown) => {
    if (typeof message !== 'object' || message === null) return [];
    const { role, content } = message as { role?: unknown; content?: unknown };
    return [{ role: typeof role === 'string' ? role : 'unknown', content: messageText(content) }];
  });
}

/** A message's text: string content as it is, or the text parts of multi-part content, one per line. */
export function messageText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content
    .map((part: unknown) => {
      const p = part as { type?: unknown; text?: unknown } | null;
      return p && p.type === 'text' && typeof p.text === 'string' ? p.text : '';
    })
    .filter((text) => text !== '')
    .join('\n');
}

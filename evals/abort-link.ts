// A per-request AbortSignal that follows a long-lived one (the activity's cancellation signal).
// HTTP clients add an 'abort' listener to the signal they are given and do not always remove it;
// on a signal that lives for thousands of requests those listeners pile up. Each request gets a
// child signal instead, and the one listener on the parent is removed when the request ends.
export async function withLinkedSignal<T>(
  parent: AbortSignal | undefined,
  run: (signal: AbortSignal | undefined) => Promise<T>,
): Promise<T> {
  if (!parent) return run(undefined);
  const child = new AbortController();
  const forward = () => child.abort(parent.reason);
  if (parent.aborted) child.abort(parent.reason);
  else parent.addEventListener('abort', forward, { once: true });
  try {
    return await run(child.signal);
  } finally {
    parent.removeEventListener('abort', forward);
  }
}

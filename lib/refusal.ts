// Whether an answer declines to help: shared by the gateway (its per-request records and flagged
// counters) and the evals (refusal rate on golden items and shadow pairs), so both count the same.

/**
 * Refusal patterns. Deliberately small and conservative: a false "refusal" on a helpful answer
 * would make a healthy candidate look worse, so each pattern is a first-person decline tied to
 * a helping verb, plus the classic "as an AI" hedge.
 */
export const REFUSAL_PATTERNS: readonly RegExp[] = [
  /\b(?:I\s+can(?:no|['’])t|I['’]m\s+(?:unable|not\s+able)\s+to|I\s+am\s+(?:unable|not\s+able)\s+to|I\s+won['’]t|I\s+will\s+not)\s+(?:help|assist|comply|provide)\b/i,
  /\bas an AI\b/i,
];

export function isRefusal(content: string | null): boolean {
  if (!content) return false;
  return REFUSAL_PATTERNS.some((pattern) => pattern.test(content));
}

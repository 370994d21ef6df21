// Pure helpers shared by the Gateway API and Istio routers.
import type { TrafficState } from '../contract';

/**
 * Relative weights as the rollout's percentages. Gateway API weights are relative (1 and 3 are
 * 25 % / 75 %) and Istio's are meant to add up to 100; both read the same way. Nothing weighted
 * reads as 0 / 0.
 */
export function percentagesOf(baseline: number, candidate: number): TrafficState['weights'] {
  const total = baseline + candidate;
  if (total <= 0) return { baseline: 0, candidate: 0 };
  const baselinePercent = Math.round((baseline * 100) / total);
  return { baseline: baselinePercent, candidate: 100 - baselinePercent };
}

/** The rule (HTTPRoute) or http route (VirtualService) a plan names by index or by name, or undefined. */
export function selectRule<T extends { name?: string }>(rules: readonly T[], selector: number | string): T | undefined {
  return typeof selector === 'number' ? rules[selector] : rules.find((rule) => rule.name === selector);
}

/** ", named a, b" for an error listing a route object's rules, or "" when none is named. */
export function namesOf(rules: ReadonlyArray<{ name?: string }>): string {
  const names = rules.flatMap((rule) => (rule.name ? [rule.name] : []));
  return names.length > 0 ? `, named ${names.join(', ')}` : '';
}

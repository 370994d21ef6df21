// What a gateway route holds that differs from the definition the rollout would make: its
// backends' upstreams and bundles, its fallback, its segment rule. A gateway restarted from an old
// --config, or a route edited by hand, can keep both backend names and the right weights while
// sending the candidate's traffic somewhere else, answering failures from no fallback, or tagging
// no segments; the weights check alone would never see it. API keys are never shown by the
// gateway, so a key changed by hand is not seen here.
import stableStringify from 'fast-json-stable-stringify';
import type { BackendSpec, RouteDefinition, RouteState, ShownBackend } from '../../gateway/admin-api';
import { configDigest } from '../../lib/config-bundle';

/** One phrase per part that differs ("the candidate backend's baseUrl, model", "the fallback: gone"); empty when none does. */
export function definitionDrift(shown: RouteState, wanted: RouteDefinition): string[] {
  const drift: string[] = [];
  for (const backend of wanted.backends) {
    const held = shown.backends.find((candidate) => candidate.name === backend.name);
    if (!held) drift.push(`the ${backend.name} backend: gone`);
    else {
      const fields = backendFieldsDiffering(held, backend);
      if (fields.length > 0) drift.push(`the ${backend.name} backend's ${fields.join(', ')}`);
    }
  }

  const fallback = wanted.fallback;
  if (!fallback && shown.fallback) drift.push('a fallback the plan does not name');
  else if (fallback && !shown.fallback) drift.push('the fallback: gone');
  else if (fallback && shown.fallback) {
    const fields = backendFieldsDiffering(shown.fallback.backend, fallback.backend);
    // The gateway fills in maxAttempts (1) when a definition leaves it out.
    if ((fallback.maxAttempts ?? 1) !== shown.fallback.maxAttempts) fields.push('maxAttempts');
    if (fallback.timeoutMs !== shown.fallback.timeoutMs) fields.push('timeoutMs');
    if (fields.length > 0) drift.push(`the fallback's ${fields.join(', ')}`);
  }

  const rule = wanted.segmentation ?? null;
  if (stableStringify(rule) !== stableStringify(shown.segmentation ?? null))
    drift.push(
      rule === null
        ? 'a segment rule the plan does not name'
        : shown.segmentation
          ? 'the segment rule'
          : 'the segment rule: gone',
    );
  return drift;
}

/** The names of the fields that differ, upstream URLs and keys never quoted (a URL may carry a secret). */
function backendFieldsDiffering(held: ShownBackend, wanted: BackendSpec): string[] {
  const fields: string[] = [];
  if (held.baseUrl !== wanted.baseUrl) fields.push('baseUrl');
  if (held.model !== wanted.model) fields.push('model');
  if ((held.configDigest ?? null) !== configDigest(wanted.config)) fields.push('configuration bundle');
  if (
    held.pricing?.inputPer1k !== wanted.pricing?.inputPer1k ||
    held.pricing?.outputPer1k !== wanted.pricing?.outputPer1k
  )
    fields.push('pricing');
  if (!sameMembers(held.members, wanted.members)) fields.push('pool members');
  return fields;
}

function sameMembers(held: ShownBackend['members'], wanted: BackendSpec['members']): boolean {
  if (held === undefined || wanted === undefined) return held === wanted;
  return (
    held.length === wanted.length &&
    held.every((member, index) => {
      const other = wanted[index];
      return (
        other !== undefined &&
        member.name === other.name &&
        member.baseUrl === other.baseUrl &&
        member.model === other.model &&
        member.weight === other.weight
      );
    })
  );
}

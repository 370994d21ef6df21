// How the CLI shows rollouts to people.
import type { Verdict } from '../judge/verdict';
import type { RolloutResult, RolloutStatus, TimelineEvent } from '../workflows/rollout-state';

export function formatEvent(event: TimelineEvent): string {
  const time = event.at.slice(11, 19);
  return `${time}  ${event.type.padEnd(18)} ${event.message}`;
}

export function formatVerdict(verdict: Verdict): string {
  const lines = [`${verdict.stage}: ${verdict.outcome.toUpperCase()} — ${verdict.reason}`];
  for (const metric of verdict.metrics) lines.push(`    ${metric.classification.padEnd(7)} ${metric.message}`);
  if (verdict.report) lines.push(`    report  ${verdict.report}`);
  return lines.join('\n');
}

export function formatStatus(status: RolloutStatus, uiUrl?: string): string {
  const lines = [
    `rollout   ${status.rolloutId}${status.name ? ` (${status.name})` : ''}`,
    `models    ${status.baselineModel} → ${status.candidateModel}   requested by ${status.requestedBy}`,
    `phase     ${status.phase}${status.stage ? ` at ${status.stage}` : ''}${status.outcome ? `   outcome: ${status.outcome} — ${status.reason}` : ''}`,
    `traffic   baseline ${status.weights.baseline}% / candidate ${status.weights.candidate}%   shadow ${status.shadow.enabled ? `${Math.round(status.shadow.share * 100)}% → ${status.shadow.target}` : 'off'}`,
    `stages    ${status.stages.map((stage) => `${stage.id}:${stage.status}`).join('  ')}`,
  ];
  if (status.gate) {
    lines.push(`gate      waiting for approval before ${status.gate.before} (${status.gate.reason}); gate id ${status.gate.id}; deadline ${status.gate.deadline}`);
  }
  if (status.paused) lines.push(`paused    by ${status.paused.by}${status.paused.reason ? `: ${status.paused.reason}` : ''}`);
  const last = status.verdicts.at(-1);
  if (last) lines.push('verdict   ' + formatVerdict(last).replace(/\n/g, '\n          '));
  // Every saved report of the behavioral gates, not just the latest verdict's.
  const reports = status.verdicts.filter((verdict) => verdict.report && verdict !== last);
  for (const verdict of reports) lines.push(`report    ${verdict.stage} (${verdict.outcome}): ${verdict.report}`);
  if (uiUrl) lines.push(`ui        ${uiUrl}/namespaces/default/workflows/${status.rolloutId}`);
  lines.push('timeline');
  for (const event of status.timeline.slice(-12)) lines.push('  ' + formatEvent(event));
  return lines.join('\n');
}

export function formatResult(result: RolloutResult): string {
  return [`${result.rolloutId}: ${result.outcome.toUpperCase()} — ${result.reason}`, `stages: ${result.stages.map((stage) => `${stage.id}:${stage.status}`).join('  ')}`].join('\n');
}

/** Exit codes of `rollout run --wait`: scripts and CI tell outcomes apart by these. */
export const EXIT_CODES = { promoted: 0, error: 1, rolled_back: 2, aborted: 3 } as const;

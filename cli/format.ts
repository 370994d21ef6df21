// How the CLI shows rollouts to people.
import type { AuditEntry } from '../client/rollout-audit';
import type { JudgeVerdict } from '../judge/judge-evidence';
import type { Verdict } from '../judge/verdict';
import type { RolloutResult, RolloutStatus, TimelineEvent } from '../workflows/rollout-state';

export function formatEvent(event: TimelineEvent): string {
  const time = event.at.slice(11, 19);
  return `${time}  ${event.type.padEnd(18)} ${event.message}`;
}

export function formatVerdict(verdict: Verdict | JudgeVerdict): string {
  const lines = [`${verdict.stage}: ${verdict.outcome.toUpperCase()} — ${verdict.reason}`];
  for (const metric of verdict.metrics) {
    // Nothing to measure in this window is not missing data: say so.
    const label = 'status' in metric && metric.status === 'not_applicable' ? 'n/a' : metric.classification;
    lines.push(`    ${label.padEnd(7)} ${metric.message}`);
  }
  for (const note of verdict.notes ?? []) lines.push(`    note    ${note}`);
  if (verdict.report) lines.push(`    report  ${verdict.report}`);
  return lines.join('\n');
}

export function formatStatus(status: RolloutStatus, uiLink?: string): string {
  const lines = [
    `rollout   ${status.rolloutId}${status.name ? ` (${status.name})` : ''}`,
    `models    ${status.baselineModel} → ${status.candidateModel}   requested by ${status.requestedBy}`,
    `phase     ${status.phase}${status.stage ? ` at ${status.stage}` : ''}${status.outcome ? `   outcome: ${status.outcome} — ${status.reason}` : ''}`,
    `traffic   ${describeTraffic(status.weights, status.shadow)}   (wanted by the rollout${status.cohort ? ', outside the cohort' : ''})`,
    ...(status.cohort
      ? [
          `cohort    ${status.cohort.describe}: ${status.cohort.weights ? `${status.cohort.weights.candidate}% of its traffic on the candidate` : 'not exposed yet'}`,
        ]
      : []),
    // Status query answers from older workers have no trafficLayer.
    `layer     ${status.trafficLayer ? `${describeTraffic(status.trafficLayer.weights, status.trafficLayer.shadow)}   (read from the traffic layer at ${status.trafficLayer.at.slice(11, 19)})` : 'not read yet'}`,
    `stages    ${status.stages.map((stage) => `${stage.id}:${stage.status}`).join('  ')}`,
  ];
  if (status.gate) {
    lines.push(
      `gate      waiting for approval before ${status.gate.before} (${status.gate.reason}); gate id ${status.gate.id}; deadline ${status.gate.deadline}`,
    );
    const { approvals, required } = status.gate;
    if (required)
      lines.push(
        `approvals ${approvals?.length ?? 0} of ${required}${approvals?.length ? `: ${approvals.map((a) => a.by).join(', ')}` : ''}; ${required - (approvals?.length ?? 0)} more needed`,
      );
  }
  // The experiment's running evidence; the latest verdict below is the guardrails' at the last check.
  if (status.experiment !== undefined)
    lines.push(`experiment ${status.experiment ? status.experiment.reason : 'no look yet'}`);
  if (status.warmUpUntil)
    lines.push(`warm-up   until ${status.warmUpUntil.slice(11, 19)}: not judged yet (the window starts then)`);
  if (status.paused)
    lines.push(`paused    by ${status.paused.by}${status.paused.reason ? `: ${status.paused.reason}` : ''}`);
  if (status.phase === 'promoted' && status.revertibleUntil)
    lines.push(`revert    possible until ${status.revertibleUntil}: rollout revert ${status.rolloutId} --reason TEXT`);
  if (status.reverted)
    lines.push(`reverted  by ${status.reverted.by} at ${status.reverted.at}: ${status.reverted.reason}`);
  const last = status.verdicts.at(-1);
  if (last) lines.push('verdict   ' + formatVerdict(last).replace(/\n/g, '\n          '));
  // Every saved report of the behavioral gates, not just the latest verdict's.
  const reports = status.verdicts.filter((verdict) => verdict.report && verdict !== last);
  for (const verdict of reports) lines.push(`report    ${verdict.stage} (${verdict.outcome}): ${verdict.report}`);
  if (status.report) lines.push(`report    rollout report: ${status.report}`);
  if (uiLink) lines.push(`ui        ${uiLink}`);
  lines.push('timeline');
  for (const event of status.timeline.slice(-12)) lines.push('  ' + formatEvent(event));
  return lines.join('\n');
}

function describeTraffic(weights: RolloutStatus['weights'], shadow: RolloutStatus['shadow']): string {
  return `baseline ${weights.baseline}% / candidate ${weights.candidate}%   shadow ${shadow.enabled ? `${Math.round(shadow.share * 100)}% → ${shadow.target}` : 'off'}`;
}

export function formatResult(result: RolloutResult): string {
  const lines = [
    `${result.rolloutId}: ${result.outcome.toUpperCase()} — ${result.reason}`,
    `stages: ${result.stages.map((stage) => `${stage.id}:${stage.status}`).join('  ')}`,
  ];
  if (
    result.outcome === 'promoted' &&
    result.revertibleUntil &&
    !result.timeline.some((e) => e.type === 'revert_window_closed')
  )
    lines.push(`revertible until ${result.revertibleUntil}: rollout revert ${result.rolloutId} --reason TEXT`);
  if (result.report) lines.push(`rollout report: ${result.report}`);
  if (result.trafficRestored === false)
    lines.push('WARNING: traffic could not be put back on the baseline; see the timeline and restore it by hand');
  return lines.join('\n');
}

/** Exit codes of `rollout run --wait`: scripts and CI tell outcomes apart by these. */

/** One line of `rollout audit`: when, which rollout, what, who (and through which group), why, and what they were shown. */
export function formatAuditEntry(entry: AuditEntry): string {
  const when = `${entry.at.slice(0, 10)} ${entry.at.slice(11, 19)}`;
  const what =
    entry.kind === 'decision'
      ? `${entry.action} before ${entry.before}`
      : entry.action === 'requested'
        ? 'rollback requested'
        : entry.action === 'reverted'
          ? 'promotion reverted'
          : 'rolled back';
  const who = `${entry.by}${entry.viaGroup ? ` (via group:${entry.viaGroup})` : ''}`;
  const lines = [
    `${when}  ${entry.rolloutId.padEnd(28)} ${what.padEnd(24)} by ${who}${entry.reason ? `: ${entry.reason}` : ''}`,
  ];
  if (entry.evidence) lines.push(`${' '.repeat(21)}shown: ${entry.evidence}`);
  return lines.join('\n');
}
export const EXIT_CODES = { promoted: 0, error: 1, rolled_back: 2, aborted: 3, reverted: 4 } as const;

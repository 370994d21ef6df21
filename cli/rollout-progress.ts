// What `rollout run --wait` shows while a rollout runs: the current stage, its window's progress
// as a bar, the latest verdict's key figures and, at an open gate, the command that approves it.
// Plain data in, lines out: the renderers (progress-renderer.ts) decide how they reach the screen.
import { deltaText, type DeltaFormat } from '../lib/delta-format';
import type { MetricEvidence, Verdict } from '../judge/verdict';
import type { RolloutStatus } from '../workflows/rollout-state';

export const BAR_WIDTH = 24;
/** The metrics a verdict line shows at most (the critical ones first): one line stays readable. */
const KEY_FIGURES = 4;

const RELATIVE: DeltaFormat = { unit: 'percent', digits: 1, sign: 'plus' };
const POINTS: DeltaFormat = { unit: 'points', digits: 2, sign: 'plus' };
const PLAIN: DeltaFormat = { unit: 'plain', digits: 3, significant: true, sign: 'plus' };

export function progressLines(status: RolloutStatus): string[] {
  const lines = [`rollout  ${status.rolloutId}  ${status.baselineModel} → ${status.candidateModel}`];
  const index = status.stages.findIndex((stage) => stage.id === status.stage);
  const stage = index >= 0 ? status.stages[index] : undefined;
  const position = index >= 0 ? `  (stage ${index + 1} of ${status.stages.length})` : '';
  const weight = stage ? `, candidate at ${stage.candidateWeight} %` : '';
  lines.push(`stage    ${status.stage ?? '—'}${weight}  ${phaseText(status)}${position}`);
  if (stage && stage.windowMs > 0 && isWatching(status)) {
    const warmUp = status.warmUpUntil ? `  warm-up until ${status.warmUpUntil.slice(11, 19)}` : '';
    lines.push(
      `window   ${bar(status.windowElapsedMs / stage.windowMs)}  ${windowText(status.windowElapsedMs, stage.windowMs)}${warmUp}`,
    );
  }
  const verdict = status.verdicts.at(-1);
  if (verdict) lines.push(`verdict  ${verdictText(verdict)}`);
  if (status.paused)
    lines.push(`paused   by ${status.paused.by}${status.paused.reason ? `: ${status.paused.reason}` : ''}`);
  if (status.gate && !status.gate.decision) {
    lines.push(
      `gate     waiting for approval before ${status.gate.before} until ${status.gate.deadline.slice(11, 19)}`,
    );
    lines.push(`         approve: ${approveCommand(status)}`);
  }
  return lines;
}

export function approveCommand(status: RolloutStatus): string {
  return `rollout approve ${status.rolloutId} --as USER --reason TEXT`;
}

/** A bar of BAR_WIDTH cells for a share 0..1 (clamped), with the percentage. */
export function bar(share: number): string {
  const clamped = Math.min(1, Math.max(0, Number.isFinite(share) ? share : 0));
  const full = Math.round(clamped * BAR_WIDTH);
  return `[${'#'.repeat(full)}${'-'.repeat(BAR_WIDTH - full)}] ${String(Math.floor(clamped * 100)).padStart(3)} %`;
}

function isWatching(status: RolloutStatus): boolean {
  return status.phase === 'observing' || status.phase === 'evaluating' || status.phase === 'paused';
}

function phaseText(status: RolloutStatus): string {
  if (status.phase === 'promoted')
    return status.revertibleUntil ? `promoted (revertible until ${status.revertibleUntil})` : 'promoted';
  if (status.phase === 'finished')
    return `${status.outcome ?? 'finished'}${status.reason ? ` — ${status.reason}` : ''}`;
  return status.phase.replace('_', ' ');
}

function windowText(elapsedMs: number, windowMs: number): string {
  return `${seconds(Math.min(elapsedMs, windowMs))} of ${seconds(windowMs)}`;
}

function seconds(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  return m < 60
    ? `${m}m${String(s % 60).padStart(2, '0')}s`
    : `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

/** The verdict's outcome and its key figures: each metric's change and how the judge classed it. */
export function verdictText(verdict: Verdict): string {
  const figures = [...verdict.metrics]
    .sort((a, b) => Number(b.critical) - Number(a.critical))
    .slice(0, KEY_FIGURES)
    .map(figureText);
  const more = verdict.metrics.length > KEY_FIGURES ? ` (+${verdict.metrics.length - KEY_FIGURES} more)` : '';
  const head = `${verdict.stage} ${verdict.outcome.toUpperCase()}`;
  return figures.length ? `${head}: ${figures.join('  ')}${more}` : `${head}: ${verdict.reason}`;
}

function figureText(metric: MetricEvidence): string {
  return `${metric.metric} ${metric.delta === null ? 'no data' : deltaText(metric.delta, formatOf(metric))} ${metric.classification}`;
}

/** Relative changes in percent, differences of rates (errorRate, schemaAdherence…) in points, others as they are. */
function formatOf(metric: MetricEvidence): DeltaFormat {
  if (metric.deltaKind === 'relative') return RELATIVE;
  return /(Rate|Adherence)$/.test(metric.metric) ? POINTS : PLAIN;
}

// The rollout report as one self-contained HTML file: inline CSS, inline SVG charts, no script and
// nothing fetched, so it opens anywhere (a file attachment, an archive). Every text shown is
// escaped: model answers and reasons people typed are hostile input.
import { deltaText } from '../lib/delta-format';
import type { MetricEvidence, Verdict } from '../judge/verdict';
import { formatDelta, formatValue, type BehavioralMetricEvidence } from '../evals/metric-judgement';
import type { ReportRow } from '../evals/eval-report';
import { deltasChart, guardrailChart, guardrailSeries, stageStarts, weightsChart, type StageStart } from './charts';
import type { EvalReportFile, RolloutReportData } from './report-data';

/** How many of an eval's worst items the report shows side by side. */
export const WORST_ITEMS = 5;
const ANSWER_CHARS = 1_500;

export function escapeHtml(text: unknown): string {
  return String(text ?? '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

const e = escapeHtml;
const clip = (text: string, max: number) => (text.length > max ? `${text.slice(0, max)}…` : text);
const time = (iso: string | undefined) => (iso ? e(iso.replace('T', ' ').replace(/\.\d+Z$|Z$/, ' UTC')) : '—');

const STYLE = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0 auto;max-width:1000px;padding:16px 24px;color:#1d1d1f}
h1{font-size:22px;margin:8px 0}h2{font-size:18px;margin:28px 0 8px;border-bottom:1px solid #ddd;padding-bottom:4px}
h3{font-size:15px;margin:18px 0 6px}
table{border-collapse:collapse;width:100%;margin:6px 0}th,td{border:1px solid #e0e0e0;padding:4px 6px;text-align:left;vertical-align:top}
th{background:#f5f5f7}td.num{text-align:right;font-variant-numeric:tabular-nums}
.outcome{padding:12px 16px;border-radius:6px;margin:8px 0 16px}
.outcome .label{font-size:20px;font-weight:700;text-transform:uppercase}
.promoted{background:#e8f5e9;border:1px solid #2e7d32}.rolled_back,.aborted,.reverted{background:#ffebee;border:1px solid #c62828}
.running{background:#e3f2fd;border:1px solid #1565c0}
.meta{color:#555}.chart svg{max-width:100%;height:auto}
.pass{color:#2e7d32}.fail,.high,.low{color:#c62828;font-weight:600}.inconclusive,.no_data{color:#8d6e00}
.answers{display:grid;grid-template-columns:1fr 1fr;gap:8px}
.answer{white-space:pre-wrap;word-break:break-word;background:#fafafa;border:1px solid #e0e0e0;padding:6px;font:12px/1.4 ui-monospace,monospace}
.prompt{white-space:pre-wrap;word-break:break-word;color:#333;border-left:3px solid #bbb;padding-left:8px}
`;

function header(data: RolloutReportData): string {
  const state = data.outcome ?? 'running';
  const label = data.outcome ? data.outcome.replace('_', ' ') : `running (${data.phase.replace('_', ' ')})`;
  const reason = data.outcome
    ? (data.reason ?? '')
    : data.gate
      ? `waiting for a decision before ${data.gate.before} (until ${data.gate.deadline})`
      : `in ${data.stages.find((s) => s.status === 'running')?.id ?? data.phase}`;
  return `<h1>Rollout ${e(data.name ?? data.rolloutId)}</h1>
<div class="outcome ${e(state)}" id="outcome"><div class="label">${e(label)}</div><div class="reason">${e(reason)}</div></div>
<p class="meta">Rollout <code>${e(data.rolloutId)}</code>: ${e(data.baselineModel)} → ${e(data.candidateModel)}, requested by ${e(data.requestedBy)}. Report written ${time(data.generatedAt)}.</p>`;
}

/** A prompt or settings rollout: each side's bundle, its digest and its whole text, as recorded. */
function configurationSection(data: RolloutReportData): string {
  const configurations = data.configurations ?? [];
  if (configurations.length === 0) return '';
  const rows = configurations
    .map(
      (c) =>
        `<tr class="configuration" data-side="${e(c.side)}"><td>${e(c.side)}</td><td>${e(c.model)}</td><td><code class="digest">${e(c.digest)}</code></td><td>${e(c.summary)}</td></tr>`,
    )
    .join('\n');
  const texts = configurations
    .map((c) => {
      const prompt =
        c.systemPrompt === undefined
          ? ''
          : `<h3>${e(c.side)} system prompt${c.systemPromptFile ? ` (from ${e(c.systemPromptFile)})` : ''}</h3>
<div class="answer system-prompt" data-side="${e(c.side)}">${e(c.systemPrompt)}</div>`;
      return `${prompt}<h3>${e(c.side)} settings</h3>
<div class="answer settings" data-side="${e(c.side)}">${e(c.settings)}</div>`;
    })
    .join('\n');
  return `<h2 id="configuration">Configuration</h2>
<p class="meta">The configuration bundle of each side that has one, as the rollout recorded it: the gateway applied it to every chat request it routed there, and the golden eval to every request it sent. A side without one was sent the client's requests as they came.</p>
<table><thead><tr><th>side</th><th>model</th><th>digest</th><th>what it sets</th></tr></thead><tbody>${rows}</tbody></table>
${texts}`;
}

async function stagesSection(data: RolloutReportData): Promise<string> {
  const chart = await weightsChart(data.stages, data.generatedAt);
  const rows = data.stages
    .map(
      (s) =>
        `<tr><td>${e(s.id)}</td><td>${e(s.kind)}</td><td class="num">${e(s.candidateWeight)}%${s.cohortWeight !== undefined ? ` (cohort ${e(s.cohortWeight)}%)` : ''}</td><td class="${e(s.status)}">${e(s.status)}</td><td>${time(s.startedAt)}</td><td>${time(s.endedAt)}</td><td class="${e(s.verdict ?? '')}">${e(s.verdict ?? '—')}</td></tr>`,
    )
    .join('\n');
  return `<h2 id="stages">Stages</h2>
${chart ? `<div class="chart" id="weights-chart">${await chart}</div>` : ''}
<table><thead><tr><th>stage</th><th>kind</th><th>candidate weight</th><th>status</th><th>started</th><th>ended</th><th>verdict</th></tr></thead>
<tbody>${rows}</tbody></table>`;
}

function gatesSection(data: RolloutReportData): string {
  const rows = data.decisions
    .map(
      (d) =>
        `<tr class="decision"><td>${e(d.before)}</td><td class="${d.decision === 'approved' ? 'pass' : 'fail'}">${e(d.decision)}</td><td class="by">${e(d.by)}${d.viaGroup ? ` (via ${e(d.viaGroup)})` : ''}</td><td>${time(d.at)}</td><td class="why">${e(d.reason ?? '—')}</td><td>${e(d.evidence ?? '—')}</td></tr>`,
    )
    .join('\n');
  const open = data.gate
    ? `<p id="open-gate">Open gate before <b>${e(data.gate.before)}</b> (${e(data.gate.reason)}), opened ${time(data.gate.openedAt)}, decide by ${time(data.gate.deadline)}${data.gate.evidence ? `: ${e(data.gate.evidence.reason)}` : ''}.</p>`
    : '';
  const table = data.decisions.length
    ? `<table><thead><tr><th>before</th><th>decision</th><th>by</th><th>when</th><th>why</th><th>evidence shown</th></tr></thead><tbody>${rows}</tbody></table>`
    : '<p>No gate was decided.</p>';
  return `<h2 id="gates">Gates</h2>${open}${table}`;
}

function guardrailText(value: number, metric: MetricEvidence): string {
  return metric.deltaKind === 'relative'
    ? deltaText(value, { unit: 'percent', digits: 1, sign: 'typographic' })
    : deltaText(value, { unit: 'plain', digits: 3, significant: true, sign: 'typographic' });
}

async function guardrailsSection(verdicts: Verdict[], starts: StageStart[]): Promise<string> {
  const series = guardrailSeries(verdicts);
  if (series.size === 0) return '<h2 id="guardrails">Guardrails</h2><p>No guardrail was measured yet.</p>';
  const latest = new Map<string, MetricEvidence>();
  for (const verdict of verdicts) for (const metric of verdict.metrics) latest.set(metric.metric, metric);
  const parts: string[] = [];
  for (const [name, points] of series) {
    const metric = latest.get(name)!;
    const interval = metric.interval
      ? ` [${guardrailText(metric.interval[0], metric)}, ${guardrailText(metric.interval[1], metric)}]`
      : '';
    const stages = [...new Set(points.map((p) => p.stage))].join(', ');
    parts.push(`<div class="guardrail" data-metric="${e(name)}"><h3>${e(name)}</h3>
<p>Latest: ${e(metric.delta === null ? 'no data' : guardrailText(metric.delta, metric))}${e(interval)} against a tolerance of ${e(guardrailText(metric.tolerance, metric))} (${e(metric.direction.replace(/_/g, ' '))}${metric.critical ? ', critical' : ''}): <span class="${e(metric.classification)}">${e(metric.classification)}</span>. ${points.length} looks in ${e(stages)}.</p>
<div class="chart">${await guardrailChart(name, points, metric.deltaKind === 'relative', starts)}</div></div>`);
  }
  return `<h2 id="guardrails">Guardrails</h2>
<p class="meta">Candidate − baseline estimate (line) and its always-valid interval (blue) at each look, against the tolerance band (green).</p>
${parts.join('\n')}`;
}

function metricRow(metric: MetricEvidence): string {
  const m = metric as Partial<BehavioralMetricEvidence> & MetricEvidence;
  const unit = m.unit ?? 'rate';
  const evidence = { deltaKind: m.deltaKind, unit };
  const interval = m.interval
    ? `${formatDelta(m.interval[0], evidence)} … ${formatDelta(m.interval[1], evidence)}`
    : '—';
  return `<tr><td>${e(m.label ?? m.metric)}</td><td>${m.critical ? 'yes' : 'no'}</td><td class="num">${e(formatValue(m.baseline, unit))}</td><td class="num">${e(formatValue(m.candidate, unit))}</td><td class="num delta">${e(formatDelta(m.delta, evidence))}</td><td class="num">${e(interval)}</td><td class="num">${e(m.samples.candidate)}</td><td class="${e(m.classification)}">${e(m.change ?? m.classification)}</td></tr>`;
}

/** Per segment: how many inputs, and on how many the candidate looks worse. */
export function segmentFigures(rows: ReportRow[]): Array<{ segment: string; items: number; worse: number }> {
  const figures = new Map<string, { segment: string; items: number; worse: number }>();
  for (const row of rows)
    for (const segment of row.segments ?? []) {
      const figure = figures.get(segment) ?? { segment, items: 0, worse: 0 };
      figure.items += 1;
      if (row.badness > 0) figure.worse += 1;
      figures.set(segment, figure);
    }
  return [...figures.values()].sort(
    (a, b) => b.worse / b.items - a.worse / a.items || a.segment.localeCompare(b.segment),
  );
}

function segmentsTable(rows: ReportRow[]): string {
  const figures = segmentFigures(rows);
  if (figures.length === 0) return '';
  const body = figures
    .map(
      (f) =>
        `<tr class="segment"><td>${e(f.segment)}</td><td class="num">${f.items}</td><td class="num">${f.worse}</td><td class="num">${((100 * f.worse) / f.items).toFixed(0)}%</td></tr>`,
    )
    .join('\n');
  return `<h3>Per segment</h3><table><thead><tr><th>segment</th><th>items</th><th>candidate worse</th><th>share</th></tr></thead><tbody>${body}</tbody></table>`;
}

function worstItem(row: ReportRow): string {
  return `<div class="worst-item"><h4>${e(row.key)}: ${e(row.findings.join(', '))}</h4>
<div class="prompt">${e(clip(row.prompt, 400))}</div>
<div class="answers"><div><b>baseline</b><div class="answer baseline">${e(clip(row.baseline, ANSWER_CHARS))}</div></div><div><b>candidate</b><div class="answer candidate">${e(clip(row.candidate, ANSWER_CHARS))}</div></div></div></div>`;
}

async function evalSection(verdict: Verdict, file: EvalReportFile | undefined): Promise<string> {
  const chart = await deltasChart(verdict.metrics);
  const facts = Object.entries(file?.facts ?? {})
    .map(([name, value]) => `${e(name)}: ${e(value)}`)
    .join(' · ');
  const bad = (file?.items ?? []).filter((row) => row.badness > 0);
  const worst = [...bad].sort((a, b) => b.badness - a.badness || a.key.localeCompare(b.key)).slice(0, WORST_ITEMS);
  const items = !file
    ? `<p>The item-level report (${e(verdict.report ?? 'none')}) could not be read.</p>`
    : worst.length
      ? `<h3>Worst items side by side (${worst.length} of ${bad.length} where the candidate looks worse)</h3>${worst.map(worstItem).join('\n')}`
      : '<p>On no item does the candidate look worse than the baseline.</p>';
  return `<div class="eval" data-stage="${e(verdict.stage)}"><h3>${e(file?.kind ?? 'behavioral check')}: ${e(verdict.stage)} — <span class="${e(verdict.outcome)}">${e(verdict.outcome)}</span></h3>
<p>${e(verdict.reason)}</p>${facts ? `<p class="meta">${facts}</p>` : ''}
<table><thead><tr><th>metric</th><th>blocking</th><th>baseline</th><th>candidate</th><th>Δ</th><th>interval</th><th>n</th><th>verdict</th></tr></thead>
<tbody>${verdict.metrics.map(metricRow).join('\n')}</tbody></table>
${chart ? `<div class="chart">${await chart}</div>` : ''}
${segmentsTable(file?.items ?? [])}
${items}</div>`;
}

async function evalsSection(data: RolloutReportData, evalVerdicts: Verdict[]): Promise<string> {
  if (evalVerdicts.length === 0) return '';
  const parts = await Promise.all(evalVerdicts.map((v) => evalSection(v, data.evalReports[v.report!])));
  return `<h2 id="evals">Golden eval and shadow comparison</h2>\n${parts.join('\n')}`;
}

function timelineSection(data: RolloutReportData): string {
  const rows = data.timeline
    .map(
      (t) =>
        `<tr><td>${time(t.at)}</td><td>${e(t.stage ?? '')}</td><td>${e(t.type)}</td><td>${e(t.message)}</td><td>${e(t.by ?? '')}</td></tr>`,
    )
    .join('\n');
  return `<h2 id="timeline">Timeline</h2><table><thead><tr><th>when</th><th>stage</th><th>event</th><th>what</th><th>by</th></tr></thead><tbody>${rows}</tbody></table>`;
}

/** The behavioral gates' verdicts (those with a saved report): the last per stage. */
function lastEvalVerdicts(verdicts: Verdict[]): Verdict[] {
  const byStage = new Map<string, Verdict>();
  for (const verdict of verdicts) if (verdict.report) byStage.set(`${verdict.stage}|${verdict.report}`, verdict);
  return [...byStage.values()];
}

export async function renderReport(data: RolloutReportData): Promise<string> {
  const evalVerdicts = lastEvalVerdicts(data.verdicts);
  const guardrailVerdicts = data.verdicts.filter((v) => !v.report);
  const body = [
    header(data),
    configurationSection(data),
    await stagesSection(data),
    gatesSection(data),
    await guardrailsSection(guardrailVerdicts, stageStarts(data.stages)),
    await evalsSection(data, evalVerdicts),
    timelineSection(data),
  ].join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<title>Rollout ${e(data.rolloutId)}: ${e(data.outcome ?? 'running')}</title>
<style>${STYLE}</style></head>
<body>
${body}
</body></html>
`;
}

// The behavioral gates' reports: a JSON file (everything: verdict, settings, every item's scores)
// and a Markdown file people read (the per-metric table, the no-score counts, the worst items side
// by side), under $ROLLOUT_REPORTS_DIR (default .rollout/reports/) as
// <rollout id>/<stage>.{json,md}. A retried activity rewrites the same files.
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Verdict } from '../judge/verdict';
import type { SimilarityResult } from './embedding-similarity';
import type { LlmJudgeVerdict } from './llm-judge';
import { formatDelta, formatValue, type BehavioralMetricEvidence } from './metric-judgement';

export const DEFAULT_REPORTS_DIR = '.rollout/reports';

export function reportsDir(env: NodeJS.ProcessEnv = process.env): string {
  return resolve(env.ROLLOUT_REPORTS_DIR || DEFAULT_REPORTS_DIR);
}

/** One input (golden item or shadow request) as the report shows it. */
export interface ReportRow {
  key: string;
  /** The last user message, shortened. */
  prompt: string;
  baseline: string;
  candidate: string;
  /** Per-criterion judge scores, when judged. */
  judge?: { baseline: Record<string, number>; candidate: Record<string, number>; order: string } | { noScore: string };
  similarity?: number | { noScore: string };
  /** What is worse on the candidate, in words ("refused", "schema invalid", "length ×0.45"). */
  findings: string[];
  /** Sort key for "worst items": 0 when nothing is worse. */
  badness: number;
  /** The segments the input belongs to (a golden item's tags); absent where inputs have none. */
  segments?: string[];
}

/** The prompt a report row shows: the last user message. */
export function lastUserMessage(messages: Array<{ role: string; content: string }>): string {
  return (
    [...messages].reverse().find((m) => m.role === 'user')?.content ?? messages[messages.length - 1]?.content ?? ''
  );
}

const mean = (values: number[]) => (values.length === 0 ? 0 : values.reduce((a, b) => a + b, 0) / values.length);

/**
 * The LLM judge's and the embeddings' part of a report row, the same for golden items and shadow
 * pairs: what they find worse on the candidate (with its share of the badness), and their scores.
 */
export function judgementFindings(
  judgement: { judge?: LlmJudgeVerdict; similarity?: SimilarityResult } | undefined,
  minSimilarity: number | null,
): { findings: string[]; badness: number; fields: Pick<ReportRow, 'judge' | 'similarity'> } {
  const findings: string[] = [];
  let badness = 0;
  const judge = judgement?.judge;
  if (judge?.status === 'scored') {
    const drop = mean(Object.values(judge.baseline)) - mean(Object.values(judge.candidate));
    if (drop > 0) {
      const worse = Object.keys(judge.baseline).filter((k) => (judge.candidate[k] ?? 0) < (judge.baseline[k] ?? 0));
      findings.push(`judge lower on ${worse.join(', ')}`);
      badness += drop;
    }
  }
  const similarity = judgement?.similarity;
  if (similarity?.status === 'scored' && minSimilarity !== null && similarity.similarity < minSimilarity) {
    findings.push(`similarity ${similarity.similarity.toFixed(2)}`);
    badness += 1 - similarity.similarity;
  }
  const fields: Pick<ReportRow, 'judge' | 'similarity'> = {
    ...(judge
      ? {
          judge:
            judge.status === 'scored'
              ? { baseline: judge.baseline, candidate: judge.candidate, order: judge.order }
              : { noScore: judge.reason },
        }
      : {}),
    ...(similarity
      ? { similarity: similarity.status === 'scored' ? similarity.similarity : { noScore: similarity.reason } }
      : {}),
  };
  return { findings, badness, fields };
}

export interface ReportInput {
  kind: 'golden eval' | 'replay of captured traffic' | 'shadow comparison';
  rolloutId: string;
  verdict: Verdict;
  /** Facts shown under the title (dataset, items, pairs, judge model, …). */
  facts: Record<string, string | number>;
  settings: unknown;
  rows: ReportRow[];
  worst?: number;
}

/** A rollout id or stage as a file or folder name under the reports dir. */
export const safePathPart = (part: string) => part.replace(/[^A-Za-z0-9._-]/g, '_') || '_';

/** Writes both files and returns the Markdown file's absolute path. */
export async function writeReport(input: ReportInput, dir = reportsDir()): Promise<string> {
  const folder = join(dir, safePathPart(input.rolloutId));
  await mkdir(folder, { recursive: true });
  const base = join(folder, safePathPart(input.verdict.stage));
  const json = JSON.stringify(
    {
      kind: input.kind,
      rolloutId: input.rolloutId,
      verdict: input.verdict,
      facts: input.facts,
      settings: input.settings,
      items: input.rows,
    },
    null,
    2,
  );
  // Written whole then renamed, so a reader never sees half a report.
  await writeFile(`${base}.json.tmp`, json);
  await rename(`${base}.json.tmp`, `${base}.json`);
  await writeFile(`${base}.md.tmp`, renderMarkdown(input));
  await rename(`${base}.md.tmp`, `${base}.md`);
  return `${base}.md`;
}

const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\s*\n\s*/g, ' ');
const clip = (text: string, max: number) => (text.length > max ? `${text.slice(0, max)}…` : text);

export function renderMarkdown(input: ReportInput): string {
  const { verdict } = input;
  const lines: string[] = [];
  lines.push(`# ${input.kind}: ${input.rolloutId} / ${verdict.stage}`, '');
  lines.push(`**Outcome: ${verdict.outcome.toUpperCase()}** — ${verdict.reason}`, '');
  lines.push(`Judged at ${verdict.at}.`, '');
  for (const [name, value] of Object.entries(input.facts)) lines.push(`- ${name}: ${value}`);
  lines.push('');
  lines.push('## Metrics (candidate − baseline, paired)', '');
  lines.push('| metric | blocking | baseline | candidate | Δ | interval | n | no score | verdict |');
  lines.push('|---|---|---|---|---|---|---|---|---|');
  for (const metric of verdict.metrics) {
    const m = metric as Partial<BehavioralMetricEvidence> & typeof metric;
    const unit = m.unit ?? 'rate';
    const evidence = { deltaKind: m.deltaKind, unit };
    const interval = m.interval
      ? `${formatDelta(m.interval[0], evidence)} … ${formatDelta(m.interval[1], evidence)}`
      : '—';
    const verdictText = m.change
      ? m.change === 'no_data'
        ? `no data (${m.status})`
        : m.change === 'none'
          ? 'no change'
          : m.change
      : m.classification;
    lines.push(
      `| ${m.metric} | ${m.critical ? 'yes' : 'no'} | ${formatValue(m.baseline, unit)} | ${formatValue(m.candidate, unit)} | ${formatDelta(m.delta, evidence)} | ${interval} | ${m.samples.candidate} | ${m.noScore ? `${m.noScore}/${m.expected}` : '0'} | ${verdictText} |`,
    );
  }
  lines.push('');
  for (const metric of verdict.metrics) lines.push(`- ${cell(metric.message)}`);
  lines.push('');
  const worst = input.rows
    .filter((row) => row.badness > 0)
    .sort((a, b) => b.badness - a.badness || a.key.localeCompare(b.key))
    .slice(0, input.worst ?? 8);
  lines.push(
    `## Worst items side by side (${worst.length} of ${input.rows.filter((row) => row.badness > 0).length} where the candidate looks worse)`,
    '',
  );
  if (worst.length === 0) lines.push('None: on no item does the candidate look worse than the baseline.', '');
  for (const row of worst) {
    lines.push(`### ${cell(row.key)}: ${cell(row.findings.join(', '))}`, '');
    lines.push(`> ${cell(clip(row.prompt, 300))}`, '');
    lines.push('| baseline | candidate |', '|---|---|');
    lines.push(`| ${cell(clip(row.baseline, 600))} | ${cell(clip(row.candidate, 600))} |`, '');
    if (row.judge && 'noScore' in row.judge) lines.push(`Judge: no score (${cell(row.judge.noScore)}).`, '');
    else if (row.judge) {
      const { baseline, candidate, order } = row.judge;
      lines.push(
        `Judge (${order.replace('_', ' ')}): ${Object.keys(baseline)
          .map((c) => `${c} ${baseline[c]} → ${candidate[c]}`)
          .join(', ')}.`,
        '',
      );
    }
    if (typeof row.similarity === 'number') lines.push(`Embedding similarity: ${row.similarity.toFixed(3)}.`, '');
    else if (row.similarity) lines.push(`Embedding similarity: no score (${cell(row.similarity.noScore)}).`, '');
  }
  return `${lines.join('\n')}\n`;
}

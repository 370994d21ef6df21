// Where a rollout's report lives and how it is written: <reports dir>/<rollout id>/report.html,
// beside the behavioral gates' reports (evals/eval-report.ts), written whole then renamed so a
// reader never opens half a file. ROLLOUT_REPORTS_URL, when set, is the base teams serve that
// directory under: links then point there instead of at a path on the worker's machine.
import { readFile, mkdir, rename, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { reportsDir, safePathPart } from '../evals/eval-report';
import type { EvalReportFile, RolloutReportData } from './report-data';
import { renderReport } from './render-report';

export const REPORT_FILE = 'report.html';

export function reportPath(rolloutId: string, dir = reportsDir()): string {
  return join(dir, safePathPart(rolloutId), REPORT_FILE);
}

/** The link people are given: under ROLLOUT_REPORTS_URL when set, else the file's file:// URL. */
export function reportLink(rolloutId: string, env: NodeJS.ProcessEnv = process.env): string {
  const base = env.ROLLOUT_REPORTS_URL?.trim();
  if (base) return `${base.replace(/\/+$/, '')}/${encodeURIComponent(safePathPart(rolloutId))}/${REPORT_FILE}`;
  return pathToFileURL(reportPath(rolloutId, reportsDir(env))).href;
}

/** Renders and writes the report to `path` (default: the rollout's place in the reports dir); returns the path. */
export async function writeRolloutReport(data: RolloutReportData, path = reportPath(data.rolloutId)): Promise<string> {
  const html = await renderReport(data);
  await mkdir(dirname(path), { recursive: true });
  const temporary = `${path}.${process.pid}.tmp`;
  await writeFile(temporary, html);
  await rename(temporary, path);
  return path;
}

/** The JSON reports beside the verdicts' Markdown reports, keyed by the Markdown path; unreadable ones are left out. */
export async function readEvalReports(reports: Iterable<string>): Promise<Record<string, EvalReportFile>> {
  const found: Record<string, EvalReportFile> = {};
  for (const report of new Set(reports)) {
    try {
      found[report] = JSON.parse(await readFile(report.replace(/\.md$/, '.json'), 'utf8')) as EvalReportFile;
    } catch {
      // Written on another machine or cleaned up: the report says it could not read the items.
    }
  }
  return found;
}

// The eval report: JSON for machines and Markdown for people, under ROLLOUT_REPORTS_DIR, with the
// per-metric table and the worst items side by side.
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DEFAULT_REPORTS_DIR,
  renderMarkdown,
  reportsDir,
  writeReport,
  type ReportInput,
} from '../../evals/eval-report';
import { judgeMetric } from '../../evals/metric-judgement';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'eval-report-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const refusal = judgeMetric(
  {
    metric: 'refusalRate',
    label: 'answers that refuse',
    direction: 'higher_is_worse',
    statistic: 'difference',
    tolerance: 0.02,
    blocking: true,
    unit: 'rate',
  },
  {
    baseline: Array(100).fill(0),
    candidate: Array.from({ length: 100 }, (_, i) => (i < 20 ? 1 : 0)),
    expected: 100,
    noScore: 0,
  },
  { confidence: 0.99, minPairs: 8, maxNoScoreShare: 0.1, seedLabel: 't' },
);

function input(): ReportInput {
  return {
    kind: 'golden eval',
    rolloutId: 'support-bot/v2',
    verdict: {
      stage: 'golden_eval',
      outcome: 'fail',
      reason: 'regression on blocking metric(s): refusalRate +20.0 pts',
      metrics: [refusal],
      at: '2025-01-01T00:00:00.000Z',
    },
    facts: { dataset: 'golden.jsonl', items: 100 },
    settings: { concurrency: 8 },
    rows: [
      {
        key: 'item-1',
        prompt: 'Can I get a refund?',
        baseline: 'Yes: the billing | team can resolve it.',
        candidate: "I'm sorry, but I can't help with that request.",
        findings: ['refused'],
        badness: 2,
        judge: { baseline: { helpfulness: 5 }, candidate: { helpfulness: 1 }, order: 'candidate_first' },
        similarity: 0.41,
      },
      {
        key: 'item-2',
        prompt: 'Reset password?',
        baseline: 'Use the link.',
        candidate: 'Use the link.',
        findings: [],
        badness: 0,
      },
      {
        key: 'item-3',
        prompt: 'Export?',
        baseline: 'A\nB',
        candidate: 'A',
        findings: ['length ×0.50'],
        badness: 0.6,
        judge: { noScore: 'judge answer did not parse: not JSON' },
      },
    ],
  };
}

describe('eval report', () => {
  it('renders the outcome, the metric table and the worst items, worst first', () => {
    const md = renderMarkdown(input());
    expect(md).toContain('# golden eval: support-bot/v2 / golden_eval');
    expect(md).toContain('**Outcome: FAIL** — regression on blocking metric(s): refusalRate +20.0 pts');
    expect(md).toContain('| metric | blocking | baseline | candidate | Δ | interval | n | no score | verdict |');
    expect(md).toMatch(
      /\| refusalRate \| yes \| 0\.0% \| 20\.0% \| \+20\.0 pts \| \+\d+\.\d pts … \+\d+\.\d pts \| 100 \| 0 \| regression \|/,
    );
    expect(md).toContain('## Worst items side by side (2 of 2 where the candidate looks worse)');
    expect(md.indexOf('### item-1: refused')).toBeLessThan(md.indexOf('### item-3: length ×0.50'));
    expect(md).not.toContain('### item-2');
    // Table cells stay one line and escape pipes.
    expect(md).toContain(
      "| Yes: the billing \\| team can resolve it. | I'm sorry, but I can't help with that request. |",
    );
    expect(md).toContain('| A B | A |');
    expect(md).toContain('Judge (candidate first): helpfulness 5 → 1.');
    expect(md).toContain('Judge: no score (judge answer did not parse: not JSON).');
    expect(md).toContain('Embedding similarity: 0.410.');
  });

  it('writes <dir>/<rollout>/<stage>.md and .json and returns the Markdown path', async () => {
    const path = await writeReport(input(), dir);
    expect(path).toBe(join(dir, 'support-bot_v2', 'golden_eval.md'));
    expect(await readdir(join(dir, 'support-bot_v2'))).toEqual(['golden_eval.json', 'golden_eval.md']);
    const json = JSON.parse(await readFile(join(dir, 'support-bot_v2', 'golden_eval.json'), 'utf8')) as {
      verdict: { outcome: string };
      items: unknown[];
    };
    expect(json.verdict.outcome).toBe('fail');
    expect(json.items).toHaveLength(3);
    // Rewriting (a retried activity) replaces the files.
    await writeReport({ ...input(), rows: [] }, dir);
    expect(
      (JSON.parse(await readFile(join(dir, 'support-bot_v2', 'golden_eval.json'), 'utf8')) as { items: unknown[] })
        .items,
    ).toHaveLength(0);
  });

  it('finds the reports directory in ROLLOUT_REPORTS_DIR, else .rollout/reports', () => {
    expect(reportsDir({ ROLLOUT_REPORTS_DIR: '/srv/reports' })).toBe('/srv/reports');
    expect(reportsDir({})).toBe(resolve(DEFAULT_REPORTS_DIR));
  });
});

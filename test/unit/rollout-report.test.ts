import { describe, expect, it } from 'vitest';
import { guardrailSeries, weightPoints } from '../../report/charts';
import { reportConfigurations } from '../../report/report-data';
import { escapeHtml, renderReport } from '../../report/render-report';
import { configDigest } from '../../lib/config-bundle';
import { bundleOf } from '../../plan/backend-config-schema';
import { parsePlan } from '../../plan/schema';
import { testPlan } from '../support/plans';
import { reportLink } from '../../report/report-file';
import { EVAL_REPORT, HOSTILE, reportFixture } from '../support/report-fixture';

describe('rollout report rendering', () => {
  it('puts the outcome and its reason before anything else', async () => {
    const html = await renderReport(reportFixture());
    const body = html.slice(html.indexOf('<body>'));
    expect(body.indexOf('id="outcome"')).toBeLessThan(body.indexOf('id="stages"'));
    expect(body).toMatch(/<div class="label">promoted<\/div><div class="reason">all stages passed<\/div>/);
  });

  it('says a running rollout is running, and which gate it waits at', async () => {
    const html = await renderReport(
      reportFixture({
        outcome: undefined,
        reason: undefined,
        phase: 'awaiting_approval',
        gate: {
          id: 'g2',
          before: 'cutover',
          reason: 'plan',
          openedAt: '2026-12-02T10:01:00.000Z',
          deadline: '2026-12-02T11:01:00.000Z',
        },
      }),
    );
    expect(html).toContain('running (awaiting approval)');
    expect(html).toContain('waiting for a decision before cutover');
    expect(html).toContain('id="open-gate"');
  });

  it('escapes every text it shows, answers and reasons included', async () => {
    const html = await renderReport(reportFixture());
    expect(html).not.toContain('<script');
    expect(html).not.toContain('<img');
    expect(html).toContain(escapeHtml(HOSTILE));
    expect(escapeHtml(`a<b>"c'&`)).toBe('a&lt;b&gt;&quot;c&#39;&amp;');
  });

  it('draws the weights and one chart per guardrail as inline SVG, and fetches nothing', async () => {
    const html = await renderReport(reportFixture());
    const guardrails = [...html.matchAll(/<div class="guardrail" data-metric="([^"]+)">[\s\S]*?<svg/g)].map(
      (m) => m[1],
    );
    expect(guardrails).toEqual(['error_rate', 'latency_p99']);
    expect(html).toMatch(/id="weights-chart"><svg/);
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\//);
  });

  it('shows the gate decision with who, when and why', async () => {
    const html = await renderReport(reportFixture());
    expect(html).toMatch(
      /<td class="by">bob<\/td><td>2026-12-02 10:00:26 UTC<\/td><td class="why">shadow looks fine &lt;script/,
    );
  });

  it('shows the eval deltas with intervals and its worst items side by side, worst first', async () => {
    const html = await renderReport(reportFixture());
    expect(html).toContain('−2.5 pts');
    expect(html).toContain('−6.5 pts … +1.5 pts');
    expect(html).toContain('Worst items side by side (2 of 2');
    expect(html.indexOf('item-2')).toBeLessThan(html.indexOf('item-7'));
    expect(html).toContain('<div class="answer baseline">Yes, within 30 days.</div>');
    expect(html).toContain('<div class="answer candidate">I cannot help with that.</div>');
  });

  it('shows per-segment figures where the items have segments, the worst segment first', async () => {
    const html = await renderReport(reportFixture());
    expect(
      [...html.matchAll(/<tr class="segment"><td>([^<]+)<\/td><td class="num">(\d+)<\/td><td class="num">(\d+)</g)].map(
        (m) => m.slice(1),
      ),
    ).toEqual([
      ['billing', '1', '1'],
      ['account', '2', '1'],
    ]);
    const noSegments = reportFixture();
    for (const item of Object.values(noSegments.evalReports)[0]!.items!) delete item.segments;
    expect(await renderReport(noSegments)).not.toContain('Per segment');
  });

  it('shows each side’s configuration bundle: its digest, what it sets, and its whole text, escaped', async () => {
    const plan = parsePlan(
      testPlan({
        id: 'prompt-report',
        candidateConfig: {
          systemPrompt: `Answer in two sentences.\n${HOSTILE}`,
          systemPromptFile: 'prompts/support-v2.txt',
          sampling: { temperature: 0.2 },
        },
      }),
    );
    const configurations = reportConfigurations(plan.backends);
    expect(configurations).toEqual([
      {
        side: 'candidate',
        model: 'sim-candidate',
        digest: configDigest(bundleOf(plan.backends.candidate.config!)),
        summary: expect.stringMatching(
          /^system prompt \(prepend, \d+ characters from prompts\/support-v2\.txt\); temperature 0\.2$/,
        ),
        systemPromptFile: 'prompts/support-v2.txt',
        systemPrompt: `Answer in two sentences.\n${HOSTILE}`,
        settings: JSON.stringify({ systemPromptMode: 'prepend', sampling: { temperature: 0.2 } }, null, 2),
      },
    ]);
    const html = await renderReport(reportFixture({ configurations }));
    const body = html.slice(html.indexOf('<body>'));
    expect(body.indexOf('id="outcome"')).toBeLessThan(body.indexOf('id="configuration"'));
    expect(body.indexOf('id="configuration"')).toBeLessThan(body.indexOf('id="stages"'));
    expect(body).toContain(`<code class="digest">${configurations[0]!.digest}</code>`);
    expect(body).toContain('candidate system prompt (from prompts/support-v2.txt)');
    expect(body).toContain(
      `<div class="answer system-prompt" data-side="candidate">Answer in two sentences.\n${escapeHtml(HOSTILE)}</div>`,
    );
    expect(body).toContain('&quot;temperature&quot;: 0.2');
    expect(body).not.toContain('<script');
    // A model rollout (no bundle on either side) has no such section.
    expect(reportConfigurations(parsePlan(testPlan({ id: 'model-report' })).backends)).toEqual([]);
    expect(await renderReport(reportFixture())).not.toContain('id="configuration"');
  });

  it('says so when an eval report cannot be read', async () => {
    const html = await renderReport(reportFixture({ evalReports: {} }));
    expect(html).toContain(`The item-level report (${EVAL_REPORT}) could not be read.`);
  });
});

describe('report series', () => {
  it('keeps each guardrail look with its interval and tolerance band, eval verdicts included when given', () => {
    const series = guardrailSeries(reportFixture().verdicts.filter((v) => !v.report));
    expect([...series.keys()]).toEqual(['error_rate', 'latency_p99']);
    expect(series.get('error_rate')).toHaveLength(4);
    expect(series.get('error_rate')![0]).toMatchObject({ stage: 'shadow', bandLow: null, bandHigh: 0.01 });
    expect(series.get('error_rate')![0]!.low).toBeCloseTo(-0.018);
  });

  it('steps the candidate weight from stage to stage, until the last one ends', () => {
    const points = weightPoints(reportFixture().stages, '2026-12-02T11:00:00.000Z');
    expect(points.map((p) => p.weight)).toEqual([0, 0, 50, 100, 100]);
    expect(points[4]!.at).toBe('2026-12-02T10:00:51.000Z');
  });
});

describe('report links', () => {
  it('points under ROLLOUT_REPORTS_URL when set, else at the file', () => {
    expect(reportLink('r 1', { ROLLOUT_REPORTS_URL: 'https://reports.example/' })).toBe(
      'https://reports.example/r_1/report.html',
    );
    expect(reportLink('r1', { ROLLOUT_REPORTS_DIR: '/srv/reports' })).toBe('file:///srv/reports/r1/report.html');
  });
});

// The progress block of `rollout run --wait`, and how its two renderers put it on a stream.
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { progressRenderer } from '../../cli/progress-renderer';
import { approveCommand, bar, BAR_WIDTH, progressLines, verdictText } from '../../cli/rollout-progress';
import type { MetricEvidence, Verdict } from '../../judge/verdict';
import type { RolloutStatus, StageRecord } from '../../workflows/rollout-state';
import { rolloutStatus } from '../support/rollout-status';

const stages: StageRecord[] = [
  { id: 'shadow', kind: 'shadow', status: 'passed', candidateWeight: 0, windowMs: 20_000 },
  { id: 'canary-1', kind: 'canary', status: 'running', candidateWeight: 25, windowMs: 20_000 },
  { id: 'cutover', kind: 'cutover', status: 'pending', candidateWeight: 100, windowMs: 15_000 },
];

function metric(name: string, delta: number | null, extra: Partial<MetricEvidence> = {}): MetricEvidence {
  return {
    metric: name,
    direction: 'lower_is_better',
    critical: true,
    baseline: 0.01,
    candidate: 0.012,
    delta,
    deltaKind: 'absolute',
    tolerance: 0.01,
    samples: { baseline: 100, candidate: 100 },
    classification: 'pass',
    message: '',
    ...extra,
  } as MetricEvidence;
}

const verdict: Verdict = {
  stage: 'canary-1',
  outcome: 'pass',
  reason: 'score 100',
  at: '2026-12-02T20:41:50.000Z',
  metrics: [
    metric('costPerRequest', 0.05, { critical: false, deltaKind: 'relative' }),
    metric('errorRate', 0.002),
    metric('p99Latency', -12.5),
    metric('timeToFirstToken', 0.031, { deltaKind: 'relative' }),
    metric('schemaAdherence', null, { classification: 'no_data' }),
  ],
};

function status(overrides: Partial<RolloutStatus> = {}): RolloutStatus {
  return rolloutStatus({
    rolloutId: 'quickstart-sim-llama-70b',
    baselineModel: 'sim-llama-8b',
    candidateModel: 'sim-llama-70b',
    stages,
    weights: { baseline: 75, candidate: 25 },
    windowElapsedMs: 10_000,
    ...overrides,
  });
}

describe('the progress block', () => {
  it('shows the stage, its position and the window as a bar', () => {
    const lines = progressLines(status());
    expect(lines[0]).toBe('rollout  quickstart-sim-llama-70b  sim-llama-8b → sim-llama-70b');
    expect(lines[1]).toBe('stage    canary-1, candidate at 25 %  observing  (stage 2 of 3)');
    expect(lines[2]).toBe(`window   [${'#'.repeat(12)}${'-'.repeat(12)}]  50 %  10s of 20s`);
    expect(lines).toHaveLength(3);
  });

  it('fills the bar by the share of the window, clamped to 0..100 %', () => {
    expect(bar(0)).toBe(`[${'-'.repeat(BAR_WIDTH)}]   0 %`);
    expect(bar(1)).toBe(`[${'#'.repeat(BAR_WIDTH)}] 100 %`);
    expect(bar(1.7)).toBe(bar(1));
    expect(bar(-1)).toBe(bar(0));
    expect(bar(Number.NaN)).toBe(bar(0));
    expect(bar(0.255)).toBe(`[${'#'.repeat(6)}${'-'.repeat(18)}]  25 %`);
  });

  it("gives the latest verdict's key figures, critical metrics first, rates in points", () => {
    const text = verdictText(verdict);
    expect(text).toBe(
      'canary-1 PASS: errorRate +0.20 pts pass  p99Latency -12.5 pass  timeToFirstToken +3.1% pass  schemaAdherence no data no_data (+1 more)',
    );
    expect(progressLines(status({ verdicts: [verdict] }))).toContain(`verdict  ${text}`);
  });

  it('gives the reason of a verdict without metrics', () => {
    expect(verdictText({ ...verdict, metrics: [], outcome: 'inconclusive', reason: 'no traffic' })).toBe(
      'canary-1 INCONCLUSIVE: no traffic',
    );
  });

  it("shows an open gate's approve command, and no window while the rollout waits", () => {
    const gated = status({
      phase: 'awaiting_approval',
      stage: 'cutover',
      gate: {
        id: 'gate-1',
        before: 'cutover',
        reason: 'plan',
        openedAt: '2026-12-02T20:42:16.000Z',
        deadline: '2026-12-02T21:12:16.000Z',
      },
    });
    const lines = progressLines(gated);
    expect(lines).toContain('gate     waiting for approval before cutover until 21:12:16');
    expect(lines).toContain(`         approve: ${approveCommand(gated)}`);
    expect(approveCommand(gated)).toBe('rollout approve quickstart-sim-llama-70b --as USER --reason TEXT');
    expect(lines.some((line) => line.startsWith('window'))).toBe(false);
    const decided = progressLines({
      ...gated,
      gate: { ...gated.gate!, decision: { decision: 'approved', by: 'alice', at: '2026-12-02T20:43:00.000Z' } },
    });
    expect(decided.some((line) => line.includes('approve:'))).toBe(false);
  });

  it('says who paused the rollout, and what a promoted one still allows', () => {
    const paused = progressLines(
      status({ phase: 'paused', paused: { by: 'alice', reason: 'a dashboard', at: '2026-12-02T20:41:00.000Z' } }),
    );
    expect(paused).toContain('paused   by alice: a dashboard');
    expect(paused.some((line) => line.startsWith('window'))).toBe(true);
    const promoted = progressLines(
      status({ phase: 'promoted', stage: null, revertibleUntil: '2026-12-02T21:12:39.983Z' }),
    );
    expect(promoted[1]).toBe('stage    —  promoted (revertible until 2026-12-02T21:12:39.983Z)');
  });
});

function capture(isTTY: boolean, columns = 80) {
  const stream = new PassThrough() as PassThrough & { isTTY?: boolean; columns?: number };
  stream.isTTY = isTTY;
  stream.columns = columns;
  let text = '';
  stream.on('data', (chunk: Buffer) => (text += chunk.toString()));
  return { stream: stream as unknown as NodeJS.WriteStream, text: () => text };
}

describe('the renderers', () => {
  it('into a pipe: plain lines, each progress line again only when it changed', () => {
    const out = capture(false);
    const renderer = progressRenderer(out.stream);
    renderer.update(['stage    a', 'window   1']);
    renderer.update(['stage    a', 'window   1']);
    renderer.log('event one');
    renderer.update(['stage    a', 'window   2']);
    renderer.update(['stage    b', 'window   2']);
    renderer.done();
    expect(out.text()).toBe('stage    a\nwindow   1\nevent one\nwindow   2\nstage    b\n');
    expect(out.text()).not.toContain('\u001b');
  });

  it('on a terminal: redraws the block in place, events scrolling above it', () => {
    const out = capture(true);
    const renderer = progressRenderer(out.stream);
    renderer.update(['stage    a', 'window   1']);
    renderer.update(['stage    a', 'window   1']); // unchanged: nothing drawn
    renderer.update(['stage    a', 'window   2']);
    renderer.log('event one');
    renderer.done();
    // Cursor up two rows (ESC [ 2 A) and clear to the end of the screen (ESC [ 0 J) before each redraw.
    const redraw = '\u001b[2A\u001b[0J';
    expect(out.text()).toBe(
      `stage    a\nwindow   1\n${redraw}stage    a\nwindow   2\n${redraw}event one\nstage    a\nwindow   2\n`,
    );
  });

  it('on a terminal: cuts lines to its width, so a redraw climbs exactly the rows it drew', () => {
    const out = capture(true, 30);
    const renderer = progressRenderer(out.stream);
    renderer.update(['x'.repeat(100)]);
    expect(out.text()).toBe(`${'x'.repeat(28)}…\n`);
  });
});

// Block Kit for rollouts: the gate message carries the evidence and the buttons; a decision or a
// closed gate removes the buttons, idempotently; text we did not write is escaped.
import { describe, expect, it } from 'vitest';
import type { Verdict } from '../../judge/verdict';
import {
  closedGateBlocks,
  decidedGateBlocks,
  escapeText,
  gateMessage,
  gateProgressBlocks,
  GATE_PROGRESS_BLOCK,
  hasOpenButtons,
  mention,
  parseGateButtonValue,
  parseRejectModalContext,
  rejectModal,
  verdictText,
} from '../../block-kit/rollout-blocks';

const verdict: Verdict = {
  stage: 'canary-2',
  outcome: 'inconclusive',
  reason: 'p99Latency: not enough requests <yet>',
  score: 71.4,
  at: '2026-11-22T10:00:00.000Z',
  metrics: [
    {
      metric: 'errorRate',
      direction: 'higher_is_worse',
      critical: true,
      baseline: 0.005,
      candidate: 0.0062,
      delta: 0.0012,
      deltaKind: 'absolute',
      tolerance: 0.01,
      samples: { baseline: 812, candidate: 203 },
      classification: 'pass',
      message: 'ok',
      pValue: 0.41,
    },
    {
      metric: 'p99Latency',
      direction: 'higher_is_worse',
      critical: true,
      baseline: null,
      candidate: null,
      delta: null,
      deltaKind: 'relative',
      tolerance: 0.25,
      samples: { baseline: 0, candidate: 0 },
      classification: 'no_data',
      message: 'no data',
    },
  ],
};

const gate = {
  id: 'gate-1',
  before: 'cutover',
  reason: 'inconclusive',
  deadline: '2026-11-22T14:00:00.000Z',
  approvers: ['U0ALICE', 'group:S0OWNERS', 'bob'],
};

describe('gateMessage', () => {
  it('shows rollout, candidate vs baseline, stage, evidence, approvers, the UI link and both buttons', () => {
    const { text, blocks } = gateMessage({
      rolloutId: 'support-bot',
      name: 'Support <bot>',
      candidateModel: 'llama-70b',
      baselineModel: 'llama-8b',
      uiLink: 'http://ui/namespaces/default/workflows/support-bot',
      gate,
      stage: 'canary-2',
      verdict,
    });
    const json = JSON.stringify(blocks);
    expect(text).toContain('Approval needed before cutover for rollout support-bot (llama-70b vs llama-8b)');
    expect(json).toContain('Support &lt;bot&gt;');
    expect(json).toContain('*llama-70b* vs *llama-8b*');
    expect(json).toContain('canary-2 → cutover');
    expect(json).toContain(`<!date^${Date.parse(gate.deadline) / 1000}^{date_short_pretty} {time}|${gate.deadline}>`);
    expect(json).toContain('score 71/100');
    expect(json).toContain('baseline 0.005 → candidate 0.0062');
    expect(json).toContain('not enough requests &lt;yet&gt;');
    expect(json).toContain('<@U0ALICE>, <!subteam^S0OWNERS>, bob');
    expect(json).toContain('<http://ui/namespaces/default/workflows/support-bot|Open in the Temporal UI>');
    expect(hasOpenButtons(blocks)).toBe(true);
    const actions = blocks.find((block) => block.type === 'actions') as {
      elements: Array<{ action_id: string; value: string }>;
    };
    expect(actions.elements.map((element) => element.action_id)).toEqual(['rollout_approve', 'rollout_reject']);
    expect(parseGateButtonValue(actions.elements[0]!.value)).toEqual({
      rolloutId: 'support-bot',
      gateId: 'gate-1',
      before: 'cutover',
    });
  });

  it('links the rollout report once the rollout has written one', () => {
    const without = JSON.stringify(gateMessage({ rolloutId: 'r', gate }).blocks);
    expect(without).not.toContain('Rollout report');
    const { blocks } = gateMessage({ rolloutId: 'r', gate, report: 'https://reports.example/r/report.html?a|<b>' });
    expect(JSON.stringify(blocks)).toContain('<https://reports.example/r/report.html?a%7C%3Cb%3E|Rollout report>');
  });

  it('decided and closed gates lose their buttons; deciding twice renders once', () => {
    const { blocks } = gateMessage({ rolloutId: 'r', gate });
    const once = decidedGateBlocks(blocks, {
      decision: 'rejected',
      by: 'U0BOB',
      at: '2026-11-22T10:00:00.000Z',
      reason: 'cost > budget',
    });
    const twice = decidedGateBlocks(once, {
      decision: 'rejected',
      by: 'U0BOB',
      at: '2026-11-22T10:00:00.000Z',
      reason: 'cost > budget',
    });
    expect(twice).toEqual(once);
    expect(hasOpenButtons(once)).toBe(false);
    expect(JSON.stringify(blocks)).toContain('*Stage*\\nnext: cutover');
    expect(JSON.stringify(once)).toContain(
      `:no_entry: *Rejected* by <@U0BOB> on <!date^${Date.parse('2026-11-22T10:00:00.000Z') / 1000}^{date_short_pretty} {time}|2026-11-22T10:00:00.000Z>: cost &gt; budget`,
    );
    const closed = closedGateBlocks(blocks, 'rolled back: INC-1', '2026-11-22T10:00:00.000Z');
    expect(hasOpenButtons(closed)).toBe(false);
    expect(JSON.stringify(closed)).toContain('Closed without a decision');
  });

  it('a gate needing two approvers says who has approved and who may still, keeps its buttons until the last, then names both', () => {
    const two = { ...gate, approvers: ['U0ALICE', 'U0BOB', 'U0CAROL', 'group:S0OWNERS'], required: 2, approvedBy: [] };
    const { blocks } = gateMessage({ rolloutId: 'r', gate: two, requestedBy: 'U0CAROL' });
    const line = (of: typeof blocks) => JSON.stringify(of.find((block) => block.block_id === GATE_PROGRESS_BLOCK));
    // The requester is never offered as a remaining approver.
    expect(line(blocks)).toContain(
      '0 of 2 approvals; 2 more needed from <@U0ALICE> or <@U0BOB> or <!subteam^S0OWNERS>',
    );
    const progress = { approvedBy: ['U0ALICE'], required: 2, approvers: two.approvers, requestedBy: 'U0CAROL' };
    const once = gateProgressBlocks(blocks, progress);
    expect(gateProgressBlocks(once, progress)).toEqual(once);
    expect(once.filter((block) => block.block_id === GATE_PROGRESS_BLOCK)).toHaveLength(1);
    expect(hasOpenButtons(once)).toBe(true);
    expect(line(once)).toContain('1 of 2 approvals (<@U0ALICE>); 1 more needed from <@U0BOB> or <!subteam^S0OWNERS>');
    // The progress line sits above the approvers' line and the buttons.
    const ids = once.map((block) => block.block_id ?? block.type);
    expect(ids.slice(-3)).toEqual([GATE_PROGRESS_BLOCK, 'context', 'gate_actions']);
    const decided = decidedGateBlocks(once, {
      decision: 'approved',
      by: 'U0BOB',
      at: '2026-11-22T10:00:00.000Z',
      approvedBy: ['U0ALICE', 'U0BOB'],
    });
    expect(hasOpenButtons(decided)).toBe(false);
    expect(line(decided)).toBeUndefined();
    expect(JSON.stringify(decided)).toContain(':white_check_mark: *Approved* by <@U0ALICE> and <@U0BOB> on');
  });

  it('marks a guardrail with nothing to measure as not applicable and shows the notes, even when the metrics are cut', () => {
    const judged = {
      ...verdict,
      notes: ['costPerRequest not judged: the plan gives no prices'],
      metrics: [
        {
          ...verdict.metrics[0]!,
          metric: 'jsonValidity',
          classification: 'no_data' as const,
          status: 'not_applicable' as const,
          message: 'neither arm had JSON requests',
        },
        ...Array.from({ length: 40 }, (_, i) => ({ ...verdict.metrics[0]!, metric: `m-${i}-${'x'.repeat(200)}` })),
      ],
    };
    const text = verdictText(judged);
    expect(text).toContain(':heavy_minus_sign: *jsonValidity*: not applicable (neither arm had JSON requests)');
    expect(text).not.toContain(':grey_question: *jsonValidity*');
    expect(text).toContain(':information_source: costPerRequest not judged: the plan gives no prices');
    expect(text.length).toBeLessThanOrEqual(3_000);
  });

  it('keeps the evidence within Slack’s 3,000 characters per section', () => {
    const many: Verdict = {
      ...verdict,
      metrics: Array.from({ length: 40 }, (_, i) => ({
        ...verdict.metrics[0]!,
        metric: `metric-${i}-${'x'.repeat(200)}`,
      })),
    };
    expect(verdictText(many).length).toBeLessThanOrEqual(3_000);
    expect(verdictText(many)).toMatch(/…$/);
  });
});

describe('helpers', () => {
  it('mentions users and groups, escapes the rest', () => {
    expect(mention('U0123ABC')).toBe('<@U0123ABC>');
    expect(mention('group:S0123')).toBe('<!subteam^S0123>');
    expect(mention('dave <ops>')).toBe('dave &lt;ops&gt;');
    expect(escapeText('a & b')).toBe('a &amp; b');
  });

  it('refuses malformed button values and modal metadata', () => {
    for (const bad of [undefined, '', 'not json', '{}', '{"rolloutId":"r"}', '{"rolloutId":1,"gateId":"g"}'])
      expect(parseGateButtonValue(bad)).toBeNull();
    const modal = rejectModal({
      rolloutId: 'r',
      gateId: 'g',
      before: 'cutover',
      channel: 'C1',
      messageTs: '1.2',
      responseUrl: 'http://x/respond/1',
    });
    expect(parseRejectModalContext(modal.private_metadata)).toEqual({
      rolloutId: 'r',
      gateId: 'g',
      before: 'cutover',
      channel: 'C1',
      channelName: undefined,
      messageTs: '1.2',
      responseUrl: 'http://x/respond/1',
    });
    expect(parseRejectModalContext('{"rolloutId":"r","gateId":"g"}')).toBeNull();
    expect(parseRejectModalContext('}')).toBeNull();
  });
});

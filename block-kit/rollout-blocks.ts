// Block Kit for rollouts: the rollout's root message (its thread), the approval gate message with
// Approve / Reject buttons, the same message once decided or closed, thread lines for events, the
// reject modal and `/rollout status`. Pure functions: the worker's Slack sink and the bot both
// build from here, so a decision renders the same whoever records it.
import type { types } from '@slack/bolt';
import type { RolloutEvent } from '../activities/contract';
import type { MetricEvidence, Verdict } from '../judge/verdict';
import type { RolloutStatus } from '../workflows/rollout-state';

type Block = types.KnownBlock;

export const APPROVE_ACTION = 'rollout_approve';
export const REJECT_ACTION = 'rollout_reject';
export const REJECT_MODAL = 'rollout_reject_modal';
export const REASON_BLOCK = 'reason';
export const REASON_INPUT = 'reason_input';
export const GATE_ACTIONS_BLOCK = 'gate_actions';
export const GATE_OUTCOME_BLOCK = 'gate_outcome';
export const GATE_PROGRESS_BLOCK = 'gate_approvals';

/** Message metadata event types: how the sink finds a rollout's thread and a gate's message again. */
export const ROOT_METADATA = 'llm_rollout';
export const GATE_METADATA = 'llm_rollout_gate';

/** What a gate button carries. */
export interface GateButtonValue {
  rolloutId: string;
  gateId: string;
  before: string;
}

export interface RolloutFacts {
  rolloutId: string;
  name?: string;
  baselineModel?: string;
  candidateModel?: string;
  requestedBy?: string;
  /** Link to the rollout in the Temporal UI. */
  uiLink?: string;
  /** Link to the rollout report (report/), once the rollout has written one. */
  report?: string;
}

/** Slack mrkdwn needs &, < and > escaped in text we did not write. */
export function escapeText(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** `U…`/`W…` user ids become mentions, `group:S…` group mentions; other names stay text. */
export function mention(who: string): string {
  if (/^[UW][A-Z0-9]{2,}$/.test(who)) return `<@${who}>`;
  const group = /^group:(S[A-Z0-9]{2,})$/.exec(who);
  if (group) return `<!subteam^${group[1]}>`;
  return escapeText(who);
}

export function slackDate(iso: string): string {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return escapeText(iso);
  return `<!date^${Math.floor(ms / 1000)}^{date_short_pretty} {time}|${iso}>`;
}

function models(facts: RolloutFacts): string {
  return `*${escapeText(facts.candidateModel ?? 'candidate')}* vs *${escapeText(facts.baselineModel ?? 'baseline')}*`;
}

function title(facts: RolloutFacts): string {
  return facts.name ? `${escapeText(facts.name)} (\`${facts.rolloutId}\`)` : `\`${facts.rolloutId}\``;
}

function uiLinkText(facts: RolloutFacts): string {
  const ui = facts.uiLink ? `<${facts.uiLink}|Open in the Temporal UI>` : `Temporal workflow \`${facts.rolloutId}\``;
  return facts.report ? `${ui} · ${reportLinkText(facts.report)}` : ui;
}

function reportLinkText(report: string): string {
  return `<${report.replace(/[<>|]/g, encodeURIComponent)}|Rollout report>`;
}

// ---- the rollout's root message ----------------------------------------------------------------

export function rootMessage(facts: RolloutFacts, state: string): { text: string; blocks: Block[] } {
  const text = `Rollout ${facts.rolloutId}: ${facts.candidateModel ?? 'candidate'} vs ${facts.baselineModel ?? 'baseline'}: ${state}`;
  return {
    text,
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text: `:rocket: *Rollout* ${title(facts)}\n${models(facts)}` } },
      {
        type: 'context',
        elements: [
          {
            type: 'mrkdwn',
            text: `${facts.requestedBy ? `requested by ${mention(facts.requestedBy)} · ` : ''}${uiLinkText(facts)}`,
          },
        ],
      },
      { type: 'section', block_id: 'rollout_state', text: { type: 'mrkdwn', text: `*Status:* ${escapeText(state)}` } },
    ],
  };
}

// ---- the gate message --------------------------------------------------------------------------

const GATE_REASONS: Record<string, string> = {
  plan: 'the plan requires a release owner’s approval here',
  inconclusive: 'the window ended without a clear verdict',
  needs_review: 'the candidate differs from the baseline: a human should look',
  experiment: 'the A/B experiment ended: approve to ship the candidate, reject to keep the baseline',
};

const CLASS_ICON: Record<MetricEvidence['classification'], string> = {
  pass: ':white_check_mark:',
  high: ':small_red_triangle:',
  low: ':small_red_triangle_down:',
  no_data: ':grey_question:',
};
const NOT_APPLICABLE_ICON = ':heavy_minus_sign:';
const OUTCOME_ICON: Record<Verdict['outcome'], string> = {
  pass: ':white_check_mark:',
  fail: ':x:',
  inconclusive: ':grey_question:',
};

function figure(value: number | null): string {
  if (value === null || !Number.isFinite(value)) return 'n/a';
  const abs = Math.abs(value);
  return abs !== 0 && (abs < 0.001 || abs >= 100_000) ? value.toExponential(2) : String(Number(value.toPrecision(4)));
}

/** The verdict's key figures: outcome, score and each metric's figures, within Slack's 3,000 characters. */
export function verdictText(verdict: Verdict): string {
  const head = `${OUTCOME_ICON[verdict.outcome]} *Verdict (${escapeText(verdict.stage)}): ${verdict.outcome}*${verdict.score !== undefined ? ` · score ${Math.round(verdict.score)}/100` : ''}\n${escapeText(verdict.reason)}`;
  const lines = verdict.metrics.slice(0, 12).map((metric) => {
    // Nothing to measure in this window is not missing data: say so rather than show a question mark.
    if ('status' in metric && metric.status === 'not_applicable')
      return `${NOT_APPLICABLE_ICON} *${escapeText(metric.metric)}*: not applicable (${escapeText(metric.message)})`;
    const delta =
      metric.delta === null
        ? ''
        : `, Δ ${metric.delta >= 0 ? '+' : ''}${figure(metric.delta)}${metric.deltaKind === 'relative' ? ' (rel.)' : ''} (tol. ${figure(metric.tolerance)})`;
    const p = metric.pValue !== undefined ? `, p=${figure(metric.pValue)}` : '';
    return `${CLASS_ICON[metric.classification]} *${escapeText(metric.metric)}*${metric.critical ? ' (critical)' : ''}: baseline ${figure(metric.baseline)} → candidate ${figure(metric.candidate)}${delta}${p}; n=${metric.samples.baseline}/${metric.samples.candidate}`;
  });
  // What the judge left out and why, ahead of the metrics so the length cut never drops it: a
  // guardrail without inputs must never read as measured.
  lines.unshift(...(verdict.notes ?? []).map((note) => `:information_source: ${escapeText(note)}`));
  if (verdict.report) lines.unshift(`:page_facing_up: report on the worker: \`${escapeText(verdict.report)}\``);
  let text = head;
  for (const line of lines) {
    if (text.length + line.length + 1 > 2_900) {
      text += '\n…';
      break;
    }
    text += `\n${line}`;
  }
  return text;
}

export interface GateFacts extends RolloutFacts {
  gate: NonNullable<RolloutEvent['gate']>;
  /** The stage the rollout is in while it waits. */
  stage?: string | null;
  verdict?: Verdict;
}

export function gateMessage(facts: GateFacts): { text: string; blocks: Block[] } {
  const { gate } = facts;
  const value: GateButtonValue = { rolloutId: facts.rolloutId, gateId: gate.id, before: gate.before };
  const blocks: Block[] = [
    { type: 'header', text: { type: 'plain_text', text: `Approval needed before ${gate.before}`.slice(0, 150) } },
    {
      type: 'section',
      fields: [
        { type: 'mrkdwn', text: `*Rollout*\n${title(facts)}` },
        { type: 'mrkdwn', text: `*Candidate vs baseline*\n${models(facts)}` },
        {
          type: 'mrkdwn',
          text: `*Stage*\n${facts.stage && facts.stage !== gate.before ? `${escapeText(facts.stage)} → ` : 'next: '}${escapeText(gate.before)}`,
        },
        { type: 'mrkdwn', text: `*Decide by*\n${slackDate(gate.deadline)}` },
      ],
    },
    {
      type: 'section',
      text: { type: 'mrkdwn', text: `*Why:* ${escapeText(GATE_REASONS[gate.reason] ?? gate.reason)}` },
    },
  ];
  if (facts.verdict)
    blocks.push({ type: 'section', block_id: 'evidence', text: { type: 'mrkdwn', text: verdictText(facts.verdict) } });
  if (gate.required)
    blocks.push(
      progressBlock({
        approvedBy: gate.approvedBy ?? [],
        required: gate.required,
        approvers: gate.approvers,
        requestedBy: facts.requestedBy,
      }),
    );
  blocks.push({
    type: 'context',
    elements: [
      { type: 'mrkdwn', text: `Approvers: ${gate.approvers.map(mention).join(', ') || 'none'} · ${uiLinkText(facts)}` },
    ],
  });
  blocks.push({
    type: 'actions',
    block_id: GATE_ACTIONS_BLOCK,
    elements: [
      {
        type: 'button',
        action_id: APPROVE_ACTION,
        style: 'primary',
        text: { type: 'plain_text', text: 'Approve' },
        value: JSON.stringify(value),
      },
      {
        type: 'button',
        action_id: REJECT_ACTION,
        style: 'danger',
        text: { type: 'plain_text', text: 'Reject…' },
        value: JSON.stringify(value),
      },
    ],
  });
  return {
    text: `Approval needed before ${gate.before} for rollout ${facts.rolloutId} (${facts.candidateModel ?? 'candidate'} vs ${facts.baselineModel ?? 'baseline'})`,
    blocks,
  };
}

export interface DecisionFacts {
  decision: 'approved' | 'rejected';
  by: string;
  at: string;
  reason?: string;
  /** A gate that needed several approvers: everyone who approved it, in order. */
  approvedBy?: string[];
}

/** The gate message once decided: buttons gone, who decided and when. Idempotent. */
export function decidedGateBlocks(blocks: Block[], decision: DecisionFacts): Block[] {
  const icon = decision.decision === 'approved' ? ':white_check_mark: *Approved*' : ':no_entry: *Rejected*';
  const deciders =
    decision.decision === 'approved' && decision.approvedBy?.length
      ? decision.approvedBy.map(mention).join(' and ')
      : mention(decision.by);
  const text = `${icon} by ${deciders} on ${slackDate(decision.at)}${decision.reason ? `: ${escapeText(decision.reason)}` : ''}`;
  return withOutcome(
    blocks.filter((block) => block.block_id !== GATE_PROGRESS_BLOCK),
    text,
  );
}

/** A gate needing several approvers: who has approved, and who may still. */
export interface ApprovalProgress {
  approvedBy: string[];
  required: number;
  /** The plan's approvers (names and `group:` entries). */
  approvers: string[];
  /** The rollout's requester, who never counts. */
  requestedBy?: string;
}

/** "1 of 2 approvals (@alice); 1 more needed from @bob or @carol", as mrkdwn. */
export function approvalProgressText(progress: ApprovalProgress): string {
  const { approvedBy, required, approvers, requestedBy } = progress;
  const missing = Math.max(0, required - approvedBy.length);
  const may = approvers.filter((who) => !approvedBy.includes(who) && who !== requestedBy);
  const done = `${approvedBy.length} of ${required} approvals${approvedBy.length ? ` (${approvedBy.map(mention).join(', ')})` : ''}`;
  if (missing === 0) return done;
  return `${done}; ${missing} more needed${may.length ? ` from ${may.map(mention).join(' or ')}` : ''}`;
}

function progressBlock(progress: ApprovalProgress): Block {
  return {
    type: 'section',
    block_id: GATE_PROGRESS_BLOCK,
    text: { type: 'mrkdwn', text: `*Approvals:* ${approvalProgressText(progress)}` },
  };
}

/** The open gate message after an approval that leaves it open: the progress line, buttons kept. Idempotent. */
export function gateProgressBlocks(blocks: Block[], progress: ApprovalProgress): Block[] {
  const line = progressBlock(progress);
  const at = blocks.findIndex((block) => block.block_id === GATE_PROGRESS_BLOCK);
  if (at >= 0) return blocks.map((block, i) => (i === at ? line : block));
  // Before the approvers' line and the buttons.
  const actions = blocks.findIndex((block) => block.type === 'actions');
  const before = actions > 0 && blocks[actions - 1]!.type === 'context' ? actions - 1 : actions;
  return before < 0 ? [...blocks, line] : [...blocks.slice(0, before), line, ...blocks.slice(before)];
}

/** The gate message once the gate closed without a decision (rollback, timeout, finished rollout). */
export function closedGateBlocks(blocks: Block[], why: string, at: string): Block[] {
  return withOutcome(blocks, `:lock: *Closed without a decision* on ${slackDate(at)}: ${escapeText(why)}`);
}

function withOutcome(blocks: Block[], text: string): Block[] {
  const kept = blocks.filter((block) => block.type !== 'actions' && block.block_id !== GATE_OUTCOME_BLOCK);
  return [...kept, { type: 'section', block_id: GATE_OUTCOME_BLOCK, text: { type: 'mrkdwn', text } }];
}

export function hasOpenButtons(blocks: Array<{ type?: string }> | undefined): boolean {
  return (blocks ?? []).some((block) => block.type === 'actions');
}

export function parseGateButtonValue(value: unknown): GateButtonValue | null {
  if (typeof value !== 'string') return null;
  try {
    const parsed = JSON.parse(value) as Partial<GateButtonValue>;
    if (
      typeof parsed.rolloutId === 'string' &&
      typeof parsed.gateId === 'string' &&
      parsed.rolloutId &&
      parsed.gateId
    ) {
      return {
        rolloutId: parsed.rolloutId,
        gateId: parsed.gateId,
        before: typeof parsed.before === 'string' ? parsed.before : '',
      };
    }
  } catch {
    // fall through
  }
  return null;
}

// ---- thread lines ------------------------------------------------------------------------------

const EVENT_ICON: Record<string, string> = {
  started: ':rocket:',
  stage_started: ':arrow_forward:',
  stage_passed: ':white_check_mark:',
  window_extended: ':hourglass_flowing_sand:',
  verdict: ':bar_chart:',
  gate_opened: ':raised_hand:',
  gate_approved: ':white_check_mark:',
  gate_approval: ':ballot_box_with_check:',
  gate_rejected: ':no_entry:',
  rollback_requested: ':rotating_light:',
  compensated: ':leftwards_arrow_with_hook:',
  promoted: ':tada:',
  rolled_back: ':leftwards_arrow_with_hook:',
  aborted: ':octagonal_sign:',
  reverted: ':leftwards_arrow_with_hook:',
  revert_failed: ':warning:',
};

export const FINAL_EVENTS = new Set(['promoted', 'rolled_back', 'aborted', 'reverted']);

export function threadLine(event: RolloutEvent): { text: string; blocks: Block[] } {
  const icon = EVENT_ICON[event.type] ?? ':information_source:';
  const who = event.by ? ` (${mention(event.by)})` : '';
  const line = `${icon} *${escapeText(event.type.replace(/_/g, ' '))}*${event.stage ? ` · ${escapeText(event.stage)}` : ''}${who}: ${escapeText(event.message)}`;
  const blocks: Block[] = [{ type: 'section', text: { type: 'mrkdwn', text: line.slice(0, 2_900) } }];
  // Failed and golden/shadow verdicts carry their evidence; passing canary checks stay one line.
  if (event.verdict && event.type !== 'stage_passed')
    blocks.push({ type: 'section', text: { type: 'mrkdwn', text: verdictText(event.verdict) } });
  return { text: `${event.type}: ${event.message}`.slice(0, 3_000), blocks };
}

export function rootState(event: RolloutEvent): string {
  switch (event.type) {
    case 'promoted':
      return `promoted: ${event.message}`;
    case 'rolled_back':
      return `rolled back: ${event.message}`;
    case 'aborted':
      return `aborted: ${event.message}`;
    case 'reverted':
      return `reverted: ${event.message}`;
    case 'gate_opened':
      return `waiting for approval before ${event.gate?.before ?? event.stage ?? 'the next stage'}`;
    case 'gate_approval':
      return `waiting for approval before ${event.gate?.before ?? event.stage ?? 'the next stage'} (${event.gate?.approvedBy?.length ?? 0} of ${event.gate?.required ?? 1})`;
    default:
      return event.stage ? `in progress (${event.stage})` : 'in progress';
  }
}

// ---- the reject modal --------------------------------------------------------------------------

export interface RejectModalContext extends GateButtonValue {
  channel: string;
  channelName?: string;
  messageTs?: string;
  responseUrl?: string;
}

export function rejectModal(context: RejectModalContext): types.View {
  return {
    type: 'modal',
    callback_id: REJECT_MODAL,
    private_metadata: JSON.stringify(context),
    title: { type: 'plain_text', text: 'Reject rollout' },
    submit: { type: 'plain_text', text: 'Reject' },
    close: { type: 'plain_text', text: 'Cancel' },
    blocks: [
      {
        type: 'section',
        text: {
          type: 'mrkdwn',
          text: `Reject \`${context.rolloutId}\`${context.before ? ` before *${escapeText(context.before)}*` : ''}? Traffic goes back to the baseline and the rollout ends.`,
        },
      },
      {
        type: 'input',
        block_id: REASON_BLOCK,
        label: { type: 'plain_text', text: 'Reason' },
        element: { type: 'plain_text_input', action_id: REASON_INPUT, multiline: true, min_length: 1, max_length: 500 },
      },
    ],
  };
}

export function parseRejectModalContext(value: unknown): RejectModalContext | null {
  if (typeof value !== 'string') return null;
  try {
    const parsed = JSON.parse(value) as Partial<RejectModalContext>;
    if (
      typeof parsed.rolloutId === 'string' &&
      typeof parsed.gateId === 'string' &&
      typeof parsed.channel === 'string'
    ) {
      return {
        rolloutId: parsed.rolloutId,
        gateId: parsed.gateId,
        before: typeof parsed.before === 'string' ? parsed.before : '',
        channel: parsed.channel,
        channelName: typeof parsed.channelName === 'string' ? parsed.channelName : undefined,
        messageTs: typeof parsed.messageTs === 'string' ? parsed.messageTs : undefined,
        responseUrl: typeof parsed.responseUrl === 'string' ? parsed.responseUrl : undefined,
      };
    }
  } catch {
    // fall through
  }
  return null;
}

// ---- /rollout status ---------------------------------------------------------------------------

export function statusText(status: RolloutStatus, uiLink?: string): string {
  const lines = [
    `*${status.name ? `${escapeText(status.name)} (\`${status.rolloutId}\`)` : `\`${status.rolloutId}\``}*: ${escapeText(status.candidateModel)} vs ${escapeText(status.baselineModel)}`,
    `phase *${status.phase}*${status.stage ? `, stage *${escapeText(status.stage)}*` : ''}; weights baseline ${status.weights.baseline}% / candidate ${status.weights.candidate}%${status.shadow.enabled ? `; shadow to ${status.shadow.target} at ${Math.round(status.shadow.share * 100)}%` : ''}${layerNote(status)}`,
  ];
  if (status.outcome) lines.push(`outcome *${status.outcome}*: ${escapeText(status.reason ?? '')}`);
  if (status.gate)
    lines.push(
      `:raised_hand: waiting for approval before *${escapeText(status.gate.before)}* (gate \`${status.gate.id}\`, decide by ${slackDate(status.gate.deadline)})${status.gate.required ? `: ${approvalProgressText({ approvedBy: (status.gate.approvals ?? []).map((a) => a.by), required: status.gate.required, approvers: [], requestedBy: status.requestedBy })}` : ''}`,
    );
  if (status.paused)
    lines.push(
      `:double_vertical_bar: paused by ${mention(status.paused.by)}${status.paused.reason ? `: ${escapeText(status.paused.reason)}` : ''}`,
    );
  if (status.rollbackRequest)
    lines.push(
      `:rotating_light: rollback requested by ${mention(status.rollbackRequest.by)}: ${escapeText(status.rollbackRequest.reason)}`,
    );
  const verdict = status.verdicts.at(-1);
  if (verdict)
    lines.push(`latest verdict (${escapeText(verdict.stage)}): ${verdict.outcome}: ${escapeText(verdict.reason)}`);
  for (const reported of status.verdicts.filter((v) => v.report))
    lines.push(
      `:page_facing_up: ${escapeText(reported.stage)} report (${reported.outcome}): \`${escapeText(reported.report!)}\``,
    );
  if (status.report) lines.push(`:bar_chart: ${reportLinkText(status.report)}`);
  if (uiLink) lines.push(`<${uiLink}|Open in the Temporal UI>`);
  return lines.join('\n');
}

/** What the traffic layer really held at the last check, when it differs from what the rollout wants (absent from older workers' answers). */
function layerNote(status: RolloutStatus): string {
  const layer = status.trafficLayer;
  if (!layer) return '';
  const same =
    layer.weights.baseline === status.weights.baseline &&
    layer.weights.candidate === status.weights.candidate &&
    layer.shadow.enabled === status.shadow.enabled;
  return same
    ? ''
    : ` (the traffic layer held baseline ${layer.weights.baseline}% / candidate ${layer.weights.candidate}% at ${layer.at.slice(11, 19)} UTC; the next check puts it back)`;
}

// LLM-as-judge with a focused rubric: one grading request per input scores both answers (the
// baseline's and the candidate's) on 3–5 criteria from 1 to 5. The two answers are shown in a
// random order per item (seeded by the item's key, so a retried eval asks the same question) to
// cancel the judge's position bias, and mapped back to their sides after parsing.
//
// Anything short of a full, valid set of scores is a counted "no score" with its reason (judge
// unreachable, HTTP error, an answer that does not parse, a missing or out-of-range score) —
// never a silent 0 and never a pass. An answer that does not parse is asked once more; a judge
// that fails `giveUpAfter` times in a row without ever answering is not called again.
//
// Prompt format (the simulated judge in simulator/judge-answer.ts understands it): the system
// message calls the model a grader, lists the criteria as "- name: description" lines and asks for
// JSON {"A": {criterion: score}, "B": {…}}; the user message holds the request, the reference
// answer when there is one, and the answers in <answer_a>…</answer_a> and <answer_b>…</answer_b>.
import type OpenAI from 'openai';
import { z } from 'zod';
import { withLinkedSignal } from './abort-link';
import { scoringClient, type EndpointGiveUp } from './endpoint-give-up';
import { seedOf } from './paired-bootstrap';

export interface JudgeCriterion {
  name: string;
  description: string;
}

export interface JudgeEndpoint {
  baseUrl: string;
  model: string;
  apiKey?: string;
  criteria: JudgeCriterion[];
  requestTimeoutMs: number;
  /** Retries per request after the first attempt (the SDK's, with backoff). */
  retries: number;
  orderSeed: number;
  /** Consecutive failures, with no success yet, after which the judge is considered unreachable. */
  giveUpAfter?: number;
}

export type JudgeOrder = 'baseline_first' | 'candidate_first';

export type LlmJudgeVerdict =
  | { status: 'scored'; order: JudgeOrder; baseline: Record<string, number>; candidate: Record<string, number> }
  | { status: 'no_score'; order: JudgeOrder; kind: NoScoreKind; reason: string };

/** Why there is no score: counted by kind in the verdict, each item's full reason in the report. */
export type NoScoreKind = 'unreachable' | 'request_failed' | 'unparseable';

export interface JudgeRequest {
  /** Stable key of the input (golden item id, shadow request id): decides the order. */
  key: string;
  messages: Array<{ role: string; content: string }>;
  expected?: string;
  baseline: string;
  candidate: string;
  signal?: AbortSignal;
}

/** Longest answer or request text shown to the judge; longer ones are cut (and say so). */
export const MAX_JUDGED_CHARS = 8_000;

export function judgeOrder(orderSeed: number, key: string): JudgeOrder {
  return (seedOf(`${orderSeed}|${key}`) & 1) === 0 ? 'baseline_first' : 'candidate_first';
}

const clip = (text: string) =>
  text.length > MAX_JUDGED_CHARS
    ? `${text.slice(0, MAX_JUDGED_CHARS)}\n[… cut at ${MAX_JUDGED_CHARS} characters]`
    : text;

export function buildJudgeMessages(
  criteria: JudgeCriterion[],
  request: Pick<JudgeRequest, 'messages' | 'expected'>,
  answerA: string,
  answerB: string,
): Array<{ role: 'system' | 'user'; content: string }> {
  const shape = `{"A": {${criteria.map((c) => `"${c.name}": <1-5>`).join(', ')}}, "B": {…the same criteria…}}`;
  const system = [
    'You are an impartial grader. You compare two answers, A and B, to the same request.',
    'Score each answer on each criterion from 1 (poor) to 5 (excellent), independently of the other answer and of the order in which they are shown.',
    'Criteria:',
    ...criteria.map((c) => `- ${c.name}: ${c.description}`),
    `Respond with only a JSON object, no prose: ${shape}`,
  ].join('\n');
  const conversation = request.messages.map((m) => `[${m.role}]\n${clip(m.content)}`).join('\n\n');
  const user = [
    '<request>',
    conversation,
    '</request>',
    ...(request.expected !== undefined ? ['<reference>', clip(request.expected), '</reference>'] : []),
    '<answer_a>',
    clip(answerA),
    '</answer_a>',
    '<answer_b>',
    clip(answerB),
    '</answer_b>',
  ].join('\n');
  return [
    { role: 'system', content: system },
    { role: 'user', content: user },
  ];
}

export class JudgeParseError extends Error {
  override name = 'JudgeParseError';
}

/** The judge's scores for A and B; throws JudgeParseError saying what is wrong. */
export function parseJudgeScores(
  text: string,
  criteria: JudgeCriterion[],
): { A: Record<string, number>; B: Record<string, number> } {
  const value = extractJson(text);
  const score = z.number().min(1).max(5);
  const sideSchema = z.record(z.string(), z.unknown());
  const object = z.object({ A: sideSchema, B: sideSchema }).safeParse(normaliseSides(value));
  if (!object.success) throw new JudgeParseError('expected a JSON object with "A" and "B" score objects');
  const sides = {} as { A: Record<string, number>; B: Record<string, number> };
  for (const side of ['A', 'B'] as const) {
    const scores: Record<string, number> = {};
    for (const { name } of criteria) {
      const raw = object.data[side][name];
      const parsed = score.safeParse(typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : raw);
      if (raw === undefined) throw new JudgeParseError(`no "${name}" score for answer ${side}`);
      if (!parsed.success)
        throw new JudgeParseError(
          `"${name}" score for answer ${side} is ${JSON.stringify(raw)}, not a number from 1 to 5`,
        );
      scores[name] = parsed.data;
    }
    sides[side] = scores;
  }
  return sides;
}

function extractJson(text: string): unknown {
  const attempts = [text.trim()];
  const fenced = /```(?:json)?\s*([\s\S]*?)```/i.exec(text);
  if (fenced?.[1]) attempts.push(fenced[1].trim());
  const first = text.indexOf('{');
  const last = text.lastIndexOf('}');
  if (first >= 0 && last > first) attempts.push(text.slice(first, last + 1));
  for (const attempt of attempts) {
    try {
      return JSON.parse(attempt);
    } catch {
      // next
    }
  }
  throw new JudgeParseError(`not JSON: ${JSON.stringify(text.length > 120 ? `${text.slice(0, 120)}…` : text)}`);
}

/** Accepts "a"/"b" and "answer_a"/"answer_b" as well as "A"/"B". */
function normaliseSides(value: unknown): unknown {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [key, side] of Object.entries(value as Record<string, unknown>)) {
    const k = key.toLowerCase().replace(/^answer[_ ]?/, '');
    if (k === 'a') out.A = side;
    else if (k === 'b') out.B = side;
    else out[key] = side;
  }
  return out;
}

export class LlmJudge {
  private readonly client: OpenAI;
  private readonly giveUp: EndpointGiveUp;

  constructor(readonly endpoint: JudgeEndpoint) {
    ({ client: this.client, giveUp: this.giveUp } = scoringClient(endpoint));
  }

  get criteria(): JudgeCriterion[] {
    return this.endpoint.criteria;
  }

  async judge(request: JudgeRequest): Promise<LlmJudgeVerdict> {
    const order = judgeOrder(this.endpoint.orderSeed, request.key);
    const [a, b] =
      order === 'baseline_first' ? [request.baseline, request.candidate] : [request.candidate, request.baseline];
    const unreachable = this.giveUp.unreachable();
    if (unreachable)
      return { status: 'no_score', order, kind: 'unreachable', reason: `judge unreachable (${unreachable})` };
    const messages = buildJudgeMessages(this.endpoint.criteria, request, a, b);
    let lastParseError = '';
    // One more ask when the answer does not parse: judges are not always deterministic.
    for (let attempt = 0; attempt < 2; attempt++) {
      let text: string;
      try {
        const response = await withLinkedSignal(request.signal, (signal) =>
          this.client.chat.completions.create(
            { model: this.endpoint.model, messages, temperature: 0, response_format: { type: 'json_object' } },
            { signal },
          ),
        );
        text = response.choices[0]?.message?.content ?? '';
      } catch (error) {
        if (request.signal?.aborted) throw error;
        return {
          status: 'no_score',
          order,
          kind: 'request_failed',
          reason: `judge request failed: ${this.giveUp.failed(error)}`,
        };
      }
      this.giveUp.answered();
      try {
        const scores = parseJudgeScores(text, this.endpoint.criteria);
        const [baseline, candidate] = order === 'baseline_first' ? [scores.A, scores.B] : [scores.B, scores.A];
        return { status: 'scored', order, baseline, candidate };
      } catch (error) {
        if (!(error instanceof JudgeParseError)) throw error;
        lastParseError = error.message;
      }
    }
    return { status: 'no_score', order, kind: 'unparseable', reason: `judge answer did not parse: ${lastParseError}` };
  }
}

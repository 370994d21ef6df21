// The SIMULATED JUDGE: any simulated backend answers a grading request (the prompt format of
// evals/llm-judge.ts) with deterministic JSON scores, so the rubric judge's real code path —
// prompt building, random order, parsing, "no score" handling — runs against it in tests and the
// demo. It is not a model and does not read the answers for meaning; it scores simple, documented
// features of the two answers:
//
//   a grading request   a system message that calls the model a grader and asks for JSON, and a
//                       user message holding <answer_a>…</answer_a> and <answer_b>…</answer_b>;
//   criteria            the system message's "- name: description" lines;
//   text of an answer   a JSON object's string values joined, else the answer as written;
//   points              sentences that carry content (contain one of the simulator's verbs);
//   refusal             a first-person decline ("I can't help…", "I cannot provide…");
//   hedges              hedging markers ("not entirely sure", "may be mistaken", "can't be certain"…);
//   wordy phrases       WORDY_PHRASES ("typically updates", "in most cases"…).
//
// Scores (1–5) by criterion, chosen by words in its name or description:
//   complete/cover/thorough   refusal 1; else 1 + round(4 × points / the larger answer's points)
//   direct/confiden/hedg      refusal 3; else max(1, 5 − 2 × hedges)
//   helpful/useful/refus      refusal 1; 0 points 2; 1 point 4; else 5
//   clear/clarity/concise     refusal or 0 points 3; else 5 − 2 × wordy phrases per point, in 1..5
//   anything else             the rounded mean of those four
// The answer is {"A": {criterion: score, …}, "B": {…}}; with `judgeMalformedRate` a share of
// requests (chosen by prompt) get prose instead, for testing how unparseable verdicts are handled.
import type { Behaviour } from './behaviour';
import type { ChatRequest } from './openai-requests';
import { hashString } from '../lib/seeded-random';
import { PLAIN_WORDING } from './answer-style';
import { VERBS } from './text-generation';

export const WORDY_PHRASES = [
  'should reflect',
  'typically updates',
  'usually requires',
  'may affect',
  'in most cases',
  'according to the current policy',
];
const HEDGE_MARKERS =
  /not entirely sure|might be that|could be wrong|may be mistaken|can't be certain|cannot be certain|\bI think\b|\bperhaps\b|\bpossibly\b/gi;
const REFUSAL =
  /\b(?:I\s+can(?:no|['’])t|I['’]m\s+unable\s+to|I\s+won['’]t|I\s+will\s+not)\s+(?:help|assist|comply|provide)\b/i;
const CONTENT_VERB = new RegExp(
  `\\b(?:${[...VERBS, ...VERBS.map((verb) => PLAIN_WORDING[verb] ?? verb)].join('|')})\\b`,
);

export const MALFORMED_JUDGE_ANSWER = 'Both answers look reasonable to me; I would rate them about the same.';

/** True for a grading request in evals/llm-judge.ts's format. */
export function isJudgeRequest(request: Pick<ChatRequest, 'system' | 'user'>): boolean {
  return (
    /\bgrader\b/i.test(request.system) &&
    /\bJSON\b/.test(request.system) &&
    /<answer_a>/.test(request.user) &&
    /<answer_b>/.test(request.user)
  );
}

export interface AnswerFeatures {
  refusal: boolean;
  points: number;
  hedges: number;
  wordy: number;
}

export function answerFeatures(answer: string): AnswerFeatures {
  const text = textOf(answer);
  const sentences = text.split(/(?<=[.!?:])\s+/);
  const points = sentences.filter((sentence) => CONTENT_VERB.test(sentence)).length;
  const lower = text.toLowerCase();
  const wordy = WORDY_PHRASES.reduce((sum, phrase) => sum + lower.split(phrase).length - 1, 0);
  return { refusal: REFUSAL.test(text), points, hedges: (text.match(HEDGE_MARKERS) ?? []).length, wordy };
}

function textOf(answer: string): string {
  try {
    const value: unknown = JSON.parse(answer);
    if (value !== null && typeof value === 'object') {
      return Object.values(value as Record<string, unknown>)
        .filter((v): v is string => typeof v === 'string')
        .join(' ');
    }
  } catch {
    // prose
  }
  return answer;
}

const clamp = (score: number) => Math.min(5, Math.max(1, Math.round(score)));

/** One criterion's score; the criterion is recognised by its name, else by its description. */
export function criterionScore(
  criterion: { name: string; description: string },
  mine: AnswerFeatures,
  maxPoints: number,
): number {
  const completeness = mine.refusal ? 1 : clamp(1 + (4 * mine.points) / Math.max(1, maxPoints));
  const directness = mine.refusal ? 3 : clamp(5 - 2 * mine.hedges);
  const helpfulness = mine.refusal ? 1 : mine.points === 0 ? 2 : mine.points === 1 ? 4 : 5;
  const clarity = mine.refusal || mine.points === 0 ? 3 : clamp(5 - (2 * mine.wordy) / mine.points);
  const recognise = (words: string): number | null => {
    const lower = words.toLowerCase();
    if (/complete|cover|thorough/.test(lower)) return completeness;
    if (/direct|confiden|hedg/.test(lower)) return directness;
    if (/helpful|useful|refus/.test(lower)) return helpfulness;
    if (/clear|clarity|concise/.test(lower)) return clarity;
    return null;
  };
  return (
    recognise(criterion.name) ??
    recognise(criterion.description) ??
    clamp((completeness + directness + helpfulness + clarity) / 4)
  );
}

/** The criteria a grading request lists: "- name: description" lines of its system message. */
export function judgeCriteria(system: string): Array<{ name: string; description: string }> {
  return [...system.matchAll(/^\s*-\s*([A-Za-z][\w-]*)\s*:\s*(.+)$/gm)].map((match) => ({
    name: match[1]!,
    description: match[2]!,
  }));
}

/** The simulated judge's answer to a grading request. */
export function judgeAnswer(
  request: Pick<ChatRequest, 'system' | 'user' | 'prompt'>,
  behaviour: Pick<Behaviour, 'seed' | 'judgeMalformedRate'>,
): string {
  if (hashString(`judge-malformed|${request.prompt}`, behaviour.seed) / 4294967296 < behaviour.judgeMalformedRate)
    return MALFORMED_JUDGE_ANSWER;
  const a = answerFeatures(between(request.user, 'answer_a'));
  const b = answerFeatures(between(request.user, 'answer_b'));
  const maxPoints = Math.max(a.points, b.points);
  const criteria = judgeCriteria(request.system);
  const scores = (mine: AnswerFeatures) =>
    Object.fromEntries(criteria.map((criterion) => [criterion.name, criterionScore(criterion, mine, maxPoints)]));
  return JSON.stringify({ A: scores(a), B: scores(b) });
}

function between(text: string, tag: string): string {
  const match = new RegExp(`<${tag}>([\\s\\S]*?)</${tag}>`).exec(text);
  return match?.[1]?.trim() ?? '';
}

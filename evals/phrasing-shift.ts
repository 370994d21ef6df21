// Changed phrasing, found without a model: which phrases a candidate's answers use more often than
// the baseline's. Works on any two lists of answer texts (golden items, shadow pairs, live canary
// answers), in any language: words come from Unicode word segmentation (Intl.Segmenter), with no
// word lists.
//
// A phrase is a run of 2–4 words anywhere in an answer, or the answer's opening or closing (its
// first or last 1–4 words). Each answer counts once per phrase it contains; the share of candidate
// answers with the phrase is compared with the share of baseline answers by a one-sided Fisher
// exact test (conditional on the phrase's total count). A phrase rises when that test rejects and
// its share rose by more than the tolerance.
//
// Multiplicity: Tarone's method (Tarone 1990, as in significant pattern mining). Given its total
// count, a phrase has a smallest attainable p-value and a largest attainable rise; a phrase that
// could never reject at α/k, or never rise beyond the tolerance, cannot be a false finding, so
// the family is the smallest k such that at most k phrases could, and each is tested at α/k
// (Bonferroni over the testable phrases). The family-wise error rate stays at most α while the
// thousands of rare phrases cost nothing.
//
// One change, one finding: overlapping rising phrases are collapsed into the one that rose most
// (the longest, an opening or closing before the same words anywhere) and stitched with the
// overlapping phrases that rose as much, so "as far as I can tell" prepended to half the answers
// is one finding, not fifteen n-grams.
//
// Added or reworded: a phrase the candidate uses where the baseline used another (a rewording:
// "shows" for "should reflect") rises as much as the other falls, at the same place in the
// answers. A rise matched by such a fall (of a phrase anywhere in the baseline's answers, in
// occurrences at least 40% as large, at a similar relative position, and not a run the phrase
// itself broke by landing inside it) is reported as reworded; the rest are added phrases — the
// regression signal (qualifiers, disclaimers, boilerplate the baseline never wrote). A phrase
// added at the same place where the candidate also rewords a phrase as frequent reads as a
// rewording: that limit is the price of not alarming on healthy paraphrase.
//
// Bounded work: at most `maxAnswers` answers per side (evenly spaced), `maxWordsPerAnswer` words
// of each for the runs anywhere, and only the phrases the test could find are tested.
import { gammaln } from 'simple-statistics';
import { bonferroniAlpha } from '../lib/multiplicity';
import { rankQuantileSorted } from '../lib/quantiles';

export type PhrasePosition = 'opening' | 'closing' | 'anywhere';

export interface PhrasingShiftOptions {
  /** Family-wise error rate over every phrase tested (Tarone–Bonferroni). */
  alpha: number;
  /** Smallest rise in the share of answers with the phrase that counts (absolute, 0..1). */
  tolerance: number;
  /** Words in a run anywhere in the answer. */
  minWords: number;
  maxWords: number;
  /** Openings and closings of 1..edgeWords words. */
  edgeWords: number;
  /** Answers per side, evenly spaced when there are more. */
  maxAnswers: number;
  /** Words of each answer scanned for runs anywhere (openings and closings always). */
  maxWordsPerAnswer: number;
  /** Findings reported (the largest rises first). */
  maxFindings: number;
  /** Candidate answers quoted per finding. */
  examples: number;
}

export const DEFAULT_PHRASING_OPTIONS: Readonly<PhrasingShiftOptions> = Object.freeze({
  alpha: 0.05,
  tolerance: 0.1,
  minWords: 2,
  maxWords: 4,
  edgeWords: 4,
  maxAnswers: 1_000,
  maxWordsPerAnswer: 300,
  maxFindings: 10,
  examples: 2,
});

export interface PhraseShare {
  /** Answers containing the phrase. */
  count: number;
  answers: number;
  share: number;
}

export interface PhraseFinding {
  /** The phrase's words, lower-cased, separated by one space. */
  phrase: string;
  position: PhrasePosition;
  baseline: PhraseShare;
  candidate: PhraseShare;
  /** candidate.share − baseline.share. */
  rise: number;
  /** One-sided Fisher exact p-value of the rise (unadjusted; compare with `level`). */
  pValue: number;
  /** Excerpts of candidate answers with the phrase, as written. */
  examples: string[];
  /** A reworded phrase: the baseline's phrase it took the place of. */
  replaces?: { phrase: string; baseline: PhraseShare; candidate: PhraseShare };
  /** One sentence for people: `candidate starts 48.0% of answers with "…"; baseline 0.0%`. */
  summary: string;
}

export interface PhrasingShift {
  /** Answers compared per side (after sampling). */
  answers: { baseline: number; candidate: number };
  /** Distinct phrases counted, and how many could be found (Tarone's family size). */
  phrases: number;
  testable: number;
  /** The per-phrase level α/testable. */
  level: number;
  tolerance: number;
  /** Phrases the candidate added: the findings. */
  added: PhraseFinding[];
  /** Phrases that took the place of a baseline phrase: shown, never a finding. */
  reworded: PhraseFinding[];
}

interface Word {
  text: string;
  start: number;
  end: number;
}

interface Answer {
  source: string;
  words: Word[];
  /** The words joined by single spaces, with a space at each end: runs are found by substring search. */
  joined: string;
}

const segmenter = new Intl.Segmenter(undefined, { granularity: 'word' });

/** The answer's words (Unicode word segmentation, NFKC, lower case) with their offsets in `text`. */
export function answerWords(text: string): Word[] {
  const words: Word[] = [];
  for (const segment of segmenter.segment(text)) {
    if (!segment.isWordLike) continue;
    words.push({
      text: segment.segment.normalize('NFKC').toLowerCase(),
      start: segment.index,
      end: segment.index + segment.segment.length,
    });
  }
  return words;
}

/**
 * The prose of an answer: a JSON answer's string values (its keys and numbers are the JSON
 * contract's business, not wording), any other answer as it is.
 */
export function proseOf(answer: string): string {
  const trimmed = answer.trim();
  if (!trimmed.startsWith('{') && !trimmed.startsWith('[')) return answer;
  let value: unknown;
  try {
    value = JSON.parse(trimmed);
  } catch {
    return answer;
  }
  const strings: string[] = [];
  const walk = (node: unknown): void => {
    if (typeof node === 'string') strings.push(node);
    else if (Array.isArray(node)) node.forEach(walk);
    else if (node !== null && typeof node === 'object') Object.values(node).forEach(walk);
  };
  walk(value);
  return strings.join('\n');
}

function sample<T>(items: readonly T[], max: number): T[] {
  if (items.length <= max) return [...items];
  return Array.from({ length: max }, (_, i) => items[Math.floor((i * items.length) / max)]!);
}

const SEP = '\u0001';
const keyOf = (position: PhrasePosition, words: readonly string[]) => `${position[0]}${SEP}${words.join(' ')}`;
const POSITIONS: Record<string, PhrasePosition> = { o: 'opening', c: 'closing', a: 'anywhere' };

/** The distinct phrase keys of one answer. */
function phraseKeys(words: readonly string[], options: PhrasingShiftOptions): Set<string> {
  const keys = new Set<string>();
  const scanned = words.slice(0, options.maxWordsPerAnswer);
  for (let n = options.minWords; n <= options.maxWords; n++)
    for (let i = 0; i + n <= scanned.length; i++) keys.add(keyOf('anywhere', scanned.slice(i, i + n)));
  for (let n = 1; n <= Math.min(options.edgeWords, words.length); n++) {
    keys.add(keyOf('opening', words.slice(0, n)));
    keys.add(keyOf('closing', words.slice(words.length - n)));
  }
  return keys;
}

interface PhraseCounts {
  /** Answers with the phrase. */
  answers: Map<string, number>;
  /** Occurrences of each run anywhere, over all answers (a rewording moves occurrences). */
  occurrences: Map<string, number>;
}

function countPhrases(answers: Answer[], options: PhrasingShiftOptions): PhraseCounts {
  const counts: PhraseCounts = { answers: new Map(), occurrences: new Map() };
  for (const answer of answers) {
    const words = answer.words.map((w) => w.text);
    for (const key of phraseKeys(words, options)) counts.answers.set(key, (counts.answers.get(key) ?? 0) + 1);
    const scanned = words.slice(0, options.maxWordsPerAnswer);
    for (let n = options.minWords; n <= options.maxWords; n++)
      for (let i = 0; i + n <= scanned.length; i++) {
        const key = keyOf('anywhere', scanned.slice(i, i + n));
        counts.occurrences.set(key, (counts.occurrences.get(key) ?? 0) + 1);
      }
  }
  return counts;
}

const lnChoose = (n: number, k: number) => gammaln(n + 1) - gammaln(k + 1) - gammaln(n - k + 1);

/**
 * P(X ≥ a) for X ~ Hypergeometric(population, successes = total, draws = drawn): the one-sided
 * Fisher exact p-value of `a` of the phrase's `total` answers falling on the side of `drawn`.
 */
export function fisherUpperTail(a: number, total: number, drawn: number, population: number): number {
  const hi = Math.min(total, drawn);
  const lo = Math.max(0, total + drawn - population);
  if (a <= lo) return 1;
  if (a > hi) return 0;
  let term = Math.exp(lnChoose(total, a) + lnChoose(population - total, drawn - a) - lnChoose(population, drawn));
  let sum = 0;
  for (let x = a; x <= hi; x++) {
    sum += term;
    term *= ((total - x) * (drawn - x)) / ((x + 1) * (population - total - drawn + x + 1));
  }
  return Math.min(1, sum);
}

interface Tested {
  key: string;
  position: PhrasePosition;
  words: string[];
  /** Answers with the phrase on the side that rose and on the other. */
  up: number;
  other: number;
  rise: number;
  pValue: number;
}

/**
 * The phrases whose share on side `up` rose significantly beyond the tolerance (Tarone–Bonferroni
 * at `alpha`), with the family size and the level.
 */
function risingPhrases(
  up: Map<string, number>,
  other: Map<string, number>,
  nUp: number,
  nOther: number,
  options: PhrasingShiftOptions,
): { rising: Tested[]; testable: number; level: number } {
  const population = nUp + nOther;
  // Each phrase's best case given its total count t: all of it on the rising side.
  const candidates: Array<{ key: string; minP: number }> = [];
  for (const [key, count] of up) {
    const total = count + (other.get(key) ?? 0);
    const best = Math.min(total, nUp);
    const maxRise = best / nUp - (total - best) / nOther;
    if (!(maxRise > options.tolerance)) continue;
    candidates.push({ key, minP: fisherUpperTail(best, total, nUp, population) });
  }
  candidates.sort((a, b) => a.minP - b.minP);
  // Tarone: the smallest k with at most k phrases able to reach α/k.
  let able = candidates.length;
  let k = 1;
  for (; ; k++) {
    while (able > 0 && candidates[able - 1]!.minP > options.alpha / k) able--;
    if (able <= k) break;
  }
  const level = bonferroniAlpha(options.alpha, k);
  const rising: Tested[] = [];
  for (const { key, minP } of candidates) {
    if (minP > level) break;
    const a = up.get(key)!;
    const b = other.get(key) ?? 0;
    const rise = a / nUp - b / nOther;
    if (!(rise > options.tolerance)) continue;
    const pValue = fisherUpperTail(a, a + b, nUp, population);
    if (pValue <= level)
      rising.push({
        key,
        position: POSITIONS[key[0]!]!,
        words: key.slice(2).split(' '),
        up: a,
        other: b,
        rise,
        pValue,
      });
  }
  return { rising, testable: k, level };
}

const isRun = (outer: readonly string[], inner: readonly string[], at: number) =>
  inner.every((w, i) => outer[at + i] === w);

function contains(outer: readonly string[], inner: readonly string[]): boolean {
  for (let i = 0; i + inner.length <= outer.length; i++) if (isRun(outer, inner, i)) return true;
  return false;
}

const positionRank: Record<PhrasePosition, number> = { opening: 0, closing: 0, anywhere: 1 };

const byRank = (a: Tested, b: Tested) =>
  b.rise - a.rise ||
  b.words.length - a.words.length ||
  positionRank[a.position] - positionRank[b.position] ||
  a.key.localeCompare(b.key);

/** Answers with the run of words (at the start for an opening, at the end for a closing). */
function countRun(answers: Answer[], words: readonly string[], position: PhrasePosition): number {
  const run = ` ${words.join(' ')} `;
  let count = 0;
  for (const a of answers)
    if (
      position === 'opening'
        ? a.joined.startsWith(run)
        : position === 'closing'
          ? a.joined.endsWith(run)
          : a.joined.includes(run)
    )
      count++;
  return count;
}

/** The run `a` and `b` make together when they overlap (one inside the other, or end to start); null if they do not. */
function merged(a: readonly string[], b: readonly string[]): string[] | null {
  if (contains(a, b)) return [...a];
  if (contains(b, a)) return [...b];
  for (let n = Math.min(a.length, b.length) - 1; n >= 1; n--) {
    if (isRun(a, b.slice(0, n), a.length - n)) return [...a, ...b.slice(n)];
    if (isRun(b, a.slice(0, n), b.length - n)) return [...b, ...a.slice(n)];
  }
  return null;
}

/** Rising runs collapsed at most (by rank): bounds the work when a candidate rewords everything. */
const MAX_RISING_RUNS = 2_000;

/** Share of a run's answers that merging it with another keeps: near 1 when they are one phrase. */
const SAME_PHRASE = 0.9;

/**
 * One finding per phrase: rising runs are taken by rank; a run that overlaps a finding in the same
 * answers (the two merged occur nearly wherever the run does) belongs to it, and extends it when
 * the merged run still occurs nearly wherever the finding does — so a phrase longer than
 * `maxWords` is reported whole, and its fragments and the words around it are not reported.
 */
function collapse(rising: Tested[], candidate: Answer[]): Array<{ kept: Tested; words: string[] }> {
  interface Group {
    kept: Tested;
    words: string[];
    count: number;
    /** The answers with the group's first run: the only ones a longer run can be in. */
    answers: Answer[];
  }
  const groups: Group[] = [];
  /** Joins `words` (in `answers`, `count` of them) into an overlapping group if they are one phrase. */
  const join = (words: string[], answers: Answer[], count: number, skip?: Group): boolean => {
    for (const group of groups) {
      if (group === skip) continue;
      const together = merged(group.words, words);
      if (!together) continue;
      const within = answers.length <= group.answers.length ? answers : group.answers;
      const both = countRun(within, together, group.kept.position);
      if (both < SAME_PHRASE * count) continue;
      if (both >= SAME_PHRASE * group.count && together.length > group.words.length) group.words = together;
      return true;
    }
    return false;
  };
  for (const phrase of [...rising].sort(byRank).slice(0, MAX_RISING_RUNS)) {
    const answers = candidate.filter((a) => countRun([a], phrase.words, phrase.position) > 0);
    if (!join(phrase.words, answers, phrase.up))
      groups.push({ kept: phrase, words: phrase.words, count: phrase.up, answers });
  }
  // A group that grew may now overlap a later one: fold the later into the earlier.
  for (let i = groups.length - 1; i > 0; i--) {
    const g = groups[i]!;
    const rest = groups.splice(i, 1);
    if (!join(g.words, g.answers, countRun(g.answers, g.words, g.kept.position))) groups.splice(i, 0, ...rest);
  }
  return groups.map(({ kept, words }) => ({ kept, words }));
}

/** Where `phrase` first occurs in the answer (word index), honouring an opening or closing; −1 if not. */
function firstAt(words: readonly Word[], phrase: readonly string[], position: PhrasePosition): number {
  const texts = words.map((w) => w.text);
  if (position === 'opening') return isRun(texts, phrase, 0) ? 0 : -1;
  if (position === 'closing')
    return texts.length >= phrase.length && isRun(texts, phrase, texts.length - phrase.length)
      ? texts.length - phrase.length
      : -1;
  for (let i = 0; i + phrase.length <= texts.length; i++) if (isRun(texts, phrase, i)) return i;
  return -1;
}

function shareOf(answers: Answer[], phrase: readonly string[], position: PhrasePosition): PhraseShare {
  const count = answers.filter((a) => firstAt(a.words, phrase, position) >= 0).length;
  return { count, answers: answers.length, share: answers.length > 0 ? count / answers.length : 0 };
}

/** Relative positions (0 = first word, 1 = last) of every occurrence of a run anywhere, sorted. */
function positionsOf(answers: Answer[], phrase: readonly string[], position: PhrasePosition): number[] {
  const out: number[] = [];
  for (const a of answers) {
    const span = Math.max(1, a.words.length - phrase.length);
    if (position !== 'anywhere') {
      const at = firstAt(a.words, phrase, position);
      if (at >= 0) out.push(at / span);
      continue;
    }
    const texts = a.words.map((w) => w.text);
    for (let i = 0; i + phrase.length <= texts.length; i++) if (isRun(texts, phrase, i)) out.push(i / span);
  }
  return out.sort((x, y) => x - y);
}

/** Mean distance between the deciles of two sorted position samples. */
function decileDistance(a: number[], b: number[]): number {
  if (a.length === 0 || b.length === 0) return 1;
  let sum = 0;
  for (let q = 1; q <= 9; q++) sum += Math.abs(rankQuantileSorted(a, q / 10) - rankQuantileSorted(b, q / 10));
  return sum / 9;
}

const REWORDED_MAX_DISTANCE = 0.1;
/**
 * A rewording's fall is at least this share of its rise. Not 1: plainer words leave room for more
 * sentences, so the new phrase can occur more often than the old one did.
 */
const REWORDED_MIN_FALL = 0.4;

function excerptAround(answer: Answer, phrase: readonly string[], position: PhrasePosition): string {
  const at = firstAt(answer.words, phrase, position);
  const first = answer.words[at]!;
  const last = answer.words[at + phrase.length - 1]!;
  const from = Math.max(0, first.start - 40);
  const to = Math.min(answer.source.length, last.end + 60);
  const text = answer.source.slice(from, to).replace(/\s+/g, ' ').trim();
  return `${from > 0 ? '…' : ''}${text}${to < answer.source.length ? '…' : ''}`;
}

/** The phrase as the first candidate answer with it writes it (case and punctuation kept). */
function surfaceOf(answer: Answer, phrase: readonly string[], position: PhrasePosition): string {
  const at = firstAt(answer.words, phrase, position);
  return answer.source.slice(answer.words[at]!.start, answer.words[at + phrase.length - 1]!.end);
}

const percent = (share: number) => `${(share * 100).toFixed(1)}%`;

export function describeFinding(
  finding: Pick<PhraseFinding, 'position' | 'baseline' | 'candidate' | 'replaces'>,
  surface: string,
): string {
  const c = percent(finding.candidate.share);
  const b = percent(finding.baseline.share);
  const said =
    finding.position === 'opening'
      ? `candidate starts ${c} of answers with "${surface} …"`
      : finding.position === 'closing'
        ? `candidate ends ${c} of answers with "… ${surface}"`
        : `candidate says "${surface}" in ${c} of answers`;
  const instead = finding.replaces
    ? ` — in place of "${finding.replaces.phrase}" (baseline ${percent(finding.replaces.baseline.share)}, candidate ${percent(finding.replaces.candidate.share)})`
    : '';
  return `${said}; baseline ${b}${instead}`;
}

const MAX_FALLEN_RUNS = 500;

/** Whether the candidate writes `phrase` inside the fallen run often enough to explain its fall. */
function brokenBy(run: readonly string[], phrase: readonly string[], candidate: Answer[], lost: number): boolean {
  for (let j = 1; j < run.length; j++)
    if (countRun(candidate, [...run.slice(0, j), ...phrase, ...run.slice(j)], 'anywhere') >= Math.max(1, lost / 10))
      return true;
  return false;
}

/**
 * Runs the candidate writes less often than the baseline, by at least half the tolerance in
 * occurrences per answer, largest first. No test: they only ever excuse a rise as a rewording,
 * and a fall nearly as large as a real rise, at the same place in the answers, does not happen by
 * chance. Runs inside a larger fall are that fall.
 */
function fallenRuns(
  base: PhraseCounts,
  cand: PhraseCounts,
  baseline: Answer[],
  candidate: Answer[],
  options: PhrasingShiftOptions,
): Array<{ words: string[]; fall: number; positions: () => number[] }> {
  const falls: Array<{ words: string[]; fall: number }> = [];
  for (const [key, count] of base.occurrences) {
    const fall = count / baseline.length - (cand.occurrences.get(key) ?? 0) / candidate.length;
    if (fall >= options.tolerance / 2) falls.push({ words: key.slice(2).split(' '), fall });
  }
  falls.sort(
    (a, b) => b.fall - a.fall || b.words.length - a.words.length || a.words.join(' ').localeCompare(b.words.join(' ')),
  );
  const kept: Array<{ words: string[]; fall: number; positions: () => number[] }> = [];
  for (const f of falls) {
    if (kept.length >= MAX_FALLEN_RUNS) break;
    // Only runs inside a kept one are the same fall; runs that merely touch are other phrases.
    if (kept.some((k) => contains(f.words, k.words) || contains(k.words, f.words))) continue;
    let positions: number[] | null = null;
    kept.push({ ...f, positions: () => (positions ??= positionsOf(baseline, f.words, 'anywhere')) });
  }
  return kept;
}

/** Compares the phrasing of candidate answers with the baseline's (see the top of this file). */
export function phrasingShift(
  baselineTexts: readonly string[],
  candidateTexts: readonly string[],
  overrides: Partial<PhrasingShiftOptions> = {},
): PhrasingShift {
  const options = { ...DEFAULT_PHRASING_OPTIONS, ...overrides };
  const prepare = (texts: readonly string[]): Answer[] =>
    sample(texts, options.maxAnswers).map((text) => {
      const source = proseOf(text);
      const words = answerWords(source);
      return { source, words, joined: ` ${words.map((w) => w.text).join(' ')} ` };
    });
  const baseline = prepare(baselineTexts);
  const candidate = prepare(candidateTexts);
  const empty: PhrasingShift = {
    answers: { baseline: baseline.length, candidate: candidate.length },
    phrases: 0,
    testable: 0,
    level: options.alpha,
    tolerance: options.tolerance,
    added: [],
    reworded: [],
  };
  if (baseline.length === 0 || candidate.length === 0) return empty;
  const baseCounts = countPhrases(baseline, options);
  const candCounts = countPhrases(candidate, options);
  const distinct = new Set([...baseCounts.answers.keys(), ...candCounts.answers.keys()]).size;
  const rises = risingPhrases(candCounts.answers, baseCounts.answers, candidate.length, baseline.length, options);
  const fallen = fallenRuns(baseCounts, candCounts, baseline, candidate, options);

  const added: PhraseFinding[] = [];
  const reworded: PhraseFinding[] = [];
  for (const { kept, words } of collapse(rises.rising, candidate)) {
    const withPhrase = candidate.filter((a) => firstAt(a.words, words, kept.position) >= 0);
    if (withPhrase.length === 0) continue;
    // A rewording moves occurrences from one phrase to the other; an opening or closing occurs once.
    const moved =
      kept.position === 'anywhere'
        ? (candCounts.occurrences.get(kept.key) ?? 0) / candidate.length -
          (baseCounts.occurrences.get(kept.key) ?? 0) / baseline.length
        : kept.rise;
    const positions = positionsOf(candidate, words, kept.position);
    // The closest fall in size and place; none that the phrase itself broke by landing inside it.
    let match: (typeof fallen)[number] | undefined;
    let best = Number.POSITIVE_INFINITY;
    for (const f of fallen) {
      if (f.fall < REWORDED_MIN_FALL * moved) continue;
      const distance = decileDistance(f.positions(), positions);
      if (distance > REWORDED_MAX_DISTANCE) continue;
      if (brokenBy(f.words, words, candidate, f.fall * candidate.length)) continue;
      const score = Math.abs(f.fall - moved) / Math.max(moved, 1e-9) + distance;
      if (score < best) [match, best] = [f, score];
    }
    const finding: Omit<PhraseFinding, 'summary'> = {
      phrase: words.join(' '),
      position: kept.position,
      baseline: shareOf(baseline, words, kept.position),
      candidate: shareOf(candidate, words, kept.position),
      rise: 0,
      pValue: kept.pValue,
      examples: withPhrase.slice(0, options.examples).map((a) => excerptAround(a, words, kept.position)),
      ...(match
        ? {
            replaces: {
              phrase: match.words.join(' '),
              baseline: shareOf(baseline, match.words, 'anywhere'),
              candidate: shareOf(candidate, match.words, 'anywhere'),
            },
          }
        : {}),
    };
    finding.rise = finding.candidate.share - finding.baseline.share;
    const full = { ...finding, summary: describeFinding(finding, surfaceOf(withPhrase[0]!, words, kept.position)) };
    (match ? reworded : added).push(full);
  }
  const byRise = (a: PhraseFinding, b: PhraseFinding) => b.rise - a.rise || a.phrase.localeCompare(b.phrase);
  return {
    ...empty,
    phrases: distinct,
    testable: rises.testable,
    level: rises.level,
    added: added.sort(byRise).slice(0, options.maxFindings),
    reworded: reworded.sort(byRise).slice(0, options.maxFindings),
  };
}

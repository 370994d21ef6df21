// The shadow soak's behavioral comparison. While the gateway mirrors live traffic, it keeps each
// mirrored request's two answers as a pair (keyed by request id). At the end of the window every
// pair gets the cheap output statistics — error, latency, tokens/cost, length ratio, refusal,
// hedging, JSON contract — and a deterministic sample (by request id, `compare.sample`) gets the
// embedding similarity and the LLM judge. Each metric is a paired comparison (metric-judgement.ts)
// and the seeds' rule decides (behavioral-policy.ts): one breached threshold asks a human, two or
// more roll back.
import { setMaxListeners } from 'node:events';
import { isRefusal } from '../lib/refusal';
import type { ShadowAnswer, ShadowPair } from '../lib/shadow-pair';
import type { RolloutPlan } from '../plan/schema';
import { isHedged, jsonObjectKeys, matchesSchema } from './answer-scores';
import { shadowDecision } from './behavioral-policy';
import { DEFAULT_REQUEST_RETRIES, shadowCompare, shadowMetricSpecs, shadowPolicy } from './behavioral-settings';
import { EmbeddingSimilarity, type SimilarityResult } from './embedding-similarity';
import { judgementFindings, lastUserMessage, writeReport, type ReportRow } from './eval-report';
import { Limiter } from './limiter';
import { LlmJudge, type LlmJudgeVerdict } from './llm-judge';
import { familyConfidence, type BehavioralMetricEvidence, type BehavioralVerdict } from './metric-judgement';
import { seedOf } from './paired-bootstrap';
import { judgeGateMetrics } from './gate-metrics';
import type { PairObservation } from './paired-samples';
import type { PhrasingSamples } from './phrasing-metric';

type Pricing = RolloutPlan['backends']['baseline']['pricing'];

export interface PairJudgement {
  requestId: string;
  judge?: LlmJudgeVerdict;
  similarity?: SimilarityResult;
}

export interface ShadowRunState {
  judgements: PairJudgement[];
}

export interface ShadowComparisonRun {
  rolloutId: string;
  stage: string;
  /** The route's shadow pairs (any order; filtered to the window and deduplicated by request id). */
  pairs: ShadowPair[];
  windowStartMs: number;
  config: RolloutPlan['stages']['shadow'];
  guardrails: RolloutPlan['guardrails'];
  pricing: { baseline: Pricing; candidate: Pricing };
  judgeApiKey?: string;
  embeddingsApiKey?: string;
  resume?: Partial<ShadowRunState>;
  onProgress?: (state: ShadowRunState) => void;
  signal?: AbortSignal;
  reportsDir?: string | null;
  now?: () => Date;
}

/** A pair with its sides named: the candidate's answer and the baseline's for the same request. */
export interface SidedPair {
  seq: number;
  requestId: string;
  messages: Array<{ role: string; content: string }>;
  baseline: ShadowAnswer;
  candidate: ShadowAnswer;
}

/**
 * Names the sides: the gateway's backends are 'baseline' and 'candidate' (prepareRoute). In the
 * shadow soak the baseline is primary and the candidate mirrored; in the bake, the other way round.
 */
export function sidedPairs(pairs: ShadowPair[], windowStartMs: number): SidedPair[] {
  const seen = new Set<string>();
  const out: SidedPair[] = [];
  for (const pair of [...pairs].sort((a, b) => a.seq - b.seq)) {
    if (!(Date.parse(pair.at) >= windowStartMs) || seen.has(pair.requestId)) continue;
    seen.add(pair.requestId);
    const reversed = pair.primary.backend === 'candidate' || pair.shadow.backend === 'baseline';
    out.push({
      seq: pair.seq,
      requestId: pair.requestId,
      messages: pair.messages,
      baseline: reversed ? pair.shadow : pair.primary,
      candidate: reversed ? pair.primary : pair.shadow,
    });
  }
  return out;
}

const ok = (answer: ShadowAnswer) => answer.status >= 200 && answer.status < 300;
const failed = (answer: ShadowAnswer) => answer.status === 0 || answer.status >= 500;
const answered = (pair: SidedPair) =>
  ok(pair.baseline) && ok(pair.candidate) && pair.baseline.content !== null && pair.candidate.content !== null;
const completionTokens = (answer: ShadowAnswer) =>
  answer.completionTokens > 0 ? answer.completionTokens : Math.ceil((answer.content ?? '').length / 4);
const cost = (answer: ShadowAnswer, pricing: Pricing) =>
  (answer.promptTokens * pricing.inputPer1k + answer.completionTokens * pricing.outputPer1k) / 1000;

/** The deterministic sample for embeddings and the judge: by request id, at most `max`, oldest first. */
export function samplePairs(pairs: SidedPair[], share: number, max: number): SidedPair[] {
  return pairs
    .filter((pair) => answered(pair) && seedOf(`sample|${pair.requestId}`) / 4294967296 < share)
    .slice(0, max);
}

/** Whether the candidate keeps the JSON contract on this pair; null when the pair has none. */
export function contractOf(
  pair: SidedPair,
  schema: Record<string, unknown> | undefined,
): { baseline: boolean; candidate: boolean } | null {
  const base = pair.baseline.content!;
  const cand = pair.candidate.content!;
  if (schema) {
    // The route's JSON answers: those where the baseline answered JSON at all.
    try {
      JSON.parse(base);
    } catch {
      return null;
    }
    return { baseline: matchesSchema(schema, base), candidate: matchesSchema(schema, cand) };
  }
  const keys = jsonObjectKeys(base);
  if (keys === null) return null;
  const candidateKeys = jsonObjectKeys(cand);
  return { baseline: true, candidate: candidateKeys !== null && candidateKeys.join('\u0000') === keys.join('\u0000') };
}

/**
 * The window's pairs as paired observations: every pair counts for errors, answered pairs for the
 * output statistics (the JSON contract where the pair has one), the sample for the judge and embeddings.
 */
export function shadowObservations(
  pairs: SidedPair[],
  sampled: SidedPair[],
  judgements: Map<string, PairJudgement>,
  pricing: ShadowComparisonRun['pricing'],
  schema: Record<string, unknown> | undefined,
): PairObservation[] {
  const sampledIds = new Set(sampled.map((p) => p.requestId));
  return pairs.map((p): PairObservation => {
    const failedSides = { baseline: failed(p.baseline), candidate: failed(p.candidate) };
    if (!answered(p)) return { failed: failedSides, scored: false };
    const contract = contractOf(p, schema);
    return {
      failed: failedSides,
      answered: {
        refusal: { baseline: isRefusal(p.baseline.content), candidate: isRefusal(p.candidate.content) },
        hedged: { baseline: isHedged(p.baseline.content!), candidate: isHedged(p.candidate.content!) },
        length: { baseline: completionTokens(p.baseline), candidate: completionTokens(p.candidate) },
        ...(contract ? { schemaAdherence: contract } : {}),
        latencyMs: { baseline: p.baseline.latencyMs, candidate: p.candidate.latencyMs },
        tokens: {
          baseline: p.baseline.promptTokens + completionTokens(p.baseline),
          candidate: p.candidate.promptTokens + completionTokens(p.candidate),
        },
        costPerRequest: {
          baseline: cost(p.baseline, pricing.baseline),
          candidate: cost(p.candidate, pricing.candidate),
        },
      },
      scored: sampledIds.has(p.requestId),
      judgement: judgements.get(p.requestId),
    };
  });
}

/** The answers both sides gave to the same mirrored requests, for the phrasing check. */
export function shadowPhrasingSamples(pairs: SidedPair[]): PhrasingSamples {
  const both = pairs.filter(answered);
  return {
    baseline: both.map((p) => p.baseline.content!),
    candidate: both.map((p) => p.candidate.content!),
    expected: both.length,
    noScore: 0,
  };
}

export async function runShadowComparison(
  run: ShadowComparisonRun,
): Promise<{ verdict: BehavioralVerdict; state: ShadowRunState }> {
  const compare = shadowCompare(run.config);
  const policy = shadowPolicy(compare);
  const priced = [run.pricing.baseline, run.pricing.candidate].some((p) => p.inputPer1k > 0 || p.outputPer1k > 0);
  const specs = shadowMetricSpecs(compare, run.guardrails, priced);
  const pairs = sidedPairs(run.pairs, run.windowStartMs);
  const sampled =
    compare.judge || compare.embeddings ? samplePairs(pairs, compare.sample.share, compare.sample.max) : [];

  const judgements = new Map<string, PairJudgement>();
  const sampledIds = new Set(sampled.map((p) => p.requestId));
  for (const judgement of run.resume?.judgements ?? [])
    if (sampledIds.has(judgement.requestId)) judgements.set(judgement.requestId, judgement);
  const judgementList = [...judgements.values()];
  const retries = DEFAULT_REQUEST_RETRIES;
  const judge = compare.judge
    ? new LlmJudge({
        baseUrl: compare.judge.baseUrl,
        model: compare.judge.model,
        apiKey: run.judgeApiKey,
        criteria: compare.judge.criteria,
        requestTimeoutMs: compare.judge.requestTimeout,
        retries,
        orderSeed: compare.judge.orderSeed,
      })
    : null;
  const embeddings = compare.embeddings
    ? new EmbeddingSimilarity({
        baseUrl: compare.embeddings.baseUrl,
        model: compare.embeddings.model,
        apiKey: run.embeddingsApiKey,
        requestTimeoutMs: compare.embeddings.requestTimeout,
        retries,
      })
    : null;
  const judgeLimiter = new Limiter(compare.judge?.concurrency ?? 1);
  const embedLimiter = new Limiter(compare.embeddings?.concurrency ?? 1);
  // Each judge or embeddings request in flight has one listener on the cancellation signal.
  if (run.signal)
    setMaxListeners((compare.judge?.concurrency ?? 0) + (compare.embeddings?.concurrency ?? 0) + 64, run.signal);
  await Promise.all(
    sampled
      .filter((p) => !judgements.has(p.requestId))
      .map(async (p) => {
        const [judged, similarity] = await Promise.all([
          judge
            ? judgeLimiter.run(() =>
                judge.judge({
                  key: p.requestId,
                  messages: p.messages,
                  baseline: p.baseline.content!,
                  candidate: p.candidate.content!,
                  signal: run.signal,
                }),
              )
            : undefined,
          embeddings
            ? embedLimiter.run(() => embeddings.similarity(p.baseline.content!, p.candidate.content!, run.signal))
            : undefined,
        ]);
        const judgement: PairJudgement = {
          requestId: p.requestId,
          ...(judged ? { judge: judged } : {}),
          ...(similarity ? { similarity } : {}),
        };
        judgements.set(p.requestId, judgement);
        judgementList.push(judgement);
        run.onProgress?.({ judgements: judgementList });
      }),
  );

  const confidence = familyConfidence(run.guardrails.alpha, specs.length);
  const schema = compare.schema;
  const observations = shadowObservations(pairs, sampled, judgements, run.pricing, schema);
  const metrics: BehavioralMetricEvidence[] = judgeGateMetrics({
    specs,
    observations,
    phrasing: () => shadowPhrasingSamples(pairs),
    confidence,
    policy,
    seedLabel: `${run.stage}|${pairs.length}`,
  });
  const decision = shadowDecision(metrics, {
    pairs: pairs.length,
    minPairs: compare.minPairs,
    failAtBreaches: compare.failAtBreaches,
  });
  const verdict: BehavioralVerdict = {
    stage: run.stage,
    outcome: decision.outcome,
    reason: decision.reason,
    metrics,
    at: (run.now ?? (() => new Date()))().toISOString(),
  };
  if (run.reportsDir !== null) {
    verdict.report = await writeReport(
      {
        kind: 'shadow comparison',
        rolloutId: run.rolloutId,
        verdict,
        facts: {
          'shadow pairs in the window': pairs.length,
          'answered on both sides': pairs.filter(answered).length,
          'sampled for judge/embeddings': `${sampled.length} (share ${compare.sample.share}, at most ${compare.sample.max})`,
          'LLM judge': compare.judge ? `${compare.judge.model} at ${compare.judge.baseUrl}` : 'off',
          embeddings: compare.embeddings ? `${compare.embeddings.model} at ${compare.embeddings.baseUrl}` : 'off',
          'JSON contract': schema ? 'the plan’s JSON Schema' : 'the baseline’s top-level keys',
          rule: `${compare.failAtBreaches}+ breached thresholds roll back; fewer ask a human`,
          intervals: `paired bootstrap percentile intervals at 1 − α/m (α ${run.guardrails.alpha}, Bonferroni over the metrics)`,
        },
        settings: { compare, guardrails: run.guardrails, pricing: run.pricing },
        rows: shadowReportRows(pairs, judgements, schema, compare.embeddings?.minSimilarity ?? null),
      },
      run.reportsDir,
    );
  }
  return { verdict, state: { judgements: judgementList } };
}

const excerpt = (answer: ShadowAnswer) =>
  ok(answer) ? (answer.content ?? '').slice(0, 400) : `(HTTP ${answer.status})`;

export function shadowReportRows(
  pairs: SidedPair[],
  judgements: Map<string, PairJudgement>,
  schema: Record<string, unknown> | undefined,
  minSimilarity: number | null,
): ReportRow[] {
  return pairs.map((p) => {
    const findings: string[] = [];
    let badness = 0;
    if (failed(p.candidate) && !failed(p.baseline)) {
      findings.push(`candidate failed (HTTP ${p.candidate.status})`);
      badness += 3;
    }
    if (answered(p)) {
      if (isRefusal(p.candidate.content) && !isRefusal(p.baseline.content)) {
        findings.push('refused');
        badness += 2;
      }
      const contract = contractOf(p, schema);
      if (contract?.baseline && !contract.candidate) {
        findings.push('JSON contract broken');
        badness += 2;
      }
      if (isHedged(p.candidate.content!) && !isHedged(p.baseline.content!)) {
        findings.push('hedged');
        badness += 1;
      }
      const ratio = completionTokens(p.candidate) / Math.max(1, completionTokens(p.baseline));
      if (ratio < 0.7) {
        findings.push(`length ×${ratio.toFixed(2)}`);
        badness += (0.7 - ratio) * 3;
      }
    }
    const judged = judgementFindings(judgements.get(p.requestId), minSimilarity);
    findings.push(...judged.findings);
    badness += judged.badness;
    return {
      key: p.requestId,
      prompt: lastUserMessage(p.messages),
      baseline: excerpt(p.baseline),
      candidate: excerpt(p.candidate),
      ...judged.fields,
      findings,
      badness: Math.round(badness * 1000) / 1000,
    };
  });
}

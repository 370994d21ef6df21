// The behavioral gates' settings with their defaults applied, and the metric table each gate
// judges: which metrics, in which direction, with which tolerance, blocking or not. Tolerances and
// blocking come from the plan's guardrails where one exists (errorRate, refusalRate,
// schemaAdherence, length, judgeScore, p99Latency, costPerRequest), so the golden eval, the shadow
// comparison and the canary judge agree; `policy.metrics` overrides any single metric.
import type { RolloutPlan } from '../plan/schema';
import { behavioralPolicySchema, DEFAULT_RUBRIC, embeddingsSchema, llmJudgeSchema } from '../plan/golden-eval-schema';
import { shadowCompareSchema } from '../plan/shadow-schema';
import { DEFAULT_RETRIES } from './openai-client';
import type { MetricSpec } from './metric-judgement';
import { DEFAULT_PHRASING_TOLERANCE, PHRASING_METRIC } from './phrasing-metric';

export type GoldenEvalConfig = RolloutPlan['stages']['goldenEval'];
export type ShadowConfig = RolloutPlan['stages']['shadow'];
export type Guardrails = RolloutPlan['guardrails'];
export type LlmJudgeConfig = NonNullable<GoldenEvalConfig['judge']>;
export type EmbeddingsConfig = NonNullable<GoldenEvalConfig['embeddings']>;
export type BehavioralPolicy = NonNullable<GoldenEvalConfig['policy']>;
export type ShadowCompareConfig = NonNullable<ShadowConfig['compare']>;

/**
 * The phrasing check (phrasing-shift.ts): blocking in the golden eval (an added phrase fails it),
 * one breach in the shadow comparison (the seeds' rule: alone it asks a human).
 */
function phrasingBase(blocking: boolean): Base {
  return {
    metric: PHRASING_METRIC,
    label: 'answers with a phrase the baseline does not write (word runs, openings, closings)',
    direction: 'higher_is_worse',
    statistic: 'difference',
    unit: 'rate',
    tolerance: DEFAULT_PHRASING_TOLERANCE,
    blocking,
    enabled: true,
  };
}

/** Golden eval: hedge rate tolerance (absolute), when the plan does not override it. */
export const DEFAULT_HEDGE_TOLERANCE = 0.05;
/** Retries per request (models, judge, embeddings) when the plan does not set them. */
export const DEFAULT_REQUEST_RETRIES = DEFAULT_RETRIES;

/** A config written by hand (tests, the bench) may leave out fields the schema would default. */
export function judgeConfig(judge: Parameters<typeof llmJudgeSchema.parse>[0]): LlmJudgeConfig {
  return llmJudgeSchema.parse(judge);
}

export function embeddingsConfig(embeddings: Parameters<typeof embeddingsSchema.parse>[0]): EmbeddingsConfig {
  return embeddingsSchema.parse(embeddings);
}

export function goldenPolicy(config: GoldenEvalConfig): BehavioralPolicy {
  return config.policy ?? behavioralPolicySchema.parse({});
}

export function shadowCompare(config: ShadowConfig): ShadowCompareConfig {
  return config.compare ?? shadowCompareSchema.parse({});
}

export function shadowPolicy(compare: ShadowCompareConfig): BehavioralPolicy {
  return compare.policy ?? behavioralPolicySchema.parse({});
}

export function rubricOf(judge: LlmJudgeConfig | undefined): Array<{ name: string; description: string }> {
  return judge ? judge.criteria : DEFAULT_RUBRIC.map((c) => ({ ...c }));
}

interface Base {
  metric: string;
  label: string;
  direction: MetricSpec['direction'];
  statistic: MetricSpec['statistic'];
  unit: MetricSpec['unit'];
  tolerance: number;
  blocking: boolean;
  enabled: boolean;
}

/**
 * Metric names plans written before the golden eval and the shadow comparison shared one name
 * may still use in `policy.metrics`: the golden eval's `schemaValidity` is `schemaAdherence`.
 */
export const METRIC_ALIASES: Readonly<Record<string, string>> = { schemaValidity: 'schemaAdherence' };

function applyPolicy(bases: Base[], policy: BehavioralPolicy): MetricSpec[] {
  const known = new Set(bases.map((b) => b.metric));
  const unknown = Object.keys(policy.metrics).filter((name) => !known.has(METRIC_ALIASES[name] ?? name));
  if (unknown.length > 0)
    throw new UnknownMetricError(
      `policy.metrics names unknown metric(s) ${unknown.map((n) => JSON.stringify(n)).join(', ')}; known: ${[...known].join(', ')}`,
    );
  const overrides: BehavioralPolicy['metrics'] = {};
  // The current name wins over an old one given beside it.
  for (const [name, override] of Object.entries(policy.metrics))
    if (METRIC_ALIASES[name]) overrides[METRIC_ALIASES[name]] = override;
  for (const [name, override] of Object.entries(policy.metrics)) if (!METRIC_ALIASES[name]) overrides[name] = override;
  return bases.flatMap((base) => {
    const override = overrides[base.metric] ?? {};
    if (!(override.enabled ?? base.enabled)) return [];
    const { enabled: _enabled, ...spec } = base;
    return [{ ...spec, tolerance: override.tolerance ?? base.tolerance, blocking: override.blocking ?? base.blocking }];
  });
}

export class UnknownMetricError extends Error {
  override name = 'UnknownMetricError';
}

const fromGuardrail = (guardrail: Guardrails['errorRate']) => ({
  tolerance: guardrail.tolerance,
  blocking: guardrail.critical,
  enabled: guardrail.enabled,
});

/** The golden eval's metrics (goldenPassRate, the plan's pass-rate floor, is judged separately). */
export function goldenMetricSpecs(config: GoldenEvalConfig, guardrails: Guardrails): MetricSpec[] {
  const bases: Base[] = [
    {
      metric: 'errorRate',
      label: 'share of items the backend did not answer',
      direction: 'higher_is_worse',
      statistic: 'difference',
      unit: 'rate',
      ...fromGuardrail(guardrails.errorRate),
    },
    {
      metric: 'matchRate',
      label: 'expected output matched (exact / contains / regex)',
      direction: 'lower_is_worse',
      statistic: 'difference',
      unit: 'rate',
      tolerance: config.maxRegression,
      blocking: true,
      enabled: true,
    },
    {
      metric: 'schemaAdherence',
      label: 'answers that are JSON valid against the item’s schema',
      direction: 'lower_is_worse',
      statistic: 'difference',
      unit: 'rate',
      ...fromGuardrail(guardrails.schemaAdherence),
    },
    {
      metric: 'refusalRate',
      label: 'answers that refuse',
      direction: 'higher_is_worse',
      statistic: 'difference',
      unit: 'rate',
      ...fromGuardrail(guardrails.refusalRate),
    },
    {
      metric: 'hedgeRate',
      label: 'answers that hedge',
      direction: 'higher_is_worse',
      statistic: 'difference',
      unit: 'rate',
      tolerance: DEFAULT_HEDGE_TOLERANCE,
      blocking: false,
      enabled: true,
    },
    phrasingBase(true),
    {
      metric: 'length',
      label: 'completion tokens per answer (ratio of means)',
      direction: guardrails.length.direction,
      statistic: 'ratio',
      unit: 'tokens',
      ...fromGuardrail(guardrails.length),
    },
    ...judgeBases(config.judge, guardrails),
    ...similarityBases(config.embeddings),
  ];
  return applyPolicy(bases, goldenPolicy(config));
}

/** The shadow comparison's metrics; `blocking` here means a single breach rolls back. */
export function shadowMetricSpecs(compare: ShadowCompareConfig, guardrails: Guardrails, priced: boolean): MetricSpec[] {
  const single = (guardrail: Guardrails['errorRate']) => ({
    tolerance: guardrail.tolerance,
    blocking: false,
    enabled: guardrail.enabled,
  });
  const bases: Base[] = [
    {
      metric: 'errorRate',
      label: 'requests that failed (5xx, no answer)',
      direction: 'higher_is_worse',
      statistic: 'difference',
      unit: 'rate',
      ...single(guardrails.errorRate),
    },
    {
      metric: 'latency',
      label: 'mean latency (ratio)',
      direction: 'higher_is_worse',
      statistic: 'ratio',
      unit: 'ms',
      ...single(guardrails.p99Latency),
    },
    priced
      ? {
          metric: 'costPerRequest',
          label: 'cost per request (ratio of means)',
          direction: 'higher_is_worse',
          statistic: 'ratio',
          unit: 'usd',
          ...single(guardrails.costPerRequest),
        }
      : {
          metric: 'tokens',
          label: 'prompt + completion tokens per request (ratio of means; no pricing in the plan)',
          direction: 'higher_is_worse',
          statistic: 'ratio',
          unit: 'tokens',
          ...single(guardrails.costPerRequest),
        },
    {
      metric: 'length',
      label: 'completion tokens per answer (ratio of means)',
      direction: guardrails.length.direction,
      statistic: 'ratio',
      unit: 'tokens',
      ...single(guardrails.length),
    },
    {
      metric: 'refusalRate',
      label: 'answers that refuse',
      direction: 'higher_is_worse',
      statistic: 'difference',
      unit: 'rate',
      ...single(guardrails.refusalRate),
    },
    {
      metric: 'hedgeRate',
      label: 'answers that hedge',
      direction: 'higher_is_worse',
      statistic: 'difference',
      unit: 'rate',
      tolerance: DEFAULT_HEDGE_TOLERANCE,
      blocking: false,
      enabled: true,
    },
    phrasingBase(false),
    {
      metric: 'schemaAdherence',
      label: 'JSON answers that keep the contract (schema, or the baseline’s keys)',
      direction: 'lower_is_worse',
      statistic: 'difference',
      unit: 'rate',
      ...single(guardrails.schemaAdherence),
    },
    ...judgeBases(compare.judge, guardrails).map((base) => ({ ...base, blocking: false })),
    ...similarityBases(compare.embeddings),
  ];
  return applyPolicy(bases, shadowPolicy(compare));
}

function judgeBases(judge: LlmJudgeConfig | undefined, guardrails: Guardrails): Base[] {
  if (!judge) return [];
  return judge.criteria.map((criterion) => ({
    metric: `judge.${criterion.name}`,
    label: `LLM judge: ${criterion.description} (1–5)`,
    direction: 'lower_is_worse' as const,
    statistic: 'difference' as const,
    unit: 'score' as const,
    ...fromGuardrail(guardrails.judgeScore),
  }));
}

function similarityBases(embeddings: EmbeddingsConfig | undefined): Base[] {
  if (!embeddings) return [];
  return [
    {
      metric: 'similarity',
      label: 'embedding cosine similarity to the baseline’s answer (baseline = 1)',
      direction: 'lower_is_worse',
      statistic: 'difference',
      unit: 'similarity',
      tolerance: 1 - embeddings.minSimilarity,
      blocking: false,
      enabled: true,
    },
  ];
}

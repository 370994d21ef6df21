// stages.experiment: an A/B experiment after the canary's steps. The candidate holds a fixed share
// of the route (sticky per user on the gateway) until the planned sample size is reached, while the
// plan's guardrails are judged at every check as in a canary step. The primary metric is a
// proportion: user feedback the gateway attributes to the backend that answered, or two
// Prometheus queries the release owner names. The experiment ends at a gate where a person ships
// the candidate or keeps the baseline (judge/experiment-verdict.ts decides what the evidence says).
import { z } from 'zod';
import { duration } from './common-schema';

/** In a Prometheus query: the arm ('baseline' or 'candidate', the x-rollout-backend header's value). */
export const ARM_PLACEHOLDER = '{{arm}}';
/** In a Prometheus query: the experiment's age as a range, e.g. `[$window]` → `[5400s]`. */
export const WINDOW_PLACEHOLDER = '$window';

const query = z
  .string()
  .min(1, 'a PromQL query is required')
  .max(4_000, 'at most 4000 characters')
  .refine((text) => text.includes(ARM_PLACEHOLDER), {
    message: `the query must select one arm with ${ARM_PLACEHOLDER} (replaced by "baseline" or "candidate")`,
  });

const metricName = z
  .string()
  .regex(/^[A-Za-z][A-Za-z0-9_]{0,47}$/, 'letters, digits and "_", starting with a letter, at most 48 characters');

/** What one unit (a trial) and a success are. */
export const experimentMetricSchema = z.discriminatedUnion('source', [
  z.strictObject({
    /** Feedback sent to the gateway (POST /v1/feedback), attributed to the backend that answered. */
    source: z.literal('feedback'),
    /**
     * thumbs: thumbs up among rated answers; score: scores at or above `threshold` among scored
     * answers; conversion: conversions among the answers served.
     */
    kind: z.enum(['thumbs', 'score', 'conversion']),
    threshold: z.number().finite().optional(),
    name: metricName.optional(),
  }),
  z.strictObject({
    /** Any business counters in Prometheus: the successes and the trials of one arm since the experiment began. */
    source: z.literal('prometheus'),
    name: metricName,
    successes: query,
    trials: query,
  }),
]);

export const experimentStageSchema = z
  .strictObject({
    enabled: z.boolean().default(false),
    /** The candidate's fixed share of the route, in percent, for the whole experiment. */
    share: z
      .number()
      .int('share must be a whole percent')
      .min(1, 'share must be 1–99')
      .max(99, 'share must be 1–99')
      .default(50),
    metric: experimentMetricSchema.optional(),
    direction: z.enum(['higher_is_better', 'lower_is_better']).default('higher_is_better'),
    /** The baseline's rate of the metric, for the sample-size plan. */
    baselineRate: z.number().gt(0, 'baselineRate must be in (0, 1)').lt(1, 'baselineRate must be in (0, 1)').optional(),
    /** The smallest change worth detecting, in absolute points of the rate (0.02 = 2 points). */
    minimumDetectableEffect: z
      .number()
      .gt(0, 'minimumDetectableEffect must be in (0, 1)')
      .lt(1, 'minimumDetectableEffect must be in (0, 1)')
      .optional(),
    power: z.number().gt(0.5, 'power must be in (0.5, 1)').lt(1, 'power must be in (0.5, 1)').default(0.8),
    /** The test's false-positive rate (two-sided); default: the guardrails' alpha. */
    alpha: z.number().gt(0, 'alpha must be in (0, 0.5]').max(0.5, 'alpha must be in (0, 0.5]').optional(),
    /** The longest the experiment may run before it ends at its gate short of its sample. */
    maxDuration: duration()
      .refine((ms) => ms >= 60_000, 'must be at least 1m')
      .default(14 * 86_400_000),
    /** Trials each arm needs before an early look may stop the experiment. */
    minTrials: z.number().int().min(1).default(100),
    /** Trials (answers served, or rated) per minute the route is expected to yield: `plan check` estimates the duration. */
    expectedTrialsPerMinute: z.number().positive('expectedTrialsPerMinute must be > 0').optional(),
    /** A person approves before the experiment starts (its end always has a gate). */
    requireApproval: z.boolean().default(false),
  })
  .superRefine((stage, ctx) => {
    if (!stage.enabled) return;
    const missing = (field: string, why: string) =>
      ctx.addIssue({
        code: 'custom',
        path: [field],
        message: `${field} is required when the experiment is enabled: ${why}`,
      });
    if (!stage.metric) missing('metric', 'what it decides on (source feedback or prometheus)');
    if (stage.baselineRate === undefined) missing('baselineRate', 'the sample size is planned from it');
    if (stage.minimumDetectableEffect === undefined)
      missing('minimumDetectableEffect', 'the sample size is planned from it');
    if (stage.metric?.source === 'feedback' && stage.metric.kind === 'score' && stage.metric.threshold === undefined)
      ctx.addIssue({
        code: 'custom',
        path: ['metric', 'threshold'],
        message: 'a score metric counts scores at or above a threshold: set metric.threshold',
      });
    if (stage.metric?.source === 'feedback' && stage.metric.kind !== 'score' && stage.metric.threshold !== undefined)
      ctx.addIssue({ code: 'custom', path: ['metric', 'threshold'], message: 'only a score metric takes a threshold' });
    const { baselineRate, minimumDetectableEffect } = stage;
    if (baselineRate !== undefined && minimumDetectableEffect !== undefined) {
      const target = baselineRate + (stage.direction === 'higher_is_better' ? 1 : -1) * minimumDetectableEffect;
      if (!(target > 0 && target < 1))
        ctx.addIssue({
          code: 'custom',
          path: ['minimumDetectableEffect'],
          message: `baselineRate ${baselineRate} ${stage.direction === 'higher_is_better' ? '+' : '−'} minimumDetectableEffect ${minimumDetectableEffect} must stay inside (0, 1)`,
        });
    }
  })
  .prefault({});

export type ExperimentStage = z.infer<typeof experimentStageSchema>;
export type ExperimentMetric = z.infer<typeof experimentMetricSchema>;

/** The metric's name as evidence shows it. */
export function experimentMetricName(metric: ExperimentMetric): string {
  if (metric.name) return metric.name;
  if (metric.source === 'prometheus') return metric.name;
  if (metric.kind === 'thumbs') return 'thumbsUpRate';
  if (metric.kind === 'conversion') return 'conversionRate';
  return `scoreAtLeast${metric.threshold}`;
}

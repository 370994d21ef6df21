// The rollout plan: what a release owner writes (YAML or JSON). Parsing normalizes it: defaults
// filled in, durations in milliseconds. Parsing a normalized plan again gives the same plan, so
// the CLI can validate before starting and the workflow can validate what it was handed (a plan
// started from the `temporal` CLI or the UI arrives unvalidated).
//
// Deterministic and free of Node built-ins: the workflow imports it.
import { z } from 'zod';
import { formatIssueProblem, issueProblems, safeParseReportingInput } from '../lib/zod-issues';
import { duration, httpUrl } from './common-schema';
import { experimentStageSchema, type ExperimentStage } from './experiment-schema';
import { goldenEvalStageSchema } from './golden-eval-schema';
import { metricsProblems, metricsSchema, resolveMetrics } from './metrics-schema';
import { notificationsSchema } from './notifications-schema';
import { planShapeProblem } from './plan-shape';
import { shadowStageSchema } from './shadow-schema';
import { canaryBehaviorSchema } from './canary-behavior-schema';
import { backendConfigSchema, bundleOf } from './backend-config-schema';
import { configDigest } from '../lib/config-bundle';
import { cohortMatchSchema } from '../lib/cohort-match';
import { segmentRuleSchema, type SegmentRule } from '../lib/segment-rule';
import {
  gatewayApiRouterSchema,
  istioRouterSchema,
  kubeAccessOf,
  kubeRouteName,
  kubeRuleOf,
} from './kube-router-schema';

const slug = z
  .string()
  .regex(
    /^[a-z0-9][a-z0-9._-]{0,62}$/,
    'lowercase letters, digits, ".", "_" or "-", starting with a letter or digit, at most 63 characters',
  );

const backend = z.strictObject({
  baseUrl: httpUrl,
  model: z.string().min(1, 'model name is required'),
  /** Name of an environment variable holding the bearer token (read by the worker, never stored in history). */
  apiKeyEnv: z
    .string()
    .regex(/^[A-Z_][A-Z0-9_]*$/, 'an environment variable name')
    .optional(),
  /** USD per 1,000 tokens, for the cost guardrail. */
  pricing: z
    .strictObject({ inputPer1k: z.number().min(0).default(0), outputPer1k: z.number().min(0).default(0) })
    .prefault({}),
  /**
   * What the gateway applies to every chat request it sends this backend (system prompt,
   * sampling, tools, extra fields): a prompt or settings rollout (lib/config-bundle.ts).
   */
  config: backendConfigSchema.optional(),
  /**
   * A pool (GPU pools, regions): the gateway splits this side's traffic over its members by weight,
   * sticky per user; the judge compares the two sides as wholes and shows each member.
   */
  pool: z
    .array(
      z.strictObject({
        name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'letters, digits, ".", "_" or "-", at most 64'),
        baseUrl: httpUrl,
        /** Default: the backend's model. */
        model: z.string().min(1).optional(),
        apiKeyEnv: z
          .string()
          .regex(/^[A-Z_][A-Z0-9_]*$/, 'an environment variable name')
          .optional(),
        weight: z.int('must be a whole number').min(0, 'must be ≥ 0'),
      }),
    )
    .min(1, 'list at least one member, or leave pool out')
    .max(16, 'at most 16 members')
    .superRefine((members, ctx) => {
      const names = new Set<string>();
      members.forEach((member, index) => {
        if (names.has(member.name))
          ctx.addIssue({ code: 'custom', path: [index, 'name'], message: `duplicate member name '${member.name}'` });
        names.add(member.name);
      });
      if (members.length > 0 && !members.some((member) => member.weight > 0))
        ctx.addIssue({ code: 'custom', path: [], message: 'at least one member needs a weight above 0' });
    })
    .optional(),
});

const router = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('gateway'),
    /** The gateway's admin plane (its own listener, not the data plane's). */
    adminUrl: httpUrl.default('http://127.0.0.1:8480'),
    /** Name of the environment variable holding the admin token on the worker/CLI (or NAME_FILE, a file); default GATEWAY_ADMIN_TOKEN. */
    adminTokenEnv: z
      .string()
      .regex(/^[A-Z_][A-Z0-9_]*$/, 'an environment variable name')
      .optional(),
    /** Public model name clients send; the gateway route this rollout moves. Defaults to the rollout id. */
    route: slug.optional(),
    /**
     * Admin planes of further gateways serving the same route (machines behind one load balancer):
     * every traffic change goes to each, and the judge reads the records of all of them.
     */
    replicas: z.array(httpUrl).max(64, 'at most 64 replicas').optional(),
    /**
     * Where the gateway retries a live request whose backend failed before answering (connection
     * error, timeout, 5xx before the first byte); its answers are counted apart, so the candidate's
     * own failures are still judged. Kept on the route through the rollout (gateway/fallback-relay.ts).
     */
    fallback: backend
      .extend({
        /** Attempts on the fallback, 1–3. */
        maxAttempts: z.int('must be a whole number').min(1, 'must be 1–3').max(3, 'must be 1–3').default(1),
        /** Deadline of each fallback attempt; default the gateway's upstream timeout. */
        timeout: duration().optional(),
      })
      .optional(),
  }),
  z.strictObject({
    kind: z.literal('haproxy'),
    /** Runtime API socket: a unix socket path or host:port. */
    statsSocket: z.string().min(1),
    haproxyBackend: z.string().min(1),
    baselineServer: z.string().min(1),
    candidateServer: z.string().min(1),
  }),
  gatewayApiRouterSchema,
  istioRouterSchema,
]);

const guardrail = (defaults: { direction: Direction; tolerance: number; critical: boolean; enabled?: boolean }) =>
  z
    .strictObject({
      enabled: z.boolean().default(defaults.enabled ?? true),
      direction: z.enum(['higher_is_worse', 'lower_is_worse', 'either']).default(defaults.direction),
      tolerance: z.number().min(0, 'tolerance must be ≥ 0').default(defaults.tolerance),
      critical: z.boolean().default(defaults.critical),
    })
    .prefault({});
type Direction = 'higher_is_worse' | 'lower_is_worse' | 'either';

export const GATE_POINTS = ['shadow', 'golden_eval', 'replay', 'canary', 'experiment', 'cutover', 'retire'] as const;
export type GatePoint = (typeof GATE_POINTS)[number];

const canaryStep = z.strictObject({
  weight: z
    .number()
    .int('weight must be a whole percent')
    .min(1, 'weight must be 1–99')
    .max(99, 'weight must be 1–99 (100 is the cutover)'),
  window: duration(),
  /** Ask a release owner before this step starts. */
  requireApproval: z.boolean().default(false),
});

/** Where a cohort can be served and judged: the gateway matches requests and flags its records. */
function cohortProblems(plan: {
  router: { kind: string };
  guardrails: { judge: string };
  stages: { canary: { cohort?: unknown } };
  metrics?: Parameters<typeof resolveMetrics>[0]['metrics'];
}): Array<[string[], string]> {
  if (!plan.stages.canary.cohort) return [];
  const path = ['stages', 'canary', 'cohort'];
  if (plan.router.kind !== 'gateway')
    return [
      [
        path,
        `a cohort is matched request by request by the llm-rollout gateway; ${plan.router.kind} splits traffic by weight only: use router.kind gateway, or remove stages.canary.cohort`,
      ],
    ];
  if (plan.guardrails.judge !== 'statistical' || resolveMetrics(plan as never).source !== 'records')
    return [
      [
        path,
        "a cohort's traffic is judged from the gateway's per-request records: use guardrails.judge statistical with metrics.source records (the gateway's default)",
      ],
    ];
  return [];
}

/** Where an A/B experiment can run: feedback is attributed by the gateway, and it splits the whole route. */
function experimentProblems(plan: {
  router: { kind: string };
  stages: { canary: { cohort?: unknown }; experiment: ExperimentStage };
}): Array<[string[], string]> {
  const { experiment, canary } = plan.stages;
  if (!experiment.enabled) return [];
  const problems: Array<[string[], string]> = [];
  if (experiment.metric?.source === 'feedback' && plan.router.kind !== 'gateway')
    problems.push([
      ['stages', 'experiment', 'metric', 'source'],
      `user feedback is attributed to the backend that answered by the llm-rollout gateway; ${plan.router.kind} cannot: use router.kind gateway, or a metric with source prometheus`,
    ]);
  if (canary.cohort)
    problems.push([
      ['stages', 'experiment'],
      'an experiment splits the whole route at a fixed share, and a cohort keeps part of it pinned: use one or the other',
    ]);
  return problems;
}

/** A step of the cohort's exposure: the share of the cohort's traffic on the candidate (100: all of it). */
const cohortStep = canaryStep.extend({
  weight: z
    .number()
    .int('weight must be a whole percent')
    .min(1, 'weight must be 1–100')
    .max(100, 'weight must be 1–100 (100: the whole cohort)'),
});

/**
 * The cohort the canary exposes first (or only): everyone else stays on the baseline through its
 * steps; the canary's random steps, if any, follow with the cohort kept where its last step left it.
 */
const canaryCohort = z.strictObject({
  match: cohortMatchSchema,
  steps: z.array(cohortStep).min(1, 'at least one cohort step'),
});

export const planSchema = z
  .strictObject({
    apiVersion: z.literal('llm-rollout/v1').default('llm-rollout/v1'),
    rollout: z.strictObject({
      id: slug,
      name: z.string().min(1).optional(),
      requestedBy: z.string().min(1).optional(),
      description: z.string().optional(),
    }),
    backends: z.strictObject({ baseline: backend, candidate: backend }),
    router: router.prefault({ kind: 'gateway' }),
    prometheus: z.strictObject({ url: httpUrl.default('http://127.0.0.1:9490') }).prefault({}),
    /** What the statistical judge reads: the gateway's records or Prometheus series (plan/metrics-schema.ts). */
    metrics: metricsSchema,
    stages: z
      .strictObject({
        shadow: shadowStageSchema,
        goldenEval: goldenEvalStageSchema,
        /**
         * Captured live traffic (`rollout capture`) replayed to both backends with no user involved,
         * judged like the golden eval (paired deltas, behavioral checks, the LLM judge): its own stage
         * after the golden eval, with the same fields.
         */
        replay: goldenEvalStageSchema,
        canary: z
          .strictObject({
            /** May be empty when a cohort is given: the cohort instead of a random share. */
            steps: z.array(canaryStep),
            cohort: canaryCohort.optional(),
            /**
             * Live verdicts per segment as well as for the whole: the gateway tags each request with
             * its segment (a header, a metadata tag, the language), and each of the first
             * maxSegments with enough data is judged on its own (judge/segment-looks.ts). Absent: off.
             */
            segments: z
              .strictObject({
                by: segmentRuleSchema,
                maxSegments: z
                  .number()
                  .int()
                  .min(1, 'maxSegments must be 1–16')
                  .max(16, 'maxSegments must be 1–16')
                  .default(8),
                /** Requests per arm before a segment is judged apart; default: guardrails.minRequests. */
                minRequests: z.number().int().min(1).optional(),
              })
              .optional(),
            /** At least a second: every check is an activity that reads the metrics. */
            checkInterval: duration()
              .refine((ms) => ms >= 1_000, 'must be at least 1s')
              .default(60_000),
            /** Behavioral checks on the live answers at every check (plan/canary-behavior-schema.ts); absent: off. */
            behavioral: canaryBehaviorSchema.optional(),
            /** What the route's traffic looks like, for `rollout plan check`'s window-length calculation. */
            expected: z
              .strictObject({
                requestsPerMinute: z.number().positive('requestsPerMinute must be > 0'),
                errorRate: z.number().gt(0).lt(1).default(0.01),
                refusalRate: z.number().gt(0).lt(1).default(0.01),
                schemaAdherence: z.number().gt(0).lt(1).default(0.99),
                /** Coefficient of variation of answer length (and cost) per request. */
                lengthCv: z.number().positive().default(0.5),
                /** SD of log-latency (0.5 ≈ p99 at 3.2× the median). */
                latencyLogSd: z.number().positive().default(0.5),
              })
              .optional(),
          })
          // prefault, not default: the steps are parsed afresh for each plan, so no two plans share
          // (and can edit) one default array.
          .prefault({
            steps: [
              { weight: 5, window: 900_000, requireApproval: false },
              { weight: 25, window: 900_000, requireApproval: false },
              { weight: 50, window: 1_800_000, requireApproval: false },
            ],
            checkInterval: 60_000,
          }),
        /**
         * An A/B experiment after the canary's steps (plan/experiment-schema.ts): a fixed share until
         * the planned sample size, decided on a business metric at a gate. Disabled by default.
         */
        experiment: experimentStageSchema,
        cutover: z
          .strictObject({
            bake: duration().default(1_800_000),
            retireBaseline: z.boolean().default(true),
            /**
             * How long after promotion the rollout can still be reverted (the previous baseline put
             * back on the route at once, without analysis); 0 ends the rollout at promotion.
             */
            revertWindow: duration().default(86_400_000),
          })
          .prefault({}),
      })
      .prefault({}),
    approvals: z
      .strictObject({
        /** Points before which a release owner must approve. */
        requiredBefore: z.array(z.enum(GATE_POINTS)).default(['canary', 'cutover']),
        approvers: z.array(z.string().min(1)).default([]),
        timeout: duration().default(4 * 3_600_000),
        onTimeout: z.enum(['abort', 'approve']).default('abort'),
        /** When false, the rollout's requester may not approve their own rollout. */
        allowSelfApproval: z.boolean().default(false),
        /**
         * How many distinct approvers each gate needs (a rejection by any one of them rejects).
         * The requester never counts toward more than one.
         */
        required: z.number().int().min(1).max(10).default(1),
      })
      .prefault({}),
    guardrails: z
      .strictObject({
        /** Candidate − baseline error rate (absolute). */
        errorRate: guardrail({ direction: 'higher_is_worse', tolerance: 0.01, critical: true }),
        /** Candidate p99 / baseline p99 − 1. */
        p99Latency: guardrail({ direction: 'higher_is_worse', tolerance: 0.25, critical: true }),
        /**
         * Candidate p99 / baseline p99 time to first token − 1, over streamed answers only: the
         * wait a chat user sees. Judged only when the traffic streams (no streamed answers, no metric).
         */
        timeToFirstToken: guardrail({ direction: 'higher_is_worse', tolerance: 0.25, critical: true }),
        /**
         * The whole latency distribution, not only its tail: candidate vs baseline at these
         * quantiles of latency (and of time to first token where the traffic streams), each a
         * relative tolerance of `tolerance`, as one always-valid test per distribution. Catches a
         * candidate slower at the median or p75 whose p99 is unchanged. Needs the shadow soak (the
         * baseline's quantiles are measured there); without one it is left out, with a note.
         */
        latencyDistribution: z
          .strictObject({
            enabled: z.boolean().default(true),
            quantiles: z
              .array(z.number().gt(0, 'quantiles must be in (0, 1)').lt(1, 'quantiles must be in (0, 1)'))
              .min(1, 'at least one quantile')
              .max(9, 'at most 9 quantiles')
              .default([0.5, 0.75, 0.9]),
            tolerance: z.number().gt(0, 'tolerance must be > 0').default(0.1),
            critical: z.boolean().default(true),
          })
          .prefault({}),
        /** Candidate / baseline cost per request − 1. */
        costPerRequest: guardrail({ direction: 'higher_is_worse', tolerance: 0.5, critical: false }),
        /** Candidate − baseline refusal rate (absolute). */
        refusalRate: guardrail({ direction: 'higher_is_worse', tolerance: 0.02, critical: true }),
        /** Candidate − baseline share of valid JSON among JSON requests (absolute). */
        schemaAdherence: guardrail({ direction: 'lower_is_worse', tolerance: 0.02, critical: true }),
        /** Candidate / baseline mean completion tokens − 1. */
        length: guardrail({ direction: 'either', tolerance: 0.3, critical: false }),
        /** Golden-eval judge score (absolute, on a 1–5 scale). */
        judgeScore: guardrail({ direction: 'lower_is_worse', tolerance: 0.25, critical: true }),
        /** Requests each side needs in a window before it can pass. */
        minRequests: z.number().int().min(1).default(50),
        /**
         * Left out of judging after every traffic change (the shadow's start, each canary step, the
         * cutover): cold caches and new replicas answer slowly at first. The window starts after it.
         */
        warmUp: duration().optional(),
        /**
         * 'statistical': always-valid sequential tests, false alarms held at `alpha` however
         * often it looks, on the gateway's per-request records or on Prometheus series (`metrics`).
         * 'threshold': plain comparisons of the gateway's Prometheus figures.
         */
        judge: z.enum(['statistical', 'threshold']).default('statistical'),
        /** Family-wise false-alarm rate of the statistical judge over a whole window. */
        alpha: z.number().gt(0, 'alpha must be in (0, 0.5]').max(0.5, 'alpha must be in (0, 0.5]').default(0.05),
        /** Canary score (0–100) needed to pass, and below which it fails. */
        score: z
          .strictObject({
            pass: z.number().min(0).max(100).default(75),
            marginal: z.number().min(0).max(100).default(50),
          })
          .prefault({})
          .refine((score) => score.marginal <= score.pass, { message: 'score.marginal must not exceed score.pass' }),
        /** Consecutive failed metric reads before the rollout is rolled back as unobservable. */
        maxMetricFailures: z.number().int().min(1).default(3),
        /** When a window ends without enough evidence: watch one more window, then ask a human. */
        onInconclusive: z.enum(['extend_then_ask', 'ask', 'rollback']).default('extend_then_ask'),
      })
      .prefault({}),
    notifications: notificationsSchema,
  })
  .superRefine((plan, ctx) => {
    const { steps, cohort } = plan.stages.canary;
    const increasing = (list: ReadonlyArray<{ weight: number }>, path: string[], what: string) =>
      list.forEach((step, index) => {
        if (index > 0 && step.weight <= list[index - 1]!.weight) {
          ctx.addIssue({
            code: 'custom',
            path: [...path, index, 'weight'],
            message: `${what} weights must increase (step ${index} has ${step.weight} after ${list[index - 1]!.weight})`,
          });
        }
      });
    increasing(steps, ['stages', 'canary', 'steps'], 'canary');
    if (cohort) increasing(cohort.steps, ['stages', 'canary', 'cohort', 'steps'], 'cohort');
    if (steps.length === 0 && !cohort)
      ctx.addIssue({
        code: 'custom',
        path: ['stages', 'canary', 'steps'],
        message: 'at least one canary step (or a stages.canary.cohort to expose instead)',
      });
    for (const [path, message] of cohortProblems(plan)) ctx.addIssue({ code: 'custom', path, message });
    const needsHuman =
      plan.approvals.requiredBefore.length > 0 ||
      steps.some((step) => step.requireApproval) ||
      (cohort?.steps ?? []).some((step) => step.requireApproval) ||
      plan.guardrails.onInconclusive !== 'rollback' ||
      plan.stages.experiment.enabled;
    if (needsHuman && plan.approvals.approvers.length === 0) {
      ctx.addIssue({
        code: 'custom',
        path: ['approvals', 'approvers'],
        message: 'at least one approver is required when the plan has approval gates',
      });
    }
    const { required, approvers, allowSelfApproval } = plan.approvals;
    if (required > 1 && allowSelfApproval) {
      ctx.addIssue({
        code: 'custom',
        path: ['approvals', 'allowSelfApproval'],
        message: `the requester never counts toward ${required} approvals: remove allowSelfApproval or set approvals.required to 1`,
      });
    }
    // A group may hold any number of people; named approvers are counted.
    const named = new Set(approvers).size;
    if (required > 1 && required > named && !approvers.some((approver) => approver.startsWith('group:'))) {
      ctx.addIssue({
        code: 'custom',
        path: ['approvals', 'required'],
        message: `${required} distinct approvals are required but only ${named} approver${named === 1 ? ' is' : 's are'} named`,
      });
    }
    for (const [path, message] of experimentProblems(plan)) ctx.addIssue({ code: 'custom', path, message });
    if (
      plan.stages.canary.segments &&
      (plan.router.kind !== 'gateway' ||
        plan.guardrails.judge !== 'statistical' ||
        resolveMetrics(plan as never).source !== 'records')
    )
      ctx.addIssue({
        code: 'custom',
        path: ['stages', 'canary', 'segments'],
        message:
          'live segments are tagged on each request by the llm-rollout gateway and judged from its per-request records: use router.kind gateway and guardrails.judge statistical with metrics.source records, or remove stages.canary.segments',
      });
    if (plan.router.kind !== 'gateway' && plan.stages.canary.behavioral?.enabled) {
      ctx.addIssue({
        code: 'custom',
        path: ['stages', 'canary', 'behavioral'],
        message:
          "the canary's behavioral checks read the llm-rollout gateway's answer samples: use the gateway router, or remove stages.canary.behavioral",
      });
    }
    if (plan.router.kind === 'haproxy' && plan.stages.shadow.enabled) {
      ctx.addIssue({
        code: 'custom',
        path: ['stages', 'shadow', 'enabled'],
        message: 'HAProxy cannot mirror traffic: set stages.shadow.enabled to false, or use the gateway router',
      });
    }
    if (plan.stages.goldenEval.enabled && !plan.stages.goldenEval.dataset) {
      ctx.addIssue({
        code: 'custom',
        path: ['stages', 'goldenEval', 'dataset'],
        message: 'a dataset path is required when the golden eval is enabled',
      });
    }
    if (plan.stages.replay.enabled && !plan.stages.replay.dataset) {
      ctx.addIssue({
        code: 'custom',
        path: ['stages', 'replay', 'dataset'],
        message:
          'a captured dataset is required when the replay is enabled (`rollout capture <route> --out file.jsonl`)',
      });
    }
    for (const [path, message] of metricsProblems(plan)) ctx.addIssue({ code: 'custom', path, message });
    const { baseline, candidate } = plan.backends;
    if (
      baseline.baseUrl === candidate.baseUrl &&
      baseline.model === candidate.model &&
      configDigest(bundleOf(baseline.config)) === configDigest(bundleOf(candidate.config))
    ) {
      ctx.addIssue({
        code: 'custom',
        path: ['backends', 'candidate'],
        message:
          baseline.config || candidate.config
            ? 'candidate is the same backend, model and configuration as the baseline'
            : 'candidate is the same backend and model as the baseline (a prompt or settings rollout gives either side a config)',
      });
    }
    if (plan.router.kind !== 'gateway')
      for (const side of ['baseline', 'candidate'] as const)
        if (plan.backends[side].pool)
          ctx.addIssue({
            code: 'custom',
            path: ['backends', side, 'pool'],
            message: `a pool is split by the llm-rollout gateway; ${plan.router.kind} routes to one backend per side: use router.kind gateway, or put the pool behind the backend's own balancer`,
          });
    const fallback = plan.router.kind === 'gateway' ? plan.router.fallback : undefined;
    if (fallback && fallback.baseUrl === candidate.baseUrl && fallback.model === candidate.model)
      ctx.addIssue({
        code: 'custom',
        path: ['router', 'fallback'],
        message:
          "the fallback is the candidate itself: a retry there would meet the candidate's own failure; name another backend (the baseline, a spare pool)",
      });
    // Only the gateway rewrites request bodies; another layer would send the candidate's traffic
    // without its bundle while the golden eval judged it with one.
    if (plan.router.kind !== 'gateway')
      for (const side of ['baseline', 'candidate'] as const)
        if (plan.backends[side].config)
          ctx.addIssue({
            code: 'custom',
            path: ['backends', side, 'config'],
            message: `a configuration bundle is applied by the gateway, which rewrites each request; ${plan.router.kind} routes requests as they are: use router.kind gateway, or serve the configuration from the backend itself`,
          });
  })
  // The canary's behavioral checks run by default wherever there are live answers to read (the
  // gateway keeps them); `behavioral: { enabled: false }` turns them off.
  .transform((plan) =>
    plan.router.kind === 'gateway' && plan.stages.canary.behavioral === undefined
      ? {
          ...plan,
          stages: { ...plan.stages, canary: { ...plan.stages.canary, behavioral: canaryBehaviorSchema.parse({}) } },
        }
      : plan,
  );

export type RolloutPlanInput = z.input<typeof planSchema>;
export type RolloutPlan = z.output<typeof planSchema>;
export type GuardrailName =
  | 'errorRate'
  | 'p99Latency'
  | 'timeToFirstToken'
  | 'costPerRequest'
  | 'refusalRate'
  | 'schemaAdherence'
  | 'length'
  | 'judgeScore';
export type Guardrail = RolloutPlan['guardrails']['errorRate'];

/**
 * A plan's guardrail, read so that a plan parsed before the guardrail existed (a rollout that
 * continued as new from an older version carries its parsed plan) gives undefined, not a crash.
 */
export function enabledGuardrail(guardrails: RolloutPlan['guardrails'], name: GuardrailName): Guardrail | undefined {
  const rail = (guardrails as Partial<Record<GuardrailName, Guardrail>>)[name];
  return rail?.enabled ? rail : undefined;
}

export type LatencyDistribution = RolloutPlan['guardrails']['latencyDistribution'];

/** The whole-distribution guard when enabled; undefined too for a plan parsed before it existed. */
export function enabledDistribution(guardrails: RolloutPlan['guardrails']): LatencyDistribution | undefined {
  const rail = (guardrails as Partial<RolloutPlan['guardrails']>).latencyDistribution;
  return rail?.enabled ? rail : undefined;
}

export class PlanValidationError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid rollout plan:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`);
    this.name = 'PlanValidationError';
  }
}

/** Validates and normalizes a plan object; throws PlanValidationError naming every bad field. */
export function parsePlan(input: unknown): RolloutPlan {
  const shape = planShapeProblem(input);
  if (shape) throw new PlanValidationError([shape]);
  const result = safeParseReportingInput(planSchema, input);
  if (result.success) return result.data;
  throw new PlanValidationError(issueProblems(result.error, '(plan)').map(formatIssueProblem));
}

/** Every gateway admin plane a gateway plan steers and reads: adminUrl first, then its replicas. */
export function gatewayAdminUrls(router: RolloutPlan['router']): string[] {
  return router.kind === 'gateway' ? [...new Set([router.adminUrl, ...(router.replicas ?? [])])] : [];
}

/** Where a router's traffic layer is reached, in words: admin planes, a socket, or a cluster. */
export function routerLocationOf(router: RolloutPlan['router']): string {
  switch (router.kind) {
    case 'gateway':
      return gatewayAdminUrls(router).join(', ');
    case 'haproxy':
      return router.statsSocket;
    case 'gateway-api':
      return `HTTPRoute rule ${kubeRuleOf(router)} via ${kubeAccessOf(router)}`;
    case 'istio':
      return `VirtualService http route ${kubeRuleOf(router)} (DestinationRule ${router.destinationRule}, subsets ${router.baselineSubset} → ${router.candidateSubset}) via ${kubeAccessOf(router)}`;
  }
}

/** The route a plan moves: the gateway's route, HAProxy's backend, or the route object's namespace/name. */
export function routeOf(plan: RolloutPlan): string {
  switch (plan.router.kind) {
    case 'gateway':
      return plan.router.route ?? plan.rollout.id;
    case 'haproxy':
      return plan.router.haproxyBackend;
    default:
      return kubeRouteName(plan.router);
  }
}

/**
 * What every traffic activity of the plan's rollout is given (activities/contract.ts RouteTarget):
 * the router, the route, and, only for a plan with live segments, the segment rule the gateway
 * router puts on every definition of the route. Without segments it is what it always was.
 */
export function routeTargetOf(plan: RolloutPlan): {
  router: RolloutPlan['router'];
  route: string;
  segmentation?: SegmentRule;
} {
  const segments = plan.stages.canary.segments;
  return { router: plan.router, route: routeOf(plan), ...(segments && { segmentation: segments.by }) };
}

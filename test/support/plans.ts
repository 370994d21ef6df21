// Plans for tests: short windows, every knob explicit where the test depends on it.
import { expect } from 'vitest';
import { parsePlan, PlanValidationError, type GatePoint, type RolloutPlanInput } from '../../plan/schema';

export interface TestPlanOptions {
  id: string;
  gates?: GatePoint[];
  goldenEval?: boolean;
  /** stages.replay on a captured dataset at /tmp/captured.jsonl (the workflow tests script the eval). */
  replay?: boolean;
  onTimeout?: 'abort' | 'approve';
  onInconclusive?: 'extend_then_ask' | 'ask' | 'rollback';
  judge?: 'statistical' | 'threshold';
  /** Compare the shadow answers after the soak (stages.shadow.compare). */
  shadowCompare?: boolean;
  /** HAProxy (no shadow soak; judged on Prometheus series): its backend is named after the id. */
  router?: 'gateway' | 'haproxy';
  /** guardrails.warmUp, e.g. '2m'. */
  warmUp?: string;
  /**
   * stages.cutover.revertWindow; none unless a test exercises it: awaiting a promoted run's result
   * on the time-skipping server would otherwise skip through a day of window per test.
   */
  revertWindow?: string;
  /** approvals.required: distinct approvers per gate. */
  approvalsRequired?: number;
  /** backends.candidate.config: a prompt or settings rollout's bundle. */
  candidateConfig?: Record<string, unknown>;
  /** stages.canary.cohort (a cohort plan needs judge 'statistical'); `canarySteps` replaces the three random steps. */
  cohort?: NonNullable<NonNullable<NonNullable<RolloutPlanInput['stages']>['canary']>['cohort']>;
  canarySteps?: Array<{ weight: number; window: string }>;
  /** stages.canary.segments (live segments need judge 'statistical'). */
  segments?: NonNullable<NonNullable<NonNullable<RolloutPlanInput['stages']>['canary']>['segments']>;
  /** stages.experiment, as the plan writes it (enabled unless it says otherwise). */
  experiment?: Record<string, unknown>;
}

export function testPlan(options: TestPlanOptions): RolloutPlanInput {
  return {
    rollout: { id: options.id, name: `test ${options.id}`, requestedBy: 'carol' },
    backends: {
      baseline: { baseUrl: 'http://127.0.0.1:1/v1', model: 'sim-baseline' },
      candidate: {
        baseUrl: 'http://127.0.0.1:2/v1',
        model: 'sim-candidate',
        ...(options.candidateConfig && { config: options.candidateConfig }),
      },
    },
    router:
      options.router === 'haproxy'
        ? {
            kind: 'haproxy',
            statsSocket: '/run/haproxy/admin.sock',
            haproxyBackend: options.id,
            baselineServer: 'current',
            candidateServer: 'next',
          }
        : { kind: 'gateway', adminUrl: 'http://127.0.0.1:3', route: options.id },
    stages: {
      shadow: {
        enabled: options.router !== 'haproxy',
        share: 0.5,
        window: '5m',
        ...(options.shadowCompare ? { compare: {} } : {}),
      },
      goldenEval: { enabled: options.goldenEval ?? false, dataset: '/dev/null' },
      ...(options.replay && { replay: { enabled: true, dataset: '/tmp/captured.jsonl' } }),
      ...(options.experiment && { experiment: { enabled: true, ...options.experiment } }),
      canary: {
        steps: options.canarySteps ?? [
          { weight: 5, window: '5m' },
          { weight: 25, window: '5m' },
          { weight: 50, window: '5m' },
        ],
        ...(options.cohort && { cohort: options.cohort }),
        ...(options.segments && { segments: options.segments }),
        checkInterval: '1m',
        // On by default for gateway plans, but these tests' traffic layers keep no live answers
        // to sample: test/workflows/canary-behavior.test.ts turns it on with answers to read.
        behavioral: { enabled: false },
      },
      cutover: { bake: '5m', revertWindow: options.revertWindow ?? '0s' },
    },
    approvals: {
      requiredBefore: options.gates ?? [],
      approvers: ['alice', 'bob', 'carol', 'group:S-RELEASE-OWNERS'],
      timeout: '1h',
      onTimeout: options.onTimeout ?? 'abort',
      ...(options.approvalsRequired && { required: options.approvalsRequired }),
    },
    guardrails: {
      onInconclusive: options.onInconclusive ?? 'extend_then_ask',
      judge: options.judge ?? 'threshold',
      ...(options.warmUp && { warmUp: options.warmUp }),
    },
  };
}

/** The problems parsePlan reports for `input`; fails the test if the plan is accepted. */
export function problemsOf(input: unknown): string[] {
  try {
    parsePlan(input);
  } catch (error) {
    expect(error).toBeInstanceOf(PlanValidationError);
    return (error as PlanValidationError).problems;
  }
  throw new Error('expected the plan to be rejected, but it parsed');
}

/**
 * A demo plan cut down for an end-to-end test that only needs every stage to run on real data:
 * an 8 s shadow soak, two canary steps (25 % and 50 %) checked every 4 s, a 6 s bake.
 */
export function withShortWindows(input: RolloutPlanInput, firstStepWindow = '10s'): RolloutPlanInput {
  input.stages!.shadow = { enabled: true, share: 0.5, window: '8s' };
  input.stages!.canary = {
    checkInterval: '4s',
    steps: [
      { weight: 25, window: firstStepWindow },
      { weight: 50, window: '10s' },
    ],
  };
  input.stages!.cutover = { bake: '6s' };
  return input;
}

/** A HAProxy router block, for tests of what only the gateway router can do. */
export const HAPROXY_ROUTER = {
  kind: 'haproxy',
  statsSocket: '/run/h.sock',
  haproxyBackend: 'b',
  baselineServer: 'x',
  candidateServer: 'y',
} as const;

// Named timeout and retry option sets, one per kind of activity the rollout calls.
import type { ActivityOptions, LocalActivityOptions } from '@temporalio/workflow';
import { FailureType } from './failure-types';

/** Normalizing the plan at the start (a local activity): pure and quick; a bad plan is final. */
export const PLAN: LocalActivityOptions = {
  startToCloseTimeout: '10s',
  retry: {
    initialInterval: '200ms',
    backoffCoefficient: 2,
    maximumAttempts: 5,
    nonRetryableErrorTypes: [FailureType.InvalidPlan],
  },
};

/** Moving traffic forward: a few quick retries, then the rollout compensates. */
export const TRAFFIC: ActivityOptions = {
  startToCloseTimeout: '15s',
  retry: {
    initialInterval: '250ms',
    backoffCoefficient: 2,
    maximumInterval: '5s',
    maximumAttempts: 6,
    nonRetryableErrorTypes: [FailureType.InvalidRouterConfig, FailureType.RouteConflict],
  },
};

/**
 * Re-asserting the traffic state at a check: short, since a check that cannot reach the traffic
 * layer counts toward the plan's maxMetricFailures and the next check tries again.
 */
export const RECONCILE: ActivityOptions = {
  startToCloseTimeout: '10s',
  retry: {
    initialInterval: '250ms',
    backoffCoefficient: 2,
    maximumInterval: '2s',
    maximumAttempts: 3,
    nonRetryableErrorTypes: [FailureType.InvalidRouterConfig, FailureType.RouteConflict],
  },
};

/** Putting traffic back on the baseline: retried until it succeeds, since leaving traffic on a bad candidate is the one outcome we never accept. */
export const COMPENSATION: ActivityOptions = {
  startToCloseTimeout: '15s',
  // No maximumAttempts: unlimited.
  retry: { initialInterval: '200ms', backoffCoefficient: 2, maximumInterval: '5s' },
};

/**
 * The same, run as a local activity in the workflow task that decided to compensate: no task queue
 * to wait in behind other rollouts' checks, which under load is most of a rollback's latency. Past
 * localRetryThreshold a retry waits on a durable timer instead of inside the workflow task.
 */
export const LOCAL_COMPENSATION: LocalActivityOptions = {
  startToCloseTimeout: '15s',
  retry: { initialInterval: '200ms', backoffCoefficient: 2, maximumInterval: '5s' },
  localRetryThreshold: '10s',
};

/** A metrics read at one check; a failed check counts toward the plan's maxMetricFailures. */
export const METRICS: ActivityOptions = {
  startToCloseTimeout: '30s',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumAttempts: 2 },
};

/** The golden eval: long, heartbeating, resumable from its last heartbeat. */
export const EVAL: ActivityOptions = {
  startToCloseTimeout: '2h',
  heartbeatTimeout: '1m',
  retry: {
    initialInterval: '2s',
    backoffCoefficient: 2,
    maximumAttempts: 3,
    nonRetryableErrorTypes: [FailureType.InvalidDataset],
  },
};

/** Telling the traffic layer which stage the rollout is in (for dashboards): best effort, a few quick tries. */
export const MARK: ActivityOptions = {
  startToCloseTimeout: '10s',
  retry: {
    initialInterval: '250ms',
    backoffCoefficient: 2,
    maximumAttempts: 3,
    nonRetryableErrorTypes: [FailureType.InvalidRouterConfig, FailureType.RouteNotFound],
  },
};

/** Telling people: best effort, never blocks or fails the rollout. */
export const NOTIFY: ActivityOptions = {
  startToCloseTimeout: '15s',
  retry: { initialInterval: '1s', maximumAttempts: 3 },
};

/** Writing the rollout report: best effort, short; a failure is said on the timeline and the rollout goes on. */
export const REPORT: ActivityOptions = {
  startToCloseTimeout: '30s',
  retry: { initialInterval: '1s', maximumAttempts: 2 },
};

/**
 * The canary's behavioral check at one check: reads the window's answer samples and makes at most
 * the plan's judgeCallsPerCheck judge calls. A failed check is said on the timeline and the next
 * check tries again.
 */
export const BEHAVIOR: ActivityOptions = {
  startToCloseTimeout: '5m',
  // It heartbeats while it works: a worker lost mid-check is noticed in seconds, not in 5 minutes.
  heartbeatTimeout: '15s',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumAttempts: 2 },
};

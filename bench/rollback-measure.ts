// One measured rollback for bench/rollback.ts: start a rollout, wait until the gateway serves the
// candidate, send `rollback`, poll the gateway until the baseline has 100 % again.
import type { Client } from '@temporalio/client';
import proto from '@temporalio/proto';
import { performance } from 'node:perf_hooks';
import { startRollout } from '../client/rollouts';
import type { RouteState } from '../gateway/admin-api';
import { GatewayAdminClient } from '../gateway/admin-client';
import { rankQuantileSorted } from '../lib/quantiles';
import { parsePlan } from '../plan/schema';
import { rollbackSignal } from '../workflows/model-rollout';

// CommonJS package: its named exports are not visible to Node's ESM loader.
const { temporal } = proto;
const EventType = temporal.api.enums.v1.EventType;
export const CANARY_WEIGHT = 10;
const SETUP_TIMEOUT_MS = 30_000;
const RESTORE_TIMEOUT_MS = 30_000;

export interface Breakdown {
  /** Signal → the workflow task it caused starts on the worker (sticky queue dispatch). */
  signalToTaskStartedMs: number | null;
  /** That workflow task on the worker, until it schedules the restore (restoreBaseline; restoreBaselineWeights before it). */
  taskStartedToCompletedMs: number | null;
  signalToScheduledMs: number | null;
  scheduledToStartedMs: number | null;
  startedToCompletedMs: number | null;
}

export interface RollbackSample {
  id: string;
  /** Signal sent → gateway shows baseline 100 / candidate 0, as seen by polling. */
  ms: number;
  breakdown: Breakdown | null;
}

export interface MeasureOptions {
  client: Client;
  stack: { gatewayAdminUrl: string; gatewayAdminToken: string };
  taskQueue: string;
  id: string;
  pollMs: number;
  /** Wait this long after the candidate's weight shows before rolling back (0: at once). */
  settleMs?: number;
  /** Runs the part from the start to the restore; the bench passes a lock so those do not overlap. */
  measured?: <T>(work: () => Promise<T>) => Promise<T>;
}

export async function measureRollback(options: MeasureOptions): Promise<RollbackSample> {
  const { client, stack, id } = options;
  const plan = parsePlan({
    rollout: { id, name: `rollback bench ${id}`, requestedBy: 'bench' },
    // The gateway only has to hold the route; no traffic is sent.
    backends: {
      baseline: { baseUrl: 'http://127.0.0.1:9/v1', model: 'bench-baseline' },
      candidate: { baseUrl: 'http://127.0.0.1:9/v1', model: 'bench-candidate' },
    },
    router: { kind: 'gateway', adminUrl: stack.gatewayAdminUrl, route: id },
    stages: {
      shadow: { enabled: false },
      canary: { steps: [{ weight: CANARY_WEIGHT, window: '10m' }], checkInterval: '10m' },
      cutover: { bake: '10m' },
    },
    approvals: { requiredBefore: [], approvers: ['bench'] },
    guardrails: { judge: 'threshold' },
  });
  const gateway = new GatewayAdminClient({ adminUrl: stack.gatewayAdminUrl, token: stack.gatewayAdminToken });
  const measured = options.measured ?? ((work) => work());
  // Start to restore under the lock: the signal goes out as soon as the weight shows, as in the
  // brief, while the rollouts measured before this one are still finishing on the same worker.
  const { handle, ms } = await measured(async () => {
    const handle = await startRollout(client, plan, { taskQueue: options.taskQueue, requestedBy: 'bench' });
    await pollUntil(
      gateway,
      id,
      (route) => route?.weights.candidate === CANARY_WEIGHT,
      SETUP_TIMEOUT_MS,
      5,
      `${id}: the candidate never got ${CANARY_WEIGHT}%`,
    );
    if (options.settleMs) await new Promise((resolve) => setTimeout(resolve, options.settleMs));
    const sentAt = performance.now();
    await handle.signal(rollbackSignal, { reason: 'rollback bench', by: 'bench' });
    await untilBaselineRestored(gateway, id, RESTORE_TIMEOUT_MS, options.pollMs);
    return { handle, ms: performance.now() - sentAt };
  });

  const result = await handle.result();
  if (result.outcome !== 'rolled_back')
    throw new Error(`${id}: expected rolled_back, got ${result.outcome} (${result.reason})`);
  return { id, ms, breakdown: await breakdownOf(handle) };
}

/** Polls the route every `pollMs` until the baseline has 100 % and the candidate none. */
export function untilBaselineRestored(gateway: GatewayAdminClient, id: string, timeoutMs: number, pollMs: number) {
  return pollUntil(
    gateway,
    id,
    (route) => route?.weights.baseline === 100 && (route.weights.candidate ?? 0) === 0,
    timeoutMs,
    pollMs,
    `${id}: baseline weights not restored`,
  );
}

export async function pollUntil(
  gateway: GatewayAdminClient,
  id: string,
  done: (route: RouteState | null) => boolean,
  timeoutMs: number,
  pollMs: number,
  failure: string,
): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const route = await gateway.getRoute(id);
    if (done(route)) return;
    if (performance.now() > deadline)
      throw new Error(`${failure} within ${timeoutMs} ms (last: ${JSON.stringify(route?.weights ?? null)})`);
    if (pollMs > 0) await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}

const RESTORE_ACTIVITIES = new Set(['restoreBaseline', 'restoreBaselineWeights']);

/** Server event times: the signal, the workflow task after it, and the first restore activity (when it is a remote one). */
async function breakdownOf(handle: {
  fetchHistory(): Promise<proto.temporal.api.history.v1.IHistory>;
}): Promise<Breakdown | null> {
  const events = (await handle.fetchHistory()).events ?? [];
  const time = (event: proto.temporal.api.history.v1.IHistoryEvent | undefined) => {
    const t = event?.eventTime;
    return t ? Number(t.seconds ?? 0) * 1000 + (t.nanos ?? 0) / 1e6 : null;
  };
  const signaled = events.find((event) => event.eventType === EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED);
  const scheduled = events.find(
    (event) =>
      event.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED &&
      RESTORE_ACTIVITIES.has(event.activityTaskScheduledEventAttributes?.activityType?.name ?? ''),
  );
  // A rollout that restores in its workflow task (a local activity) schedules no restore activity:
  // the restore is inside "task on the worker", and the activity's own times are n/a.
  if (!signaled) return null;
  const after = (type: number) =>
    events.find((event) => event.eventType === type && Number(event.eventId) > Number(signaled.eventId));
  const taskStarted = after(EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED);
  const taskCompleted = after(EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED);
  const scheduledId = scheduled?.eventId?.toString();
  const started =
    scheduled &&
    events.find(
      (event) =>
        event.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED &&
        event.activityTaskStartedEventAttributes?.scheduledEventId?.toString() === scheduledId,
    );
  const completed =
    scheduled &&
    events.find(
      (event) =>
        event.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED &&
        event.activityTaskCompletedEventAttributes?.scheduledEventId?.toString() === scheduledId,
    );
  const diff = (a: number | null, b: number | null) => (a !== null && b !== null ? b - a : null);
  return {
    signalToTaskStartedMs: diff(time(signaled), time(taskStarted)),
    taskStartedToCompletedMs: diff(time(taskStarted), time(taskCompleted)),
    signalToScheduledMs: diff(time(signaled), time(scheduled)),
    scheduledToStartedMs: diff(time(scheduled), time(started)),
    startedToCompletedMs: diff(time(started), time(completed)),
  };
}

/** One measurement at a time: the bench's 2 ms polling runs in the worker's own process. */
export function createLock(): <T>(work: () => Promise<T>) => Promise<T> {
  let tail: Promise<unknown> = Promise.resolve();
  return <T>(work: () => Promise<T>) => {
    const run = tail.then(work, work);
    tail = run.catch(() => undefined);
    return run;
  };
}

export function summarizeBreakdowns(samples: RollbackSample[]): Breakdown {
  const median = (pick: (b: Breakdown) => number | null) => {
    const values = samples
      .map((s) => (s.breakdown ? pick(s.breakdown) : null))
      .filter((v): v is number => v !== null)
      .sort((a, b) => a - b);
    return values.length ? Math.round(rankQuantileSorted(values, 0.5) * 10) / 10 : null;
  };
  return {
    signalToTaskStartedMs: median((b) => b.signalToTaskStartedMs),
    taskStartedToCompletedMs: median((b) => b.taskStartedToCompletedMs),
    signalToScheduledMs: median((b) => b.signalToScheduledMs),
    scheduledToStartedMs: median((b) => b.scheduledToStartedMs),
    startedToCompletedMs: median((b) => b.startedToCompletedMs),
  };
}

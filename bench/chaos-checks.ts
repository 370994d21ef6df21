// What bench:chaos checks of each rollout once the faults are over, as plain functions of what it
// recorded (injections, each rollout's end, the route left behind, every client answer), so the
// rules are unit-tested apart from the processes (test/unit/chaos-checks.test.ts).

export const INJECTION_KINDS = [
  'worker_kill',
  'temporal_kill',
  'gateway_kill',
  'gateway_unreachable',
  'prometheus_unreachable',
  'backend_hang',
  'backend_reset',
  'backend_garbage',
] as const;
export type InjectionKind = (typeof INJECTION_KINDS)[number];

/** When an injection was aimed: a stage or moment some rollout was at, or any time. */
export type InjectionMoment = 'any' | 'shadow' | 'canary' | 'cutover' | 'gate' | 'compensating' | 'rollback_signal';

export interface Injection {
  kind: InjectionKind;
  moment: InjectionMoment;
  /** The rollout it was aimed at (its stage, its candidate, its rollback signal), if any. */
  rollout?: string;
  /** Aimed at a rollback signal: whether the server took the signal (it may have been down). */
  signalled?: boolean;
  /** Epoch ms: from the fault until the component was healthy again (restarted and ready, resumed, healed). */
  from: number;
  to: number;
}

/** Outages during which a client request may fail through no fault of the rollout: no gateway answered. */
const GATEWAY_OUTAGES: ReadonlySet<InjectionKind> = new Set(['gateway_kill', 'gateway_unreachable']);
/** Outages of what the rollout observes with: a rollout that could not see its canary may roll back. */
const OBSERVATION_OUTAGES: ReadonlySet<InjectionKind> = new Set([
  'gateway_kill',
  'gateway_unreachable',
  'prometheus_unreachable',
]);
const BACKEND_FAULTS: ReadonlySet<InjectionKind> = new Set(['backend_hang', 'backend_reset', 'backend_garbage']);

export interface RolloutRun {
  id: string;
  /** 'bad' candidates fail a share of their requests from the start. */
  candidate: 'good' | 'bad';
  startedAt: number;
  /** Epoch ms the workflow closed, or reached its promoted phase (revert window), or null if neither. */
  endedAt: number | null;
  /** Temporal's status of the run at the end: COMPLETED, FAILED, RUNNING, TERMINATED… */
  status: string;
  outcome?: string;
  reason?: string;
  /** The types of the run's timeline events (rollback_requested, rollback_ignored, …). */
  events: string[];
  /** The route as the gateway holds it after the run. */
  route: { weights: Record<string, number>; shadowEnabled: boolean; models: string[] } | null;
  candidateModel: string;
}

export type Expected = 'promoted' | 'rolled_back';

/**
 * What the right outcome is: rolled back with a candidate that is (or became) broken, or after a
 * rollback signal the server took, unless the run says it came after the promotion
 * (rollback_ignored: nothing left to undo); promoted otherwise.
 */
export function expectedOutcome(run: RolloutRun, injections: readonly Injection[]): Expected {
  const aimed = injections.filter((injection) => injection.rollout === run.id);
  if (run.candidate === 'bad') return 'rolled_back';
  const signalled = aimed.some((injection) => injection.moment === 'rollback_signal' && injection.signalled !== false);
  if (signalled && !run.events.includes('rollback_ignored')) return 'rolled_back';
  if (aimed.some((injection) => BACKEND_FAULTS.has(injection.kind))) return 'rolled_back';
  return 'promoted';
}

const overlaps = (injection: Injection, from: number, to: number) => injection.from <= to && injection.to >= from;

/** The reasons a rollout gives for a canary it could not see, or traffic it could not move. */
const OUTAGE_REASON = /cannot be observed|^\w+ failed: /;

/** A good candidate rolled back because the traffic layer or Prometheus was out during its life. */
export function rolledBackByOutage(run: RolloutRun, injections: readonly Injection[]): boolean {
  return (
    run.candidate === 'good' &&
    run.outcome === 'rolled_back' &&
    OUTAGE_REASON.test(run.reason ?? '') &&
    injections.some(
      (injection) =>
        OBSERVATION_OUTAGES.has(injection.kind) && overlaps(injection, run.startedAt, run.endedAt ?? Infinity),
    )
  );
}

export interface RolloutCheck {
  id: string;
  stuck: boolean;
  wrongOutcome: boolean;
  trafficLeftOnCandidate: boolean;
  /** Why, in a line, when anything is wrong. */
  problems: string[];
}

/** One rollout's end judged against what it should be, given the faults it lived through. */
export function checkRollout(run: RolloutRun, injections: readonly Injection[]): RolloutCheck {
  const problems: string[] = [];
  const stuck = run.endedAt === null;
  if (stuck) problems.push(`still ${run.status} in phase/outcome ${run.outcome ?? 'none'}`);
  const expected = expectedOutcome(run, injections);
  let wrongOutcome = false;
  if (!stuck) {
    if (run.status === 'FAILED' || run.status === 'TERMINATED' || run.status === 'TIMED_OUT') {
      wrongOutcome = true;
      problems.push(`workflow ${run.status}`);
    } else if (run.outcome !== expected) {
      // A healthy candidate may be rolled back when an outage hid its canary past the failure
      // budget, or kept a traffic move from landing within its retries: the plan's rule for a
      // canary nobody can see or steer, not a wrong call (counted apart as rolledBackByOutage).
      const unobserved = rolledBackByOutage(run, injections);
      if (expected !== 'promoted' || !unobserved) {
        wrongOutcome = true;
        problems.push(`expected ${expected}, got ${run.outcome ?? 'no outcome'}: ${run.reason ?? ''}`);
      }
    }
  }
  let trafficLeftOnCandidate = false;
  if (!stuck && run.outcome !== 'promoted') {
    const route = run.route;
    if (route === null) {
      trafficLeftOnCandidate = true;
      problems.push('route missing after the rollout');
    } else if ((route.weights.candidate ?? 0) > 0 || route.shadowEnabled) {
      trafficLeftOnCandidate = true;
      problems.push(
        `route left at candidate ${route.weights.candidate ?? 0} %${route.shadowEnabled ? ' with mirroring on' : ''}`,
      );
    }
  }
  if (!stuck && run.outcome === 'promoted' && run.route && !sameModels(run.route.models, [run.candidateModel]))
    problems.push(`promoted but the route serves ${run.route.models.join(', ')}`);
  return { id: run.id, stuck, wrongOutcome, trafficLeftOnCandidate, problems };
}

function sameModels(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((model, i) => model === b[i]);
}

export interface ClientAnswer {
  route: string;
  /** HTTP status, 0 when no response came. */
  status: number;
  /** The backend the gateway sent it to (its response header), null when no gateway answered. */
  backend: string | null;
  sentAt: number;
  doneAt: number;
}

/** Slack around an outage for requests in flight as it began and connections that raced its end. */
const OUTAGE_SLACK_MS = 250;

export interface ClientErrorTally {
  /** Failed while no gateway answered (killed, or stopped). */
  duringGatewayOutage: number;
  /** Failed on the candidate: the canary's own cost, which the judge is there to catch. */
  onCandidate: number;
  /** Failed that a healthy gateway and baseline would have served: the system's fault. */
  attributable: ClientAnswer[];
}

/** Sorts every failed client request by whose fault it was. */
export function tallyClientErrors(
  answers: readonly ClientAnswer[],
  injections: readonly Injection[],
): ClientErrorTally {
  const outages = injections.filter((injection) => GATEWAY_OUTAGES.has(injection.kind));
  const tally: ClientErrorTally = { duringGatewayOutage: 0, onCandidate: 0, attributable: [] };
  for (const answer of answers) {
    if (answer.status === 200) continue;
    if (outages.some((outage) => overlaps(outage, answer.sentAt - OUTAGE_SLACK_MS, answer.doneAt + OUTAGE_SLACK_MS)))
      tally.duringGatewayOutage++;
    else if (answer.backend === 'candidate') tally.onCandidate++;
    else tally.attributable.push(answer);
  }
  return tally;
}

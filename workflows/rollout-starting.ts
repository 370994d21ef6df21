// The run's first moments, while its plan is normalized (a local activity): Temporal can deliver
// a query or an Update then, and one with no handler fails ("did not register a handler") or is
// rejected at the end of the activation. So the status answers "starting" and a decision is
// refused (there is no gate yet), as is a revert; signals need nothing here, since Temporal keeps them until the
// rollout registers its own handlers, which replace these.
import { ApplicationFailure, setHandler, workflowInfo } from '@temporalio/workflow';
import { FailureType } from './failure-types';
import {
  approveUpdate,
  rejectUpdate,
  revertUpdate,
  statusQuery,
  type DecisionRequest,
  type RevertRequest,
} from './model-rollout-messages';
import type { RolloutStatus } from './rollout-state';

export function answerWhileStarting(input: { plan: unknown; requestedBy?: string }): void {
  const status = startingStatus(input);
  setHandler(statusQuery, () => status);
  const refuse = (_request: DecisionRequest): never => {
    throw ApplicationFailure.nonRetryable(
      `rollout ${status.rolloutId} is starting (its plan is being checked): there is no gate to decide yet`,
      FailureType.NoOpenGate,
    );
  };
  setHandler(approveUpdate, refuse, { validator: refuse });
  setHandler(rejectUpdate, refuse, { validator: refuse });
  const refuseRevert = (_request: RevertRequest): never => {
    throw ApplicationFailure.nonRetryable(
      `rollout ${status.rolloutId} is starting: it is not promoted, so there is nothing to revert`,
      FailureType.NotPromoted,
    );
  };
  setHandler(revertUpdate, refuseRevert, { validator: refuseRevert });
}

/** What can be said before the plan is parsed: read defensively from the input as written. */
function startingStatus(input: { plan: unknown; requestedBy?: string }): RolloutStatus {
  const written = (typeof input.plan === 'object' && input.plan !== null ? input.plan : {}) as {
    rollout?: { name?: unknown; requestedBy?: unknown };
    backends?: Record<string, { model?: unknown } | undefined>;
  };
  const text = (value: unknown) => (typeof value === 'string' ? value : undefined);
  return {
    rolloutId: workflowInfo().workflowId,
    ...(text(written.rollout?.name) ? { name: text(written.rollout?.name) } : {}),
    baselineModel: text(written.backends?.baseline?.model) ?? '',
    candidateModel: text(written.backends?.candidate?.model) ?? '',
    requestedBy: input.requestedBy ?? text(written.rollout?.requestedBy) ?? 'unknown',
    phase: 'starting',
    stage: null,
    stages: [],
    weights: { baseline: 100, candidate: 0 },
    shadow: { enabled: false, target: null, share: 0 },
    trafficLayer: null,
    gate: null,
    paused: null,
    rollbackRequest: null,
    verdicts: [],
    decisions: [],
    timeline: [],
    windowElapsedMs: 0,
  };
}

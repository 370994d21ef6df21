// Why a rollout stops before promotion, and what outcome that gives. Thrown inside the workflow
// only; it never crosses an activity or client boundary.
import type { Outcome } from './rollout-state';

export type HaltKind =
  | 'breach'
  | 'rollback_requested'
  | 'activity_failed'
  | 'rejected'
  | 'approval_timeout'
  | 'cancelled'
  | 'internal_error';

export class RolloutHalted extends Error {
  constructor(
    readonly kind: HaltKind,
    readonly reason: string,
    readonly by?: string,
  ) {
    super(reason);
    this.name = 'RolloutHalted';
  }

  /** A regression or an incident rolls back; a human "no" (or silence) aborts. */
  get outcome(): Outcome {
    return this.kind === 'rejected' || this.kind === 'approval_timeout' || this.kind === 'cancelled'
      ? 'aborted'
      : 'rolled_back';
  }
}

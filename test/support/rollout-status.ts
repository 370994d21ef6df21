// A rollout's status as the status query answers it, for tests of what shows it (the CLI, Slack):
// a rollout in its first canary step with nothing to show, and the fields a test is about.
import type { RolloutStatus } from '../../workflows/rollout-state';

export function rolloutStatus(fields: Partial<RolloutStatus> = {}): RolloutStatus {
  return {
    rolloutId: 'r1',
    baselineModel: 'base',
    candidateModel: 'cand',
    requestedBy: 'carol',
    phase: 'observing',
    stage: 'canary-1',
    stages: [],
    weights: { baseline: 95, candidate: 5 },
    shadow: { enabled: false, target: null, share: 0 },
    trafficLayer: null,
    gate: null,
    paused: null,
    rollbackRequest: null,
    verdicts: [],
    decisions: [],
    timeline: [],
    windowElapsedMs: 0,
    ...fields,
  };
}

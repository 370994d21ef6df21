// The failure-type registry is a contract: callers branch on these strings and recorded histories
// hold them in their retry policies, so a value never drifts from its name and every name a
// recorded history carries stays in the registry.
import { temporal } from '@temporalio/proto';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { COMPENSATION, EVAL, METRICS, NOTIFY, RECONCILE, TRAFFIC } from '../../workflows/activity-options';
import { FailureType } from '../../workflows/failure-types';

const dir = fileURLToPath(new URL('../fixtures/histories/', import.meta.url));

function recordedNonRetryableTypes(): Set<string> {
  const types = new Set<string>();
  for (const file of readdirSync(dir).filter((name) => name.endsWith('.binpb'))) {
    const history = temporal.api.history.v1.History.decode(readFileSync(join(dir, file)));
    for (const event of history.events ?? []) {
      for (const type of event.activityTaskScheduledEventAttributes?.retryPolicy?.nonRetryableErrorTypes ?? [])
        types.add(type);
    }
  }
  return types;
}

describe('failure types', () => {
  it('names each type by its own string', () => {
    for (const [name, value] of Object.entries(FailureType)) expect(value).toBe(name);
  });

  it('keeps every type a recorded history names in a retry policy', () => {
    const recorded = recordedNonRetryableTypes();
    expect(recorded.size).toBeGreaterThan(0);
    for (const type of recorded) expect(Object.values(FailureType)).toContain(type);
  });

  it('retry option sets name only registered types', () => {
    for (const options of [TRAFFIC, RECONCILE, COMPENSATION, METRICS, EVAL, NOTIFY]) {
      for (const type of options.retry?.nonRetryableErrorTypes ?? [])
        expect(Object.values(FailureType)).toContain(type);
    }
  });
});

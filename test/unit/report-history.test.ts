// The report's verdict series is read from recorded histories of real runs: every judge and eval
// activity's completed result, in order, the statistical judge's looks included.
import { defaultPayloadConverter } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Payloads } from '../../lib/temporal-history';
import { runVerdicts } from '../../report/collect-report';
import type { RolloutResult } from '../../workflows/rollout-state';
import { historiesDir } from '../support/histories';

const decode = <T>(payloads: Payloads): T | undefined => {
  const first = payloads?.payloads?.[0];
  return first ? defaultPayloadConverter.fromPayload<T>(first) : undefined;
};

function events(name: string) {
  return temporal.api.history.v1.History.decode(readFileSync(join(historiesDir, `${name}.binpb`))).events ?? [];
}

describe('runVerdicts', () => {
  it('finds every verdict of a run, the ones its result kept among them, in order', () => {
    // A finished run (the healthy one stays open through its revert window).
    const history = events('e2e-broken');
    const verdicts = runVerdicts(history, decode);
    const done = history.find((event) => event.workflowExecutionCompletedEventAttributes);
    const result = decode<RolloutResult>(done!.workflowExecutionCompletedEventAttributes!.result)!;
    expect(result.verdicts.length).toBeGreaterThan(0);
    expect(verdicts.length).toBeGreaterThanOrEqual(result.verdicts.length);
    const key = (v: { stage: string; at: string }) => `${v.stage}@${v.at}`;
    expect(verdicts.map(key)).toEqual(expect.arrayContaining(result.verdicts.map(key)));
    const times = verdicts.map((v) => Date.parse(v.at));
    expect([...times].sort((a, b) => a - b)).toEqual(times);
    expect(verdicts.every((v) => Array.isArray(v.metrics))).toBe(true);
  });

  it('finds none where no judge ran', () => {
    const firstEvents = events('e2e-healthy').filter((event) => !event.activityTaskCompletedEventAttributes);
    expect(runVerdicts(firstEvents, decode)).toEqual([]);
  });
});

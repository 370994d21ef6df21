// What the end-to-end tests of rollouts judged from Prometheus series share (HAProxy's, and the
// simulated mesh's Envoy and Istio series): live chat load through a traffic layer, and what a
// promotion on the series judge's own pass verdicts must show.
import { expect } from 'vitest';
import type { RolloutResult } from '../../workflows/rollout-state';

/**
 * Chat requests to `baseUrl` (the traffic layer's address) until `stop` is aborted, `parallel` at a
 * time, half of them streamed. No abort signal per request: each fetch would add a listener to the
 * shared signal, thousands over a run; a request is short, and the loop ends after it.
 */
export async function chatLoad(baseUrl: string, parallel: number, stop: AbortSignal): Promise<void> {
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      while (!stop.aborted) {
        try {
          const res = await fetch(`${baseUrl}/v1/chat/completions`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({
              messages: [{ role: 'user', content: 'Where is my order?' }],
              stream: Math.random() < 0.5,
            }),
          });
          await res.text();
        } catch {
          // The traffic layer closing at the end of the test.
        }
      }
    }),
  );
}

/**
 * Promoted, with both canary steps ended on a pass from the series judge rather than an approval,
 * each pass reading errors and the latency tail from at least `minRequests` candidate requests,
 * none of them failed.
 */
export function expectPromotedOnSeriesPasses(result: RolloutResult, minRequests: number): void {
  expect(result.outcome, result.reason).toBe('promoted');
  expect(result.stages.filter((stage) => stage.kind === 'canary').map((stage) => stage.verdict)).toEqual([
    'pass',
    'pass',
  ]);
  const passes = result.verdicts.filter((verdict) => verdict.outcome === 'pass');
  expect(passes.length).toBeGreaterThanOrEqual(2);
  for (const verdict of passes) {
    expect(verdict.metrics.map((metric) => metric.metric)).toEqual(expect.arrayContaining(['errorRate', 'p99Latency']));
    const errorRate = verdict.metrics.find((metric) => metric.metric === 'errorRate')!;
    expect(errorRate.samples.candidate).toBeGreaterThanOrEqual(minRequests);
    expect(errorRate.candidate).toBe(0);
  }
}

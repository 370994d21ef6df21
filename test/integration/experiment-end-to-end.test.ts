// A/B experiments on real parts: the Temporal dev server, the gateway routing a client's chat
// requests to simulated backends, the client sending a thumbs up or down on each answer to the
// gateway, Prometheus scraping the gateway, and the worker running the real activities. One
// experiment decides on the feedback the gateway attributes (a better candidate: shipped at its
// gate), one on Prometheus queries over the gateway's own feedback series (a worse one: rolled back).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decide } from '../../client/rollout-commands';
import { startRollout, watchRollout } from '../../client/rollouts';
import { demoPlan } from '../../demo/demo-plans';
import type { FeedbackEvent } from '../../lib/feedback-event';
import { mulberry32 } from '../../lib/seeded-random';
import { parsePlan, type RolloutPlanInput } from '../../plan/schema';
import { statusQuery } from '../../workflows/model-rollout';
import { withShortWindows } from '../support/plans';
import { startStackFixture, type StackFixture } from '../support/stack-fixture';

let fixture: StackFixture;
let stack: StackFixture['stack'];
let client: StackFixture['client'];
let sims: StackFixture['sims'];
const gatewayAdmin = () => fixture.gatewayAdmin;

/**
 * A client of the route: `perSecond` chat requests from 200 sticky users, each answer rated thumbs
 * up with its backend's probability (read from `x-rollout-backend`), by the request id it came with.
 * Returns which backend answered each request id, and the ratings sent.
 */
function rateAnswers(route: string, upRate: { baseline: number; candidate: number }, signal: AbortSignal) {
  const answeredBy = new Map<string, string>();
  const random = mulberry32(route.length);
  let sent = 0;
  const one = async (user: number) => {
    const answer = await fetch(`${stack.gatewayUrl}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        model: route,
        user: `user-${user}`,
        messages: [{ role: 'user', content: 'How do I reset my password?' }],
      }),
      signal,
    });
    await answer.text();
    const requestId = answer.headers.get('x-request-id')!;
    const backend = answer.headers.get('x-rollout-backend') as 'baseline' | 'candidate';
    if (!answer.ok || (backend !== 'baseline' && backend !== 'candidate')) return;
    answeredBy.set(requestId, backend);
    const feedback = await fetch(`${stack.gatewayUrl}/v1/feedback`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: route, request_id: requestId, thumbs: random() < upRate[backend] ? 'up' : 'down' }),
      signal,
    });
    expect(feedback.status).toBe(202);
    sent += 1;
  };
  const done = (async () => {
    for (let i = 0; !signal.aborted; i++) {
      void one(i % 200).catch(() => undefined);
      await new Promise((resolve) => setTimeout(resolve, 40));
    }
  })();
  return { answeredBy, sent: () => sent, done };
}

function experimentPlan(
  id: string,
  candidate: StackFixture['sims'][number],
  metric: Record<string, unknown>,
): RolloutPlanInput {
  const input = withShortWindows(demoPlan({ id, route: id, baseline: sims[0]!, candidate, stack, gates: [] }));
  input.stages!.canary = { checkInterval: '3s', steps: [{ weight: 50, window: '9s' }] };
  input.stages!.experiment = {
    enabled: true,
    share: 50,
    metric,
    baselineRate: 0.4,
    minimumDetectableEffect: 0.2,
    minTrials: 30,
    maxDuration: '3m',
  } as never;
  return input;
}

async function allFeedback(route: string): Promise<FeedbackEvent[]> {
  const page = await gatewayAdmin().feedback(route, { since: 0, limit: 10_000 });
  return page.feedback;
}

beforeAll(async () => {
  fixture = await startStackFixture({
    name: 'ab-e2e',
    sims: (['sim-base', 'sim-better', 'sim-worse'] as const).map((model, i) => ({
      model,
      behaviour: { latencyMedianMs: 20, latencySigma: 0.1, seed: i + 1 },
    })),
    routes: ['ab-feedback', 'ab-prometheus'],
  });
  ({ stack, client, sims } = fixture);
}, 120_000);

afterAll(async () => {
  await fixture?.stop();
});

describe('A/B experiments end to end on the embedded stack', () => {
  it('ships a candidate users like better, and rolls back one they like less (decided from Prometheus)', async () => {
    const stop = new AbortController();
    const better = rateAnswers('ab-feedback', { baseline: 0.4, candidate: 0.8 }, stop.signal);
    const worse = rateAnswers('ab-prometheus', { baseline: 0.4, candidate: 0.05 }, stop.signal);
    try {
      const series = (name: string, kind: 'delta' | 'increase') =>
        `sum(${kind}(${name}{route="ab-prometheus",backend="{{arm}}",kind="thumbs"}[$window]))`;
      const [shipping, failing] = await Promise.all([
        startRollout(
          client,
          parsePlan(experimentPlan('ab-feedback', sims[1]!, { source: 'feedback', kind: 'thumbs' })),
          { taskQueue: stack.taskQueue, requestedBy: 'carol' },
        ),
        startRollout(
          client,
          parsePlan(
            experimentPlan('ab-prometheus', sims[2]!, {
              source: 'prometheus',
              name: 'thumbsUp',
              successes: series('llm_gateway_feedback_value_sum', 'delta'),
              trials: series('llm_gateway_feedback_total', 'increase'),
            }),
          ),
          { taskQueue: stack.taskQueue, requestedBy: 'carol' },
        ),
      ]);

      // Users like the worse candidate's answers far less: the experiment rolls it back by itself.
      const failed = await watchRollout(failing, () => undefined);
      expect(failed.outcome, failed.reason).toBe('rolled_back');
      expect(failed.reason).toMatch(/^experiment: thumbsUp: the candidate is worse/);
      expect((await gatewayAdmin().getRoute('ab-prometheus'))!.weights).toEqual({ baseline: 100, candidate: 0 });

      // The better one ends at its gate, with the evidence, and a person ships it.
      let status = await shipping.query(statusQuery);
      for (let i = 0; i < 600 && !status.gate && status.phase !== 'finished'; i++) {
        await new Promise((resolve) => setTimeout(resolve, 250));
        status = await shipping.query(statusQuery);
      }
      expect(
        status.gate?.reason,
        `${status.phase}/${status.stage}: ${status.reason ?? status.verdicts.at(-1)?.reason}`,
      ).toBe('experiment');
      expect(status.gate!.before).toBe('cutover');
      const evidence = status.gate!.evidence!;
      expect(evidence.reason).toMatch(/^thumbsUpRate: the candidate is better/);
      const [metric] = evidence.metrics;
      expect(metric!.candidate!).toBeGreaterThan(metric!.baseline!);
      expect(metric!.samples.candidate).toBeGreaterThanOrEqual(30);
      expect((await gatewayAdmin().getRoute('ab-feedback'))!.weights).toEqual({ baseline: 50, candidate: 50 });
      console.log(`experiments: shipped at the gate on "${evidence.reason}"; rolled back on "${failed.reason}"`);
      await decide(client, 'ab-feedback', 'approve', { by: 'alice', gateId: status.gate!.id });
      const shipped = await watchRollout(shipping, () => undefined);
      expect(shipped.outcome, shipped.reason).toBe('promoted');
    } finally {
      stop.abort();
      await Promise.all([better.done, worse.done]);
    }

    // Every rating the gateway recorded went to the backend whose answer it rated.
    const recorded = await allFeedback('ab-feedback');
    expect(recorded.length).toBeGreaterThan(100);
    for (const event of recorded) expect(event.backend).toBe(better.answeredBy.get(event.requestId!));
    expect(recorded.length).toBeLessThanOrEqual(better.sent());
  }, 240_000);
});

// Live segments on real parts: the Temporal dev server, the gateway tagging each request with its
// tenant (the x-tenant header) on a route that asks for it, simulated backends, and the worker
// running the real activities. The candidate refuses every question about refunds, and only one
// tenant of seven asks about them: over the whole route the refusals stay inside the plan's
// tolerance, in that tenant they do not, and the canary is rolled back naming the tenant.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRollout, watchRollout } from '../../client/rollouts';
import { demoPlan } from '../../demo/demo-plans';
import { parsePlan } from '../../plan/schema';
import { withShortWindows } from '../support/plans';
import { startStackFixture, type StackFixture } from '../support/stack-fixture';

let fixture: StackFixture;
let stack: StackFixture['stack'];
let client: StackFixture['client'];
let sims: StackFixture['sims'];
const ROUTE = 'segments-e2e';
const TENANTS = ['acme', 'globex', 'initech', 'umbrella', 'hooli', 'stark', 'wayne'];

const gatewayAdmin = () => fixture.gatewayAdmin;

/** 30 requests/s from 300 users, each of a tenant; acme's users ask about refunds, the others about passwords. */
function tenantTraffic(signal: AbortSignal) {
  const done = (async () => {
    for (let i = 0; !signal.aborted; i++) {
      const user = i % 300;
      const tenant = TENANTS[user % TENANTS.length]!;
      const question = tenant === 'acme' ? 'How do I get a refund for my order?' : 'How do I reset my password?';
      void fetch(`${stack.gatewayUrl}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-tenant': tenant },
        body: JSON.stringify({ model: ROUTE, user: `user-${user}`, messages: [{ role: 'user', content: question }] }),
        signal,
      })
        .then((answer) => answer.text())
        .catch(() => undefined);
      await new Promise((resolve) => setTimeout(resolve, 33));
    }
  })();
  return done;
}

beforeAll(async () => {
  fixture = await startStackFixture({
    name: 'segments-e2e',
    sims: [
      { model: 'sim-base', behaviour: { latencyMedianMs: 20, latencySigma: 0.1, seed: 1 } },
      {
        model: 'sim-refunds-refused',
        behaviour: { latencyMedianMs: 20, latencySigma: 0.1, seed: 2, refusalTopics: ['refund'] },
      },
    ],
    routes: [ROUTE],
  });
  ({ stack, client, sims } = fixture);
}, 120_000);

afterAll(async () => {
  await fixture?.stop();
});

describe('live segments end to end on the embedded stack', () => {
  it('rolls back a candidate whose refusals are confined to one tenant, naming the tenant and its figures', async () => {
    const input = withShortWindows(
      demoPlan({ id: ROUTE, route: ROUTE, baseline: sims[0]!, candidate: sims[1]!, stack, gates: [] }),
    );
    input.stages!.canary = {
      checkInterval: '3s',
      steps: [{ weight: 50, window: '40s' }],
      segments: { by: { header: 'x-tenant' }, maxSegments: 8, minRequests: 20 },
    };
    // One tenant in seven refused: about 14 points over the whole, inside this plan's 20.
    input.guardrails = { ...input.guardrails, refusalRate: { tolerance: 0.2, critical: true }, minRequests: 20 };
    const stop = new AbortController();
    const traffic = tenantTraffic(stop.signal);
    try {
      const handle = await startRollout(client, parsePlan(input), { taskQueue: stack.taskQueue, requestedBy: 'carol' });
      const result = await watchRollout(handle, () => undefined);
      expect(result.outcome, result.reason).toBe('rolled_back');
      expect(result.reason).toMatch(/^canary-1: segment acme: .*refusalRate/);
      const failing = result.verdicts.find((verdict) => verdict.outcome === 'fail' && verdict.stage === 'canary-1')!;
      const acme = failing.metrics.find((metric) => metric.metric === 'refusalRate@acme')!;
      expect(acme.classification).toBe('high');
      expect(acme.candidate!).toBeGreaterThan(0.8);
      // The whole route's refusal rate, in the same verdict, is inside the tolerance.
      const whole = failing.metrics.find((metric) => metric.metric === 'refusalRate')!;
      expect(whole.classification).toBe('pass');
      expect((failing as { notes?: string[] }).notes?.some((note) => note.startsWith('segment globex: pass'))).toBe(
        true,
      );
      console.log(`segments: rolled back on "${result.reason.slice(0, 300)}"`);
      expect((await gatewayAdmin().getRoute(ROUTE))!.weights).toEqual({ baseline: 100, candidate: 0 });
      // Every live record since the rollout defined the route carries its tenant.
      const since = Date.parse(result.stages.find((stage) => stage.id === 'canary-1')!.startedAt!);
      const page = await gatewayAdmin().records(ROUTE, { since: 0, limit: 10_000 });
      const live = page.records.filter((record) => record.mode === 'live' && Date.parse(record.at) >= since);
      expect(live.length).toBeGreaterThan(100);
      expect(live.every((record) => TENANTS.includes(record.segment ?? ''))).toBe(true);
    } finally {
      stop.abort();
      await traffic;
    }
  }, 180_000);
});

// `rollout up --simulators`: simulated backends on the addresses the example plans name, and
// light load on their routes through the gateway, so an example rollout finds its backends up and
// traffic to judge. Only plans whose two models are simulated ('sim-…') are served: a real model
// name on a simulator would pass for a real model.
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { GatewayAdminClient } from '../gateway/admin-client';
import { loadPlanFile } from '../plan/load';
import type { RolloutPlan } from '../plan/schema';
import { runLoad } from '../simulator/load-generator';
import { SIMULATED_MODEL_PREFIX, startSimulatedBackend, type SimulatedBackend } from '../simulator/sim-backend';

export interface ExampleSimulatorsOptions {
  examplesDir: string;
  gatewayUrl: string;
  gatewayAdminUrl: string;
  gatewayAdminToken: string;
  /** Requests per second over all routes. */
  ratePerSecond?: number;
  log?: (line: string) => void;
}

export interface ExampleSimulators {
  backends: SimulatedBackend[];
  /** The routes the load goes to. */
  routes: string[];
  ratePerSecond: number;
  stop(): Promise<void>;
}

/** Light: a few hundred requests per minute, enough for the quick-start plan's short windows. */
export const DEFAULT_SIMULATOR_LOAD_RATE = 20;
/** Until Ctrl-C: the load generator wants a bound, this one is far beyond any session. */
const FOREVER_MS = 30 * 24 * 3600_000;

interface SimulatedPlanBackend {
  port: number;
  model: string;
  plan: string;
}

export async function startExampleSimulators(options: ExampleSimulatorsOptions): Promise<ExampleSimulators> {
  const log = options.log ?? (() => {});
  const plans = await simulatedExamplePlans(options.examplesDir);
  const wanted = backendsOf(plans);
  const backends: SimulatedBackend[] = [];
  const load = new AbortController();
  let loadDone: Promise<unknown> = Promise.resolve();
  const stop = async () => {
    load.abort();
    await loadDone.catch(() => undefined);
    await Promise.all(backends.map((backend) => backend.close()));
  };
  try {
    for (const backend of wanted) {
      backends.push(
        await startSimulatedBackend({
          model: backend.model,
          port: backend.port,
          host: '127.0.0.1',
          // Steady, healthy backends: an example rollout should promote on their figures.
          behaviour: { latencyMedianMs: 60, latencySigma: 0.1, seed: backend.port },
        }),
      );
      log(`simulated backend ${backend.model} at http://127.0.0.1:${backend.port}/v1 (${backend.plan})`);
    }
    // A route carries the baseline before any rollout, as a deployed service's would.
    const admin = new GatewayAdminClient({ adminUrl: options.gatewayAdminUrl, token: options.gatewayAdminToken });
    const routes: string[] = [];
    for (const plan of plans) {
      const route = plan.plan.router.kind === 'gateway' ? plan.plan.router.route : null;
      if (!route || routes.includes(route)) continue;
      routes.push(route);
      if (!(await admin.getRoute(route))) {
        const { baseUrl, model } = plan.plan.backends.baseline;
        await admin.defineRoute(route, { backends: [{ name: 'baseline', baseUrl, model }] });
      }
    }
    const ratePerSecond = options.ratePerSecond ?? DEFAULT_SIMULATOR_LOAD_RATE;
    if (routes.length > 0) {
      // Half JSON-mode and half streamed, so the schema and time-to-first-token guardrails have samples.
      loadDone = runLoad({
        gatewayUrl: options.gatewayUrl,
        routes,
        ratePerSecond,
        durationMs: FOREVER_MS,
        users: 200,
        jsonShare: 0.5,
        streamShare: 0.5,
        signal: load.signal,
      });
      log(`load: ${ratePerSecond} requests/s to ${options.gatewayUrl} on route ${routes.join(', ')}`);
    }
    return { backends, routes, ratePerSecond, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** The example plans (YAML or JSON) routed through the gateway whose two backends are simulated. */
export async function simulatedExamplePlans(dir: string): Promise<Array<{ file: string; plan: RolloutPlan }>> {
  const files = (await readdir(dir)).filter((file) => /\.(ya?ml|json)$/.test(file)).sort();
  const plans: Array<{ file: string; plan: RolloutPlan }> = [];
  for (const file of files) {
    const plan = await loadPlanFile(join(dir, file));
    const { baseline, candidate } = plan.backends;
    if (
      plan.router.kind === 'gateway' &&
      [baseline, candidate].every((b) => b.model.startsWith(SIMULATED_MODEL_PREFIX))
    )
      plans.push({ file, plan });
  }
  return plans;
}

/** One simulator per loopback port; two plans naming different models on one port are an error. */
function backendsOf(plans: Array<{ file: string; plan: RolloutPlan }>): SimulatedPlanBackend[] {
  const byPort = new Map<number, SimulatedPlanBackend>();
  for (const { file, plan } of plans)
    for (const backend of [plan.backends.baseline, plan.backends.candidate]) {
      const url = new URL(backend.baseUrl);
      if (url.hostname !== '127.0.0.1' && url.hostname !== 'localhost')
        throw new Error(`${file}: simulated backend ${backend.baseUrl} is not on this machine`);
      const port = Number(url.port);
      const seen = byPort.get(port);
      if (seen && seen.model !== backend.model)
        throw new Error(`${file}: port ${port} serves ${seen.model} for ${seen.plan}, not ${backend.model}`);
      if (!seen) byPort.set(port, { port, model: backend.model, plan: file });
    }
  return [...byPort.values()];
}

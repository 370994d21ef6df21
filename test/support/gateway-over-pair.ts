// A gateway with one route over a baseline and a candidate simulated backend (all traffic on the
// baseline until a test moves it), seeded so keyless routing and shadow sampling repeat run to run;
// and the pair and its route for tests that run the gateway CLI as a child process instead.
import type { RouteDefinition } from '../../gateway/admin-api';
import { GatewayAdminClient } from '../../gateway/admin-client';
import { startGateway, type GatewayHandle } from '../../gateway/server';
import { mulberry32 } from '../../lib/seeded-random';
import { startSimulatedBackend, type SimulatedBackend } from '../../simulator/sim-backend';

export interface BackendPair {
  baseline: SimulatedBackend;
  candidate: SimulatedBackend;
}

/** Two simulated backends answering in about 1 ms, serving models `sim-<name>-a` and `sim-<name>-b`. */
export async function startInstantPair(name: string): Promise<BackendPair> {
  const instant = { latencyMedianMs: 1, latencySigma: 0 };
  return {
    baseline: await startSimulatedBackend({ model: `sim-${name}-a`, behaviour: instant }),
    candidate: await startSimulatedBackend({ model: `sim-${name}-b`, behaviour: instant }),
  };
}

/** Closes both backends; nothing to do when the pair never started. */
export async function closePair(pair: BackendPair | undefined): Promise<void> {
  await Promise.all([pair?.baseline.close(), pair?.candidate.close()]);
}

/** A route over the pair, baseline first: it takes all traffic when the route is created. */
export function pairRoute(pair: BackendPair): RouteDefinition {
  return {
    backends: [
      { name: 'baseline', baseUrl: pair.baseline.url, model: pair.baseline.model },
      { name: 'candidate', baseUrl: pair.candidate.url, model: pair.candidate.model },
    ],
  };
}

export function startGatewayOverPair(
  route: string,
  pair: BackendPair,
  seed: number,
  /** A replica shares its peers' token; default a fresh one. */
  adminToken?: string,
): Promise<GatewayHandle> {
  return startGateway({
    adminToken,
    defaultMetrics: false,
    random: mulberry32(seed),
    routes: { [route]: pairRoute(pair) },
  });
}

/** The admin API of a gateway started in this process (its admin plane, with its token). */
export function adminOf(gateway: GatewayHandle): GatewayAdminClient {
  return new GatewayAdminClient({ adminUrl: gateway.adminUrl, token: gateway.adminToken });
}

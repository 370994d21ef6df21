// A gateway with one route over a baseline and a candidate simulated backend (all traffic on the
// baseline until a test moves it), seeded so keyless routing and shadow sampling repeat run to run.
import { GatewayAdminClient } from '../../gateway/admin-client';
import { startGateway, type GatewayHandle } from '../../gateway/server';
import { mulberry32 } from '../../lib/seeded-random';
import type { SimulatedBackend } from '../../simulator/sim-backend';

export function startGatewayOverPair(
  route: string,
  pair: { baseline: SimulatedBackend; candidate: SimulatedBackend },
  seed: number,
  /** A replica shares its peers' token; default a fresh one. */
  adminToken?: string,
): Promise<GatewayHandle> {
  return startGateway({
    adminToken,
    defaultMetrics: false,
    random: mulberry32(seed),
    routes: {
      [route]: {
        backends: [
          { name: 'baseline', baseUrl: pair.baseline.url, model: pair.baseline.model },
          { name: 'candidate', baseUrl: pair.candidate.url, model: pair.candidate.model },
        ],
      },
    },
  });
}

/** The admin API of a gateway started in this process (its admin plane, with its token). */
export function adminOf(gateway: GatewayHandle): GatewayAdminClient {
  return new GatewayAdminClient({ adminUrl: gateway.adminUrl, token: gateway.adminToken });
}

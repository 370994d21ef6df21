// The gateway CLI's --config file (JSON or YAML): initial routes, optionally with weights, shadow
// settings, a fallback backend, a segmentation rule, a cohort and a capture setting. Each entry is applied through the same RouteTable methods as the admin API,
// so the file obeys exactly the same rules; errors name the offending path in the file.
//
//   routes:
//     support-chat:
//       backends:
//         - { name: baseline,  baseUrl: http://127.0.0.1:9001/v1, model: sim-llama-8b }
//         - { name: candidate, baseUrl: http://127.0.0.1:9002/v1, model: sim-llama-8b-v2 }
//           # optional: a pool, the candidate's requests split 1:3 over its members (BackendSpec.members)
//           # members: [{ name: eu, baseUrl: http://10.0.0.1:9002/v1, weight: 1 }, { name: us, baseUrl: ..., weight: 3 }]
//       weights: { baseline: 95, candidate: 5 }              # optional
//       shadow: { enabled: true, target: candidate, share: 0.2 }  # optional
//       fallback:                                            # optional
//         backend: { name: spare, baseUrl: http://127.0.0.1:9003/v1, model: sim-llama-8b }
//         maxAttempts: 1
//       segmentation: { header: x-tenant }                   # optional; or { metadata: tenant }, { language: true }
//       cohort:                                              # optional: who is split by its own weights
//         match: { header: x-tenant, values: [acme] }
//         weights: { baseline: 50, candidate: 50 }
//       capture: { enabled: true, share: 0.1 }               # optional, redacted as PUT …/capture
import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { InvalidRequestError, RouteConflictError } from './errors';
import type { RouteTable } from './route-table';
import { parseOrThrow } from './zod-errors';

const configSchema = z.strictObject({
  routes: z.record(
    z.string(),
    z.strictObject({
      backends: z.unknown(),
      weights: z.unknown().optional(),
      shadow: z.unknown().optional(),
      fallback: z.unknown().optional(),
      segmentation: z.unknown().optional(),
      cohort: z.unknown().optional(),
      capture: z.unknown().optional(),
    }),
    'must be a map of route name to { backends, weights?, shadow?, fallback?, segmentation?, cohort?, capture? }',
  ),
});

export type GatewayConfig = z.output<typeof configSchema>;

export async function loadGatewayConfig(path: string): Promise<GatewayConfig> {
  const text = await readFile(path, 'utf8');
  let raw: unknown;
  try {
    raw = /\.json$/i.test(path) ? JSON.parse(text) : parseYaml(text);
  } catch (error) {
    throw new Error(`cannot parse gateway config ${path}: ${error instanceof Error ? error.message : String(error)}`, {
      cause: error,
    });
  }
  return parseOrThrow(configSchema, raw, 'config');
}

/**
 * Applies every route in order; the first invalid entry throws with its path in the file. With
 * `onlyMissing`, routes the table already has (restored from the state file) are left as they
 * are. Returns the routes applied.
 */
export function applyGatewayConfig(
  table: RouteTable,
  config: GatewayConfig,
  options: { onlyMissing?: boolean } = {},
): string[] {
  const applied: string[] = [];
  for (const [route, entry] of Object.entries(config.routes)) {
    if (options.onlyMissing && table.has(route)) continue;
    applied.push(route);
    const definition = {
      backends: entry.backends,
      ...(entry.fallback !== undefined && { fallback: entry.fallback }),
      ...(entry.segmentation !== undefined && { segmentation: entry.segmentation }),
    };
    withPath(`routes.${route}`, () => table.define(route, definition));
    // setWeights/setShadow name fields inside their own bodies ('weights.x', 'target'), so the
    // shadow body needs its key prepended to point into the file.
    // A cohort is set with the weights, in the same change, as PUT …/weights takes it.
    if (entry.weights !== undefined || entry.cohort !== undefined)
      withPath(`routes.${route}`, () =>
        table.setWeights(route, {
          weights: entry.weights ?? table.get(route).weights,
          ...(entry.cohort !== undefined && { cohort: entry.cohort }),
        }),
      );
    if (entry.capture !== undefined) withPath(`routes.${route}.capture`, () => table.setCapture(route, entry.capture));
    if (entry.shadow !== undefined) withPath(`routes.${route}.shadow`, () => table.setShadow(route, entry.shadow));
  }
  return applied;
}

function withPath(prefix: string, apply: () => unknown): void {
  try {
    apply();
  } catch (error) {
    if (error instanceof InvalidRequestError || error instanceof RouteConflictError) {
      const field = error.field === 'route' || error.field === 'body' ? '' : `.${error.field}`;
      throw new Error(`gateway config: ${prefix}${field}: ${error.detail}`, { cause: error });
    }
    throw error;
  }
}

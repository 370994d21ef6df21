// The route table a gateway starts with, shared by the one-process gateway (server.ts) and the
// multi-process primary (cluster-primary.ts): the state file's routes first, then seeds and
// --config for what it lacks, then a first write so an unwritable location fails the start.
import type { RouteDefinition } from './admin-api';
import type { GatewayMetrics } from './metrics';
import { RouteStore, loadRouteState, restoreRoutes } from './route-store';
import { RouteTable } from './route-table';

export interface RouteSetupOptions {
  stateFile?: string;
  routes?: Record<string, RouteDefinition>;
  configure?: (table: RouteTable) => void;
}

export async function openRouteTable(
  options: RouteSetupOptions,
  metrics: GatewayMetrics,
  log: (line: string) => void,
): Promise<{ table: RouteTable; store: RouteStore | null }> {
  const table = new RouteTable();
  table.onChange((route, state, previous) => metrics.reflectRoute(route, state, previous));
  let store: RouteStore | null = null;
  if (options.stateFile) {
    const saved = await loadRouteState(options.stateFile);
    if (saved) {
      restoreRoutes(table, saved, options.stateFile);
      log(`restored ${saved.length} route(s) from ${options.stateFile}`);
    } else {
      log(`no state file at ${options.stateFile} yet: starting with no saved routes`);
    }
  }
  // Seeds only add what the state lacks: the saved weights are the last ones a rollout set.
  for (const [route, definition] of Object.entries(options.routes ?? {}))
    if (!table.has(route)) table.define(route, definition);
  options.configure?.(table);
  if (options.stateFile) {
    store = new RouteStore(options.stateFile, table, (error) => log(`state file not saved: ${error.message}`));
    store.attach();
    // Written once before listening, so an unwritable location fails the start, not a rollout.
    await store.save();
  }
  return { table, store };
}

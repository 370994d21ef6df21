// The rollout's activities for tests on a real Temporal server whose traffic layer is in memory:
// in-memory routers move the weights, the statistical judge reads scripted healthy records that
// follow those weights, and nothing is posted to Slack.
import { createActivities, type ActivityDependencies } from '../../activities';
import type { InMemoryRouter } from './in-memory-router';
import { scriptedRecords } from './scripted-records';

export function scriptedRolloutActivities(
  routerFor: (route: string) => InMemoryRouter,
  overrides: Partial<ActivityDependencies> = {},
) {
  return createActivities({
    slack: false,
    routerFor: (_config, route) => routerFor(route),
    readRecords: scriptedRecords((route) => routerFor(route).state),
    ...overrides,
  });
}

// How long a rollout's run's history may grow before it continues as new.

/**
 * A run continues as new once its history reaches this many events, so that no run's history
 * passes 5,000 (a check adds a few dozen events after the limit is crossed), whatever the server
 * suggests. Rollouts started before the limit came down keep LEGACY_HISTORY_EVENT_LIMIT.
 */
export const HISTORY_EVENT_LIMIT = 4_500;
export const LEGACY_HISTORY_EVENT_LIMIT = 10_000;

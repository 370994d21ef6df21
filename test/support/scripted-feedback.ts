// User feedback for workflow tests of the A/B experiment, as the gateway would record it for the
// traffic state the router is in: at every read each live arm gets `perLook` thumbs, up with its
// scripted rate (a seeded stream per route, so a run repeats).
import type { TrafficState } from '../../activities/contract';
import type { FeedbackReader } from '../../activities/metrics/judge-experiment';
import type { FeedbackEvent } from '../../lib/feedback-event';
import { mulberry32 } from '../../lib/seeded-random';

/** After any window the time-skipping server can reach: every event is inside the experiment. */
const AT = '2999-01-01T00:00:00.000Z';

export interface FeedbackScript {
  /** Thumbs-up rate per arm. */
  rates: { baseline: number; candidate: number };
  /** Thumbs per arm at each read. */
  perLook: number;
}

export function scriptedFeedback(
  stateOf: (route: string) => TrafficState,
  scriptOf: (route: string) => FeedbackScript | undefined,
): FeedbackReader {
  const logs = new Map<string, { events: FeedbackEvent[]; random: () => number }>();
  return async ({ route, sinceSeq }) => {
    const script = scriptOf(route);
    let log = logs.get(route);
    if (!log) {
      log = { events: [], random: mulberry32(route.length * 7919 + 17) };
      logs.set(route, log);
    }
    const state = stateOf(route);
    for (const arm of ['baseline', 'candidate'] as const) {
      if (!script || state.weights[arm] === 0) continue;
      for (let i = 0; i < script.perLook; i++) {
        const seq = log.events.length + 1;
        log.events.push({
          seq,
          epoch: 'scripted',
          route,
          backend: arm,
          requestId: `${route}-${seq}`,
          kind: 'thumbs',
          value: log.random() < script.rates[arm] ? 1 : 0,
          at: AT,
        });
      }
    }
    const feedback = log.events.filter((event) => event.seq > sinceSeq);
    return { feedback, epoch: 'scripted', restarted: false, lost: 0, lastSeq: log.events.length };
  };
}

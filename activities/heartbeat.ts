// Heartbeats for an activity whose work has no natural progress points to report (a read, then a
// batch of judge calls): a lost worker is then noticed within the heartbeat timeout instead of
// the whole start-to-close timeout, so the retry, and the check, are not held up for minutes.
import { Context } from '@temporalio/activity';

/** Heartbeats every `everyMs` while `work` runs. */
export async function whileHeartbeating<T>(work: () => Promise<T>, everyMs = 2_000): Promise<T> {
  const context = Context.current();
  context.heartbeat();
  const timer = setInterval(() => context.heartbeat(), everyMs);
  try {
    return await work();
  } finally {
    clearInterval(timer);
  }
}

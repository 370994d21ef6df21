// Readiness probes for child processes. A probe attempt throws with the reason it is not ready yet,
// so a timeout can report the last reason instead of a bare "not ready".
import { connect, type NetConnectOpts } from 'node:net';

export interface Probe {
  /** Shown in timeout errors, e.g. "GET http://127.0.0.1:9090/-/ready returns 2xx". */
  description: string;
  /** Resolves when ready; rejects with the reason otherwise. Must honour the abort signal. */
  attempt(signal: AbortSignal): Promise<void>;
}

/** Ready when GET `url` answers 2xx (any body). */
export function httpProbe(url: string): Probe {
  return {
    description: `GET ${url} returns 2xx`,
    async attempt(signal) {
      const res = await fetch(url, { signal });
      // Drain the body so the pooled connection is reusable and not left half-read.
      const body = await res.text();
      if (!res.ok) throw new Error(`HTTP ${res.status}: ${body.slice(0, 200)}`);
    },
  };
}

/**
 * Ready when GET `url` answers 2xx with a JSON body that `check` accepts. `check` returns null when
 * satisfied, else the reason it is not (e.g. "namespace state is NAMESPACE_STATE_DELETED").
 */
export function httpJsonProbe(description: string, url: string, check: (body: unknown) => string | null): Probe {
  return {
    description: `${description} (GET ${url})`,
    async attempt(signal) {
      const res = await fetch(url, { signal });
      const text = await res.text();
      if (!res.ok) throw new Error(`HTTP ${res.status}: ${text.slice(0, 200)}`);
      const problem = check(JSON.parse(text) as unknown);
      if (problem !== null) throw new Error(problem);
    },
  };
}

/** Ready when a TCP connection to host:port is accepted. */
export function tcpProbe(host: string, port: number): Probe {
  return connectProbe(`TCP connect to ${host}:${port}`, { host, port });
}

/** Ready when a unix socket at `path` accepts a connection (e.g. a runtime API socket). */
export function unixSocketProbe(path: string, description = `connect to ${path}`): Probe {
  return connectProbe(description, { path });
}

function connectProbe(description: string, target: NetConnectOpts): Probe {
  return {
    description,
    attempt(signal) {
      return new Promise((resolve, reject) => {
        const socket = connect(target);
        const onAbort = () => socket.destroy(new Error('connect attempt timed out'));
        signal.addEventListener('abort', onAbort, { once: true });
        socket.once('connect', () => {
          signal.removeEventListener('abort', onAbort);
          socket.end();
          resolve();
        });
        socket.once('error', (err) => {
          signal.removeEventListener('abort', onAbort);
          reject(err);
        });
      });
    },
  };
}

export interface WaitOptions {
  probes: Probe[];
  timeoutMs: number;
  intervalMs?: number;
  /** Per-attempt cap so one hung request cannot eat the whole deadline. */
  attemptTimeoutMs?: number;
  /** Returns a description of why waiting is pointless (e.g. the process exited), or null. */
  giveUp?: () => string | null;
}

export type WaitOutcome = { ready: true } | { ready: false; reason: string };

/**
 * Runs the probes in order until all pass within one round, or the deadline passes. Probes are
 * sequential because later ones usually depend on earlier ones (port open, then API usable).
 */
export async function waitForProbes(options: WaitOptions): Promise<WaitOutcome> {
  const { probes, timeoutMs, intervalMs = 100, attemptTimeoutMs = 2_000 } = options;
  const deadline = Date.now() + timeoutMs;
  let lastFailure = 'no attempt made';
  for (;;) {
    const stop = options.giveUp?.();
    if (stop) return { ready: false, reason: stop };
    let passed = 0;
    for (const probe of probes) {
      const remaining = deadline - Date.now();
      if (remaining <= 0) break;
      try {
        await probe.attempt(AbortSignal.timeout(Math.min(attemptTimeoutMs, remaining)));
        passed += 1;
      } catch (err) {
        lastFailure = `${probe.description}: ${describeError(err)}`;
        break;
      }
    }
    if (passed === probes.length) return { ready: true };
    if (Date.now() + intervalMs > deadline) {
      return { ready: false, reason: `not ready within ${timeoutMs} ms; last check: ${lastFailure}` };
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

export function describeError(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  // fetch() hides the useful part (ECONNREFUSED, ...) in `cause`.
  const cause = err.cause instanceof Error ? `: ${err.cause.message}` : '';
  return `${err.message}${cause}`;
}

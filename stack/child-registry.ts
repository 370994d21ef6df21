// Children that must not outlive this Node process. Each managed child runs in its own process
// group (so Ctrl-C in a terminal does not race our orderly shutdown); in exchange we must kill the
// groups ourselves when the parent goes away.
//
// - SIGINT/SIGTERM/SIGHUP: stop every child gracefully, then re-raise the signal if nobody else is
//   listening for it, so the parent still dies of the signal as it would have without us.
// - 'exit' (process.exit(), end of event loop, uncaught error): only synchronous work is possible
//   there, so any child still alive gets SIGKILL.
// A SIGKILL of the parent itself cannot be caught; nothing here can help with that case.

export interface TrackedChild {
  /** Stop gracefully (SIGTERM, then SIGKILL after the grace period). */
  stop(): Promise<void>;
  /** Synchronous last-resort kill of the whole process group. */
  killNow(): void;
}

const live = new Set<TrackedChild>();
let installed = false;

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

function onSignal(signal: NodeJS.Signals): void {
  void Promise.allSettled([...live].map((child) => child.stop())).then(() => {
    // Another listener means the application owns shutdown; otherwise restore the default action.
    if (process.listenerCount(signal) === 1) {
      process.removeListener(signal, onSignal);
      process.kill(process.pid, signal);
    }
  });
}

function install(): void {
  if (installed) return;
  installed = true;
  process.on('exit', () => {
    for (const child of live) child.killNow();
  });
  for (const signal of SIGNALS) process.on(signal, onSignal);
}

export function track(child: TrackedChild): void {
  install();
  live.add(child);
}

export function untrack(child: TrackedChild): void {
  live.delete(child);
}

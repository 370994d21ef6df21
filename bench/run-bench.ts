// How a benchmark that starts servers ends: every child stopped first, then its one JSON line
// printed last (the line other tools read), and the process exits with the run's outcome once that
// line is written (a pipe would otherwise lose it).
import { exitWhenWritten } from '../lib/output-streams';
export function runBench(main: () => Promise<string>, shutdown: () => Promise<void>): void {
  main().then(
    async (summary) => {
      await shutdown();
      console.log(summary);
      await exitWhenWritten(0);
    },
    async (error: unknown) => {
      console.error(error);
      await shutdown().catch(() => undefined);
      await exitWhenWritten(1);
    },
  );
}

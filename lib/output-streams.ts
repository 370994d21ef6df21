// How a command's output leaves the process. process.exit drops whatever stdout has not handed to
// the OS yet: on a pipe that is everything past the pipe's buffer (64 KB on Linux), so
// `rollout status --json | jq` read broken JSON. Every entry point that prints a result exits through here.

/** Resolves once everything written to the stream before this call has been handed to the OS. */
export function written(stream: NodeJS.WritableStream): Promise<void> {
  // Writes complete in order, so the callback of an empty write comes after all earlier ones;
  // it also comes (with an error) when the reader has gone, and then there is nothing to wait for.
  return new Promise((resolve) => stream.write('', () => resolve()));
}

/** Exits with `code` once stdout and stderr are fully written. */
export async function exitWhenWritten(code: number): Promise<never> {
  process.exitCode = code;
  await Promise.all([written(process.stdout), written(process.stderr)]);
  process.exit(code);
}

/**
 * A reader that stops early (`rollout status <id> --json | head`) ends the output, not the
 * command: its exit code still says how the command went. Any other write error stays fatal.
 */
export function tolerateReaderLeaving(): void {
  for (const stream of [process.stdout, process.stderr])
    stream.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EPIPE') throw error;
    });
}

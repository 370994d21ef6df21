/** An error the CLI reports as one line, without a stack: bad usage, unknown ids, refusals. */
export class CliError extends Error {
  override name = 'CliError';
}

// fast-check's seed for the fuzz suites. Fixed by default, so `npm test` is repeatable and CI says
// the same thing twice about one commit; `FUZZ_SEED=<n>` replays another run, `FUZZ_SEED=random`
// explores new inputs (a failure prints the seed that found it).
import fc from 'fast-check';

const DEFAULT_SEED = 20261203;

const chosen = process.env.FUZZ_SEED;
if (chosen !== 'random') {
  const seed = chosen === undefined || chosen === '' ? DEFAULT_SEED : Number(chosen);
  if (!Number.isInteger(seed))
    throw new Error(`FUZZ_SEED must be an integer or "random", got ${JSON.stringify(chosen)}`);
  fc.configureGlobal({ seed });
}

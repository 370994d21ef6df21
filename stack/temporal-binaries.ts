// Where scripts/install-temporal.sh puts the pinned Temporal binaries. Both sides read the same
// versions file so the cache path cannot drift between the installer and the code that runs it.
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const versionsFile = fileURLToPath(new URL('../scripts/temporal-versions.env', import.meta.url));

/** KEY=value lines of a versions file the install scripts `source` as well. */
export function pinnedVersions(file = versionsFile): Record<string, string> {
  const entries = readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => /^[A-Z_]+=/.test(line))
    .map((line) => line.split('=', 2) as [string, string]);
  return Object.fromEntries(entries);
}

export function cacheDir(): string {
  return process.env.LLM_ROLLOUT_CACHE ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'llm-rollout');
}

function installed(path: string): string {
  if (!existsSync(path)) {
    throw new Error(`Temporal binary missing at ${path}; run \`npm run setup\` (scripts/install-temporal.sh) first`);
  }
  return path;
}

/** The Temporal CLI (`temporal server start-dev` with the Web UI). */
export function temporalCliPath(): string {
  return installed(join(cacheDir(), `temporal-cli-${pinnedVersions().TEMPORAL_CLI_VERSION}`, 'bin', 'temporal'));
}

/** The time-skipping test server, for @temporalio/testing's `existing-path` executable. */
export function temporalTestServerPath(): string {
  const version = pinnedVersions().TEMPORAL_TEST_SERVER_VERSION;
  return installed(join(cacheDir(), `temporal-test-server-${version}`, 'bin', 'temporal-test-server'));
}

/** The Temporal server, its SQL schema tool and schema (scripts/setup-temporal-server.sh). */
export function temporalServerInstall(): { server: string; sqlTool: string; postgresSchemaDir: string } {
  const dir = join(cacheDir(), `temporal-server-${pinnedVersions().TEMPORAL_SERVER_VERSION}`);
  const built = (path: string) => {
    if (!existsSync(path))
      throw new Error(
        `Temporal server install missing at ${path}; run \`bash scripts/setup-temporal-server.sh\` first`,
      );
    return path;
  };
  return {
    server: built(join(dir, 'bin', 'temporal-server')),
    sqlTool: built(join(dir, 'bin', 'temporal-sql-tool')),
    postgresSchemaDir: built(join(dir, 'schema', 'postgresql', 'v12')),
  };
}

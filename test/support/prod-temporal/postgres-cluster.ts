// A throwaway PostgreSQL cluster (Debian's binaries) in a temp dir on a free loopback port, for the
// Temporal server's persistence. PostgreSQL refuses to run as root, so as root every command runs
// as the `postgres` system user the Debian package creates.
import { execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, startManagedProcess, type Probe } from '../../../stack/managed-process';

export interface PostgresCluster {
  host: string;
  port: number;
  /** Superuser, trusted on loopback (no password). */
  user: string;
  stop(): Promise<void>;
}

const HOST = '127.0.0.1';
const USER = 'temporal';

function postgresBinDir(): string {
  for (const dir of ['/usr/lib/postgresql'].filter(existsSync)) {
    const majors = readdirSync(dir).sort((a, b) => Number(b) - Number(a));
    for (const major of majors) if (existsSync(join(dir, major, 'bin', 'initdb'))) return join(dir, major, 'bin');
  }
  throw new Error(
    'PostgreSQL binaries not found in /usr/lib/postgresql/*/bin; run `bash scripts/setup-temporal-server.sh`',
  );
}

/** As root: run as `postgres`, and hand it the directories it writes. */
function asClusterUser(command: string, args: string[], ownedDirs: string[]): [string, string[]] {
  if (process.getuid?.() !== 0) return [command, args];
  const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
  const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
  for (const dir of ownedDirs) chownSync(dir, uid, gid);
  return ['runuser', ['-u', 'postgres', '--', command, ...args]];
}

/** pg_isready: the server accepts connections (TCP alone is open while it still recovers). */
function acceptingConnections(binDir: string, port: number): Probe {
  return {
    description: `pg_isready -h ${HOST} -p ${port}`,
    attempt: async () => {
      execFileSync(join(binDir, 'pg_isready'), ['-q', '-h', HOST, '-p', String(port)], { stdio: 'ignore' });
    },
  };
}

export async function startPostgresCluster(options: { dir: string; logDir: string }): Promise<PostgresCluster> {
  const binDir = postgresBinDir();
  const dataDir = join(options.dir, 'pgdata');
  const socketDir = join(options.dir, 'pgsocket');
  mkdirSync(dataDir, { recursive: true });
  mkdirSync(socketDir, { recursive: true });
  // The temp dir itself must be traversable by the cluster's user.
  const owned = [options.dir, dataDir, socketDir];
  const [initCommand, initArgs] = asClusterUser(
    join(binDir, 'initdb'),
    ['-D', dataDir, '-U', USER, '--auth=trust', '--encoding=UTF8', '--no-sync'],
    owned,
  );
  execFileSync(initCommand, initArgs, { stdio: 'pipe' });
  const port = await freePort();
  const [command, args] = asClusterUser(
    join(binDir, 'postgres'),
    ['-D', dataDir, '-p', String(port), '-k', socketDir, '-c', `listen_addresses=${HOST}`],
    owned,
  );
  const server = await startManagedProcess({
    name: 'postgres',
    command,
    args,
    logFile: join(options.logDir, 'postgres.log'),
    ready: [acceptingConnections(binDir, port)],
  });
  return { host: HOST, port, user: USER, stop: () => server.stop() };
}

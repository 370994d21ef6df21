// The Temporal server itself, as a production cluster runs it: PostgreSQL persistence (schema set
// up with temporal-sql-tool), mTLS on the frontend and between its services, a namespace and the
// rollout search attributes registered through the operator API. Restartable on the same database
// and ports, so a test can kill -9 it and bring it back.
import { Connection } from '@temporalio/client';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { msToTs } from '@temporalio/common/lib/time';
import { temporal } from '@temporalio/proto';
import { temporalServerInstall } from '../../../stack/temporal-binaries';
import { freePort, startManagedProcess, tcpProbe, type ManagedProcess } from '../../../stack/managed-process';
import { ROLLOUT_SEARCH_ATTRIBUTES } from '../../../workflows/search-attributes';
import { eventually } from '../eventually';
import type { PostgresCluster } from './postgres-cluster';
import type { TestCertificates } from './tls-certificates';

export interface TemporalServer {
  address: string;
  namespace: string;
  pid(): number;
  /** Starts it again on the same config, database and ports (after a kill or a stop). */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

const HOST = '127.0.0.1';
/** cluster_membership.rpc_port is a PostgreSQL smallint: membership ports must stay below 32768. */
const MEMBERSHIP_PORTS = { from: 20_000, to: 32_000 };
const SERVICES = ['frontend', 'history', 'matching', 'worker'] as const;

function sqlTool(postgres: PostgresCluster, database: string, args: string[]): void {
  const { sqlTool: command } = temporalServerInstall();
  const connection = [
    '--plugin',
    'postgres12',
    '--ep',
    postgres.host,
    '-p',
    String(postgres.port),
    '-u',
    postgres.user,
  ];
  execFileSync(command, [...connection, '--db', database, ...args], { stdio: 'pipe' });
}

/** Creates both databases at the schema version this server build expects. */
function setUpSchema(postgres: PostgresCluster): void {
  const { postgresSchemaDir } = temporalServerInstall();
  for (const [database, schema] of [
    ['temporal', 'temporal'],
    ['temporal_visibility', 'visibility'],
  ] as const) {
    sqlTool(postgres, database, ['create-database']);
    sqlTool(postgres, database, ['setup-schema', '-v', '0.0']);
    sqlTool(postgres, database, ['update-schema', '-d', join(postgresSchemaDir, schema, 'versioned')]);
  }
}

function serverConfig(
  postgres: PostgresCluster,
  certs: TestCertificates,
  ports: Record<(typeof SERVICES)[number], { grpc: number; membership: number }> & { http: number },
): string {
  const datastore = (database: string) => `
      sql:
        pluginName: postgres12
        databaseName: ${database}
        connectAddr: "${postgres.host}:${postgres.port}"
        connectProtocol: tcp
        user: ${postgres.user}
        maxConns: 10
        maxIdleConns: 10`;
  const tlsServer = `
        certFile: ${certs.serverCert}
        keyFile: ${certs.serverKey}
        requireClientAuth: true
        clientCaFiles: [${certs.caCert}]`;
  const tlsClient = `
        serverName: ${certs.serverName}
        rootCaFiles: [${certs.caCert}]`;
  const services = SERVICES.map(
    (service) => `
  ${service}:
    rpc:
      grpcPort: ${ports[service].grpc}
      membershipPort: ${ports[service].membership}
      bindOnIP: ${HOST}${service === 'frontend' ? `\n      httpPort: ${ports.http}` : ''}`,
  ).join('');
  return `log:
  stdout: true
  level: warn
persistence:
  defaultStore: default
  visibilityStore: visibility
  numHistoryShards: 4
  datastores:
    default:${datastore('temporal')}
    visibility:${datastore('temporal_visibility')}
global:
  membership:
    maxJoinDuration: 30s
    broadcastAddress: ${HOST}
  tls:
    internode:
      server:${tlsServer}
      client:${tlsClient}
    frontend:
      server:${tlsServer}
      client:${tlsClient}
    # The server's own system workers call the frontend too, so they need a client certificate.
    systemWorker:
      certFile: ${certs.serverCert}
      keyFile: ${certs.serverKey}
      client:${tlsClient}
services:${services}
clusterMetadata:
  enableGlobalNamespace: false
  failoverVersionIncrement: 10
  masterClusterName: active
  currentClusterName: active
  clusterInformation:
    active:
      enabled: true
      initialFailoverVersion: 1
      rpcName: frontend
      rpcAddress: "${HOST}:${ports.frontend.grpc}"
dcRedirectionPolicy:
  policy: noop
`;
}

/** A free loopback port in MEMBERSHIP_PORTS (the kernel's ephemeral range starts above it). */
async function membershipPort(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = MEMBERSHIP_PORTS.from + Math.floor(Math.random() * (MEMBERSHIP_PORTS.to - MEMBERSHIP_PORTS.from));
    const free = await new Promise<boolean>((resolve) => {
      const probe = createServer();
      probe.once('error', () => resolve(false));
      probe.listen(port, HOST, () => probe.close(() => resolve(true)));
    });
    if (free) return port;
  }
  throw new Error(`no free port between ${MEMBERSHIP_PORTS.from} and ${MEMBERSHIP_PORTS.to}`);
}

/** An operator's mTLS connection (the same client certificate the worker uses). */
function operatorConnection(address: string, certs: TestCertificates): Promise<Connection> {
  return Connection.connect({
    address,
    connectTimeout: '5s',
    tls: {
      serverNameOverride: certs.serverName,
      serverRootCACertificate: readFileSync(certs.caCert),
      clientCertPair: { crt: readFileSync(certs.clientCert), key: readFileSync(certs.clientKey) },
    },
  });
}

async function registerNamespace(address: string, namespace: string, certs: TestCertificates): Promise<void> {
  const connection = await eventually(
    'the Temporal frontend to accept an mTLS connection',
    () => operatorConnection(address, certs).catch(() => undefined),
    60_000,
  );
  try {
    await eventually(
      `namespace ${namespace} registered`,
      () =>
        connection.workflowService
          .registerNamespace({ namespace, workflowExecutionRetentionPeriod: msToTs('1 day') })
          .then(
            () => true,
            (error: Error) => error.message.includes('already exists') || undefined,
          ),
      60_000,
    );
    const keyword = temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD;
    await connection.operatorService.addSearchAttributes({
      namespace,
      searchAttributes: Object.fromEntries(ROLLOUT_SEARCH_ATTRIBUTES.map((key) => [key.name, keyword])),
    });
    // The frontend's namespace cache refreshes on a timer: wait until the namespace serves calls.
    await eventually(
      `namespace ${namespace} serving`,
      () =>
        connection.workflowService.countWorkflowExecutions({ namespace }).then(
          () => true,
          () => undefined,
        ),
      60_000,
    );
  } finally {
    await connection.close();
  }
}

export async function startTemporalServer(options: {
  dir: string;
  logDir: string;
  postgres: PostgresCluster;
  certs: TestCertificates;
  namespace: string;
}): Promise<TemporalServer> {
  const { server: command } = temporalServerInstall();
  setUpSchema(options.postgres);
  const ports = { http: await freePort() } as Parameters<typeof serverConfig>[2];
  for (const service of SERVICES) ports[service] = { grpc: await freePort(), membership: await membershipPort() };
  const configFile = join(options.dir, 'temporal-server.yaml');
  writeFileSync(configFile, serverConfig(options.postgres, options.certs, ports));
  const address = `${HOST}:${ports.frontend.grpc}`;

  const start = () =>
    startManagedProcess({
      name: 'temporal server',
      command,
      args: ['--config-file', configFile, '--allow-no-auth', 'start'],
      logFile: join(options.logDir, 'temporal-server.log'),
      readyTimeoutMs: 60_000,
      ready: [tcpProbe(HOST, ports.frontend.grpc)],
    });
  let running: ManagedProcess = await start();
  await registerNamespace(address, options.namespace, options.certs);
  return {
    address,
    namespace: options.namespace,
    pid: () => running.pid,
    async restart() {
      running = await start();
    },
    stop: () => running.stop(),
  };
}

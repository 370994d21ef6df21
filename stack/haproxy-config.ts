// haproxy.cfg for one HTTP frontend on loopback in front of one weighted round-robin backend,
// with the runtime API on a unix socket at admin level (what HaproxyRouter needs to move weights),
// and optionally HAProxy's built-in Prometheus exporter on its own port (what the series judge reads).
export interface HaproxyServer {
  /** Server name within the backend, as the runtime API addresses it (`<backend>/<name>`). */
  name: string;
  host: string;
  port: number;
  /** Initial weight, 0–256 (0 takes the server out of rotation). */
  weight: number;
}

export interface HaproxyConfigInput {
  /** Frontend listen address. */
  host: string;
  port: number;
  backendName: string;
  servers: HaproxyServer[];
  /** Runtime API socket path (`stats socket … level admin`). */
  statsSocket: string;
  /** Seconds between health checks; omit for none (a server is then always up unless in maintenance). */
  healthCheckIntervalMs?: number;
  /** Upstream response timeout; LLM answers can take a while. */
  serverTimeoutMs?: number;
  /** Port of a frontend serving HAProxy's own Prometheus exporter at /metrics (same host); none when omitted. */
  metricsPort?: number;
}

// Names go into the config file and into runtime API commands: keep them to plain identifiers.
const NAME = /^[A-Za-z0-9_.-]{1,64}$/;

export function buildHaproxyConfig(input: HaproxyConfigInput): string {
  const problems: string[] = [];
  if (!NAME.test(input.backendName))
    problems.push(`backend name ${JSON.stringify(input.backendName)} must match ${NAME}`);
  if (input.servers.length === 0) problems.push('at least one server is required');
  const seen = new Set<string>();
  for (const server of input.servers) {
    if (!NAME.test(server.name)) problems.push(`server name ${JSON.stringify(server.name)} must match ${NAME}`);
    if (seen.has(server.name)) problems.push(`server name ${JSON.stringify(server.name)} is used twice`);
    seen.add(server.name);
    if (!Number.isInteger(server.weight) || server.weight < 0 || server.weight > 256)
      problems.push(`server ${server.name}: weight must be a whole number 0–256, got ${server.weight}`);
    if (!Number.isInteger(server.port) || server.port < 1 || server.port > 65_535)
      problems.push(`server ${server.name}: invalid port ${server.port}`);
    if (!/^[A-Za-z0-9.:-]+$/.test(server.host))
      problems.push(`server ${server.name}: invalid host ${JSON.stringify(server.host)}`);
  }
  // sun_path is 108 bytes including the terminating NUL.
  if (Buffer.byteLength(input.statsSocket) > 107)
    problems.push(
      `stats socket path is too long for a unix socket (${Buffer.byteLength(input.statsSocket)} bytes, at most 107): ${input.statsSocket}`,
    );
  if (/\s/.test(input.statsSocket))
    problems.push(`stats socket path must not contain whitespace: ${JSON.stringify(input.statsSocket)}`);
  if (
    input.metricsPort !== undefined &&
    (!Number.isInteger(input.metricsPort) ||
      input.metricsPort < 1 ||
      input.metricsPort > 65_535 ||
      input.metricsPort === input.port)
  ) {
    problems.push(`invalid metrics port ${input.metricsPort}`);
  }
  if (problems.length > 0)
    throw new Error(`invalid HAProxy configuration:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`);

  const check =
    input.healthCheckIntervalMs === undefined ? '' : ` check inter ${input.healthCheckIntervalMs}ms fall 2 rise 1`;
  const hostOf = (host: string) => (host.includes(':') ? `[${host}]` : host);
  return [
    'global',
    // One thread is plenty on loopback and keeps the embedded stack light.
    '  nbthread 1',
    `  stats socket ${input.statsSocket} mode 600 level admin`,
    '  stats timeout 30s',
    '',
    'defaults',
    '  mode http',
    '  option http-keep-alive',
    '  timeout connect 2s',
    '  timeout client 60s',
    `  timeout server ${input.serverTimeoutMs ?? 300_000}ms`,
    '  timeout http-request 10s',
    '',
    'frontend llm',
    `  bind ${hostOf(input.host)}:${input.port}`,
    `  default_backend ${input.backendName}`,
    '',
    ...(input.metricsPort === undefined
      ? []
      : [
          'frontend prometheus',
          `  bind ${hostOf(input.host)}:${input.metricsPort}`,
          '  http-request use-service prometheus-exporter if { path /metrics }',
          '  no log',
          '',
        ]),
    `backend ${input.backendName}`,
    '  balance roundrobin',
    ...input.servers.map(
      (server) => `  server ${server.name} ${hostOf(server.host)}:${server.port} weight ${server.weight}${check}`,
    ),
    '',
  ].join('\n');
}

// docker-compose.yml, checked offline (no container engine here): Debian's docker-compose validates
// it (`config -q`), and its resolved form (`config`) is read to check that every file it mounts is
// in the repository and that the Prometheus, alert-rule, Alertmanager and Grafana files it mounts
// are the ones the tests load (test/support/deploy-files.ts), wired to the right services.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { buildAlertmanagerConfig } from '../../stack/alertmanager-config';
import { DEFAULT_GROUP_TIMINGS } from '../../stack/alertmanager';
import { buildPrometheusConfig } from '../../stack/prometheus-config';
import { ROLLOUT_SEARCH_ATTRIBUTES } from '../../workflows/search-attributes';
import {
  ALERT_RULES_FILE,
  ALERTMANAGER_CONFIG_FILE,
  DASHBOARD_FILE,
  PROMETHEUS_CONFIG_FILE,
  REPO_ROOT,
} from '../support/deploy-files';

const run = promisify(execFile);
const COMPOSE_FILE = join(REPO_ROOT, 'docker-compose.yml');
const ENV_EXAMPLE = join(REPO_ROOT, 'docker/compose.env.example');

interface Mount {
  source: string;
  target: string;
  bind: boolean;
}
interface Service {
  image?: string;
  build?: { context: string; dockerfile?: string };
  command?: string[];
  entrypoint?: string[];
  environment?: Record<string, string>;
  volumes?: Array<string | { type: string; source: string; target: string }>;
  secrets?: Array<string | { source: string; target?: string }>;
  depends_on?: Record<string, { condition: string }> | string[];
}
interface ComposeConfig {
  services: Record<string, Service>;
  secrets?: Record<string, { file: string }>;
  volumes?: Record<string, unknown>;
}

let dir: string;
let envFile: string;

/** docker-compose with only PATH and HOME: nothing from the caller's environment is interpolated. */
async function compose(args: string[], file = COMPOSE_FILE) {
  return run('docker-compose', ['--project-directory', REPO_ROOT, '-f', file, ...args], {
    cwd: REPO_ROOT,
    env: { PATH: process.env.PATH, HOME: dir },
    maxBuffer: 16 * 1024 * 1024,
  });
}

async function resolvedConfig(file = COMPOSE_FILE): Promise<ComposeConfig> {
  const { stdout } = await compose(['--env-file', envFile, 'config'], file);
  return parse(stdout) as ComposeConfig;
}

function mounts(service: Service): Mount[] {
  return (service.volumes ?? []).map((volume) => {
    if (typeof volume !== 'string') {
      return { source: volume.source, target: volume.target, bind: volume.type === 'bind' };
    }
    const [source = '', target = ''] = volume.split(':');
    return { source, target, bind: source.startsWith('/') || source.startsWith('.') };
  });
}

function mountOf(service: Service, target: string): Mount {
  const mount = mounts(service).find((m) => m.target === target);
  if (!mount) throw new Error(`nothing mounted at ${target}`);
  return mount;
}

/** The value of a `--name=value` flag in a service's command. */
function flag(service: Service, name: string): string | undefined {
  const args = service.command ?? [];
  const inline = args.find((arg) => arg.startsWith(`--${name}=`));
  if (inline) return inline.slice(name.length + 3);
  const at = args.indexOf(`--${name}`);
  return at >= 0 ? args[at + 1] : undefined;
}

/** Problems with what a resolved compose config mounts and builds from the repository. */
function repositoryFileProblems(config: ComposeConfig): string[] {
  const problems: string[] = [];
  const inRepo = (path: string) => !relative(REPO_ROOT, path).startsWith('..');
  for (const [name, service] of Object.entries(config.services)) {
    for (const mount of mounts(service)) {
      if (!mount.bind) {
        if (!(mount.source in (config.volumes ?? {}))) problems.push(`${name}: undeclared volume ${mount.source}`);
        continue;
      }
      if (!inRepo(mount.source)) problems.push(`${name}: mounts ${mount.source}, outside the repository`);
      else if (!existsSync(mount.source)) problems.push(`${name}: mounts ${mount.source}, which does not exist`);
    }
    if (service.build) {
      const dockerfile = resolve(service.build.context, service.build.dockerfile ?? 'Dockerfile');
      if (!existsSync(dockerfile)) problems.push(`${name}: builds from ${dockerfile}, which does not exist`);
    }
    const dependsOn = Array.isArray(service.depends_on) ? service.depends_on : Object.keys(service.depends_on ?? {});
    for (const other of dependsOn) {
      if (!config.services[other]) problems.push(`${name}: depends on ${other}, which is no service`);
    }
  }
  return problems;
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'compose-test-'));
  // The example with a placeholder for every value it leaves empty (all of them required).
  envFile = join(dir, 'compose.env');
  writeFileSync(
    envFile,
    readFileSync(ENV_EXAMPLE, 'utf8').replace(/^([A-Z_]+)=$/gm, (_, name: string) => `${name}=placeholder-${name}`),
  );
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('docker-compose.yml', () => {
  it('passes docker-compose config -q with the example settings filled in', async () => {
    await expect(compose(['--env-file', envFile, 'config', '-q'])).resolves.toBeDefined();
  });

  it('refuses to resolve without the required secrets, and the example names each of them', async () => {
    const text = readFileSync(COMPOSE_FILE, 'utf8');
    const required = [...new Set([...text.matchAll(/\$\{([A-Z_]+):\?/g)].map((m) => m[1]))];
    expect(required).toEqual(expect.arrayContaining(['POSTGRES_PASSWORD', 'SLACK_BOT_TOKEN']));
    const example = readFileSync(ENV_EXAMPLE, 'utf8');
    for (const name of required) expect(example, `${name} in ${ENV_EXAMPLE}`).toMatch(new RegExp(`^${name}=$`, 'm'));
    const failed = await compose(['--env-file', ENV_EXAMPLE, 'config', '-q']).then(
      () => null,
      (error: { stderr: string }) => error,
    );
    expect(failed?.stderr).toMatch(/Missing mandatory value/);
  });

  it('fails docker-compose config -q on a broken file (the check can fail)', async () => {
    const broken = join(dir, 'broken.yml');
    writeFileSync(
      broken,
      readFileSync(COMPOSE_FILE, 'utf8').replace('restart: unless-stopped', 'restart: [not, a, policy]'),
    );
    await expect(compose(['--env-file', envFile, 'config', '-q'], broken)).rejects.toMatchObject({
      stderr: expect.stringMatching(/restart/),
    });
  });

  it('mounts and builds only files that are in the repository', async () => {
    const config = await resolvedConfig();
    expect(repositoryFileProblems(config)).toEqual([]);
    for (const [name, { file }] of Object.entries(config.secrets ?? {})) {
      // Secrets are the operator's, outside version control: only their default place is checked.
      expect(relative(REPO_ROOT, file), name).toMatch(/^secrets\//);
    }
    // The checker itself: a mount of a missing file, an outside one, and a dangling depends_on.
    const mutated = structuredClone(config);
    mutated.services.prometheus!.volumes!.push(`${join(REPO_ROOT, 'docker/no-such.yml')}:/x.yml:ro`, '/etc:/y:ro');
    mutated.services.grafana!.depends_on = { nothing: { condition: 'service_started' } };
    expect(repositoryFileProblems(mutated)).toEqual([
      `grafana: depends on nothing, which is no service`,
      `prometheus: mounts ${join(REPO_ROOT, 'docker/no-such.yml')}, which does not exist`,
      'prometheus: mounts /etc, outside the repository',
    ]);
  });

  it('runs the services the deployment needs', async () => {
    const { services } = await resolvedConfig();
    expect(Object.keys(services).sort()).toEqual(
      expect.arrayContaining([
        'alertmanager',
        'gateway',
        'grafana',
        'incidents',
        'postgresql',
        'prometheus',
        'slack-bot',
        'temporal',
        'temporal-ui',
        'worker',
      ]),
    );
    expect(services.temporal!.environment).toMatchObject({ DB: 'postgres12', POSTGRES_SEEDS: 'postgresql' });
    for (const name of ['gateway', 'worker', 'slack-bot', 'incidents']) {
      expect(services[name]!.build?.context, name).toBe(REPO_ROOT.replace(/\/$/, ''));
      expect(services[name]!.command?.slice(0, 3), name).toEqual(['npm', 'run', name]);
    }
    for (const name of ['worker', 'slack-bot', 'incidents']) {
      expect(services[name]!.environment?.TEMPORAL_ADDRESS, name).toBe('temporal:7233');
    }
    const registered = services['temporal-setup']!.environment!.ROLLOUT_SEARCH_ATTRIBUTES!.split(/\s+/);
    expect(registered.sort()).toEqual(ROLLOUT_SEARCH_ATTRIBUTES.map((key) => key.name).sort());
  });

  it('gives Prometheus the alert rules the incident test runs, and the config the tests generate', async () => {
    const { services } = await resolvedConfig();
    const prometheus = services.prometheus!;
    const configPath = flag(prometheus, 'config.file')!;
    expect(mountOf(prometheus, configPath).source).toBe(PROMETHEUS_CONFIG_FILE);
    const deployed = parse(readFileSync(PROMETHEUS_CONFIG_FILE, 'utf8')) as { rule_files: string[] };
    expect(deployed.rule_files).toHaveLength(1);
    expect(mountOf(prometheus, deployed.rule_files[0]!).source).toBe(ALERT_RULES_FILE);

    const adminPort = flag(services.gateway!, 'admin-port');
    const alertmanagerPort = (flag(services.alertmanager!, 'web.listen-address') ?? ':9093').split(':').pop();
    const expected = buildPrometheusConfig({
      scrapeIntervalSeconds: 1,
      targets: [
        { job: 'llm-gateway', target: `gateway:${adminPort}` },
        { job: 'temporal', target: `temporal:${services.temporal!.environment!.PROMETHEUS_ENDPOINT!.split(':')[1]}` },
      ],
      ruleFiles: deployed.rule_files,
      alertmanagerUrl: `http://alertmanager:${alertmanagerPort}`,
    });
    expect(deployed).toEqual(parse(expected));

    const rules = await run('promtool', ['check', 'rules', ALERT_RULES_FILE]);
    expect(rules.stdout).toContain('SUCCESS: 1 rules found');
    // The deployed config itself, with its rules path pointed at the repository's file.
    const local = join(dir, 'prometheus.yml');
    writeFileSync(
      local,
      readFileSync(PROMETHEUS_CONFIG_FILE, 'utf8').replace(deployed.rule_files[0]!, ALERT_RULES_FILE),
    );
    await expect(run('promtool', ['check', 'config', local])).resolves.toBeDefined();
  });

  it('wires Alertmanager to the incident receiver with the tests’ settings and a shared token file', async () => {
    const { services, secrets } = await resolvedConfig();
    const alertmanager = services.alertmanager!;
    const incidents = services.incidents!;
    expect(mountOf(alertmanager, flag(alertmanager, 'config.file')!).source).toBe(ALERTMANAGER_CONFIG_FILE);

    const env = incidents.environment!;
    const tokenFile = env.INCIDENTS_TOKEN_FILE!;
    const secretName = tokenFile.replace('/run/secrets/', '');
    const secretNames = (service: Service) =>
      (service.secrets ?? []).map((s) => (typeof s === 'string' ? s : s.source));
    expect(secretNames(incidents)).toContain(secretName);
    expect(secretNames(alertmanager)).toContain(secretName);
    expect(secrets?.[secretName]).toBeDefined();

    const deployed: unknown = parse(readFileSync(ALERTMANAGER_CONFIG_FILE, 'utf8'));
    const expected = buildAlertmanagerConfig({
      webhookUrl: `http://incidents:${env.INCIDENTS_PORT}${env.INCIDENTS_PATH}`,
      webhookBearerTokenFile: tokenFile,
      // As test/integration/incident-rollback.test.ts: one notification per alert and rollout.
      groupBy: ['alertname', 'rollout_id'],
      ...DEFAULT_GROUP_TIMINGS,
    });
    expect(deployed).toEqual(parse(expected));
    expect(env.INCIDENTS_HOST).toBe('0.0.0.0');

    const check = await run('amtool', ['check-config', ALERTMANAGER_CONFIG_FILE]);
    expect(check.stdout).toContain('SUCCESS');
  });

  it('provisions Grafana with the stack’s Prometheus and the dashboard the dashboard test runs', async () => {
    const { services } = await resolvedConfig();
    const grafana = services.grafana!;
    const provisioned = (kind: string) => {
      const mount = mounts(grafana).find((m) => m.target.startsWith(`/etc/grafana/provisioning/${kind}/`));
      if (!mount) throw new Error(`no ${kind} provisioning mounted`);
      return parse(readFileSync(mount.source, 'utf8')) as Record<string, Array<Record<string, unknown>>>;
    };
    const [datasource] = provisioned('datasources').datasources!;
    expect(datasource).toMatchObject({ type: 'prometheus', url: 'http://prometheus:9090', isDefault: true });
    expect(flag(services.prometheus!, 'web.listen-address')).toBe(':9090');

    const [provider] = provisioned('dashboards').providers!;
    const path = (provider!.options as { path: string }).path;
    const dashboards = mountOf(grafana, path).source;
    expect(statSync(dashboards).isDirectory()).toBe(true);
    expect(dirname(DASHBOARD_FILE)).toBe(dashboards);
  });
});

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectTemporal, TemporalUnreachableError } from '../../client/connection';
import { describeTemporal, temporalConfig, TemporalConfigError } from '../../client/temporal-config';
import { freePort } from '../../stack/free-port';

const API_KEY = 'tmprl-secret-key-0123456789abcdef';
const CA = '-----BEGIN CERTIFICATE-----\nca\n-----END CERTIFICATE-----\n';
const CERT = '-----BEGIN CERTIFICATE-----\nclient\n-----END CERTIFICATE-----\n';
const KEY = '-----BEGIN PRIVATE KEY-----\nkey\n-----END PRIVATE KEY-----\n';

let dir: string;
/** HOME in a temp dir, so the developer's own ~/.config/temporalio/temporal.toml is never read. */
let home: NodeJS.ProcessEnv;

async function write(name: string, text: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, text);
  return path;
}

function configError(env: NodeJS.ProcessEnv): TemporalConfigError {
  try {
    temporalConfig({ ...home, ...env });
  } catch (error) {
    expect(error).toBeInstanceOf(TemporalConfigError);
    return error as TemporalConfigError;
  }
  throw new Error('temporalConfig accepted the configuration');
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'temporal-config-'));
  home = { HOME: dir };
  await write('ca.pem', CA);
  await write('client.pem', CERT);
  await write('client.key', KEY);
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('temporalConfig', () => {
  it('falls back to the local embedded defaults, in plaintext, when nothing is configured', () => {
    expect(temporalConfig(home)).toEqual({
      address: '127.0.0.1:7233',
      namespace: 'default',
      taskQueue: 'llm-rollout',
      uiUrl: undefined,
    });
  });

  it('takes address, namespace and mTLS files from Temporal environment variables', () => {
    const config = temporalConfig({
      ...home,
      TEMPORAL_ADDRESS: 'temporal.example:7233',
      TEMPORAL_NAMESPACE: 'releases',
      TEMPORAL_TLS_SERVER_CA_CERT_PATH: join(dir, 'ca.pem'),
      TEMPORAL_TLS_CLIENT_CERT_PATH: join(dir, 'client.pem'),
      TEMPORAL_TLS_CLIENT_KEY_PATH: join(dir, 'client.key'),
      TEMPORAL_TLS_SERVER_NAME: 'frontend.internal',
      ROLLOUT_TASK_QUEUE: 'rollouts-eu',
    });
    expect(config).toMatchObject({ address: 'temporal.example:7233', namespace: 'releases', taskQueue: 'rollouts-eu' });
    expect(config.tls).toMatchObject({ serverNameOverride: 'frontend.internal' });
    const tls = config.tls as {
      serverRootCACertificate: Uint8Array;
      clientCertPair: { crt: Uint8Array; key: Uint8Array };
    };
    expect(Buffer.from(tls.serverRootCACertificate).toString()).toBe(CA);
    expect(Buffer.from(tls.clientCertPair.crt).toString()).toBe(CERT);
    expect(Buffer.from(tls.clientCertPair.key).toString()).toBe(KEY);
    expect(describeTemporal(config)).toBe('temporal.example:7233 (namespace releases, mTLS)');
  });

  it('turns TLS on for an API key, as Temporal Cloud requires, and never describes the key', () => {
    const config = temporalConfig({
      ...home,
      TEMPORAL_ADDRESS: 'eu.aws.api.temporal.io:7233',
      TEMPORAL_API_KEY: API_KEY,
    });
    expect(config.apiKey).toBe(API_KEY);
    expect(config.tls).toBe(true);
    expect(describeTemporal(config)).toBe('eu.aws.api.temporal.io:7233 (namespace default, TLS + API key)');
  });

  it('reads a named profile from TEMPORAL_CONFIG_FILE, environment variables overriding it', async () => {
    const file = await write(
      'temporal.toml',
      `[profile.default]
address = "localhost:7233"

[profile.prod]
address = "prod.tmprl.cloud:7233"
namespace = "prod.acct"
[profile.prod.tls]
client_cert_path = "${join(dir, 'client.pem')}"
client_key_path = "${join(dir, 'client.key')}"
`,
    );
    const prod = temporalConfig({ ...home, TEMPORAL_CONFIG_FILE: file, TEMPORAL_PROFILE: 'prod' });
    expect(prod).toMatchObject({ address: 'prod.tmprl.cloud:7233', namespace: 'prod.acct' });
    expect(describeTemporal(prod)).toContain('mTLS');
    const overridden = temporalConfig({
      ...home,
      TEMPORAL_CONFIG_FILE: file,
      TEMPORAL_PROFILE: 'prod',
      TEMPORAL_NAMESPACE: 'staging.acct',
    });
    expect(overridden.namespace).toBe('staging.acct');
    expect(temporalConfig({ ...home, TEMPORAL_CONFIG_FILE: file }).address).toBe('localhost:7233');
    expect(
      temporalConfig({ ...home, TEMPORAL_CONFIG_FILE: file, TEMPORAL_PROFILE: 'prod', TEMPORAL_TLS: 'false' }).tls,
    ).toBe(false);
  });

  it('names the missing certificate file and the setting that named it', () => {
    const missing = join(dir, 'nope', 'client.pem');
    const error = configError({
      TEMPORAL_TLS_CLIENT_CERT_PATH: missing,
      TEMPORAL_TLS_CLIENT_KEY_PATH: join(dir, 'client.key'),
    });
    expect(error.message).toContain(missing);
    expect(error.message).toContain('TEMPORAL_TLS_CLIENT_CERT_PATH');
    expect(error.message).toContain('does not exist');
  });

  it('refuses an unreadable or non-PEM key without quoting it', async () => {
    const notPem = await write('garbage.key', 'hunter2-not-a-key');
    const error = configError({
      TEMPORAL_TLS_CLIENT_CERT_PATH: join(dir, 'client.pem'),
      TEMPORAL_TLS_CLIENT_KEY_PATH: notPem,
    });
    expect(error.message).toContain(notPem);
    expect(error.message).toContain('not PEM');
    expect(error.message).not.toContain('hunter2');
    // A directory stands in for an unreadable file: root can read any mode-000 file.
    const unreadable = configError({
      TEMPORAL_TLS_CLIENT_CERT_PATH: join(dir, 'client.pem'),
      TEMPORAL_TLS_CLIENT_KEY_PATH: dir,
    });
    expect(unreadable.message).toMatch(new RegExp(`client key file ${dir} .*cannot be read \\(EISDIR\\)`));
  });

  it('refuses a client certificate without its key', () => {
    expect(configError({ TEMPORAL_TLS_CLIENT_CERT_PATH: join(dir, 'client.pem') }).message).toContain(
      'needs both a client certificate and its key',
    );
  });

  it('refuses a named config file that does not exist, an unknown profile, and bad TOML without echoing it', async () => {
    const missing = join(dir, 'missing.toml');
    expect(configError({ TEMPORAL_CONFIG_FILE: missing }).message).toContain(missing);
    const file = await write('one.toml', '[profile.default]\naddress = "localhost:7233"\n');
    const unknown = configError({ TEMPORAL_CONFIG_FILE: file, TEMPORAL_PROFILE: 'prod' });
    expect(unknown.message).toContain(file);
    expect(unknown.message).toContain("'prod' not found");
    const broken = await write('broken.toml', `[profile.default]\napi_key = "${API_KEY}\n`);
    const syntax = configError({ TEMPORAL_CONFIG_FILE: broken });
    expect(syntax.message).toMatch(/invalid TOML at line 2, column \d+/);
    expect(syntax.message).not.toContain(API_KEY);
  });
});

describe('connectTemporal', () => {
  it('reports an unreachable Temporal with where and how, never the API key', async () => {
    const port = await freePort();
    const config = { ...temporalConfig({ ...home, TEMPORAL_ADDRESS: `127.0.0.1:${port}`, TEMPORAL_API_KEY: API_KEY }) };
    const error = await connectTemporal(config).then(
      () => null,
      (failure: unknown) => failure,
    );
    expect(error).toBeInstanceOf(TemporalUnreachableError);
    expect((error as Error).message).toContain(`127.0.0.1:${port} (namespace default, TLS + API key)`);
    expect((error as Error).message).not.toContain(API_KEY);
  });
});

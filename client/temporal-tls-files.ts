// The TLS files a Temporal profile names, read once and checked here so a bad one is reported by
// its path and the setting that named it (the SDK would throw a bare ENOENT, or fail the
// handshake later with no file named). Key contents never appear in a message.
import type { ClientConfigProfile, ConfigDataSource } from '@temporalio/envconfig';
import { readFileSync } from 'node:fs';

/** The Temporal settings are unusable: each process reports this as one line, without a stack. */
export class TemporalConfigError extends Error {
  override name = 'TemporalConfigError';
}

const TLS_FILES = {
  serverCACert: {
    what: 'server CA certificate',
    setting: 'TEMPORAL_TLS_SERVER_CA_CERT_PATH / tls.server_ca_cert_path',
  },
  clientCert: { what: 'client certificate', setting: 'TEMPORAL_TLS_CLIENT_CERT_PATH / tls.client_cert_path' },
  clientKey: { what: 'client key', setting: 'TEMPORAL_TLS_CLIENT_KEY_PATH / tls.client_key_path' },
} as const;

/** The profile with every TLS file replaced by its checked contents. */
export function readableTlsFiles(profile: ClientConfigProfile): ClientConfigProfile {
  const tls = profile.tls;
  if (tls === undefined || tls.disabled === true) return profile;
  if ((tls.clientCert === undefined) !== (tls.clientKey === undefined))
    throw new TemporalConfigError(
      `Temporal mTLS needs both a client certificate and its key; only the ${tls.clientCert ? 'certificate' : 'key'} is set (TEMPORAL_TLS_CLIENT_CERT_PATH and TEMPORAL_TLS_CLIENT_KEY_PATH, or the profile's tls.client_cert_path and tls.client_key_path)`,
    );
  const checked = { ...tls };
  for (const field of Object.keys(TLS_FILES) as (keyof typeof TLS_FILES)[]) {
    const source = tls[field];
    if (source !== undefined) checked[field] = { data: pemContents(source, TLS_FILES[field]) };
  }
  return { ...profile, tls: checked };
}

function pemContents(source: ConfigDataSource, file: { what: string; setting: string }): string {
  let text: string;
  let origin: string;
  if ('path' in source) {
    origin = `${source.path} (${file.setting})`;
    try {
      text = readFileSync(source.path, 'utf8');
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      const reason = code === 'ENOENT' ? 'does not exist' : `cannot be read (${code ?? (error as Error).message})`;
      throw new TemporalConfigError(`the Temporal TLS ${file.what} file ${origin} ${reason}`);
    }
  } else {
    origin = `given inline (${file.setting.replaceAll('_PATH', '_DATA').replaceAll('_path', '_data')})`;
    text = typeof source.data === 'string' ? source.data : Buffer.from(source.data).toString('utf8');
  }
  if (!text.includes('-----BEGIN '))
    throw new TemporalConfigError(`the Temporal TLS ${file.what} ${origin} is not PEM (no -----BEGIN line)`);
  return text;
}

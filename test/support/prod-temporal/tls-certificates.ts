// A private CA, a server certificate for the Temporal frontend (and internode traffic) and a client
// certificate for mTLS, made with openssl in a temp dir, as an operator would make them.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface TestCertificates {
  caCert: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
  /** The name in the server certificate (clients set it as the TLS server name). */
  serverName: string;
}

const SERVER_NAME = 'temporal.rollout.test';

function openssl(args: string[]): void {
  execFileSync('openssl', args, { stdio: 'pipe' });
}

function issue(dir: string, name: string, subject: string, extensions: string, ca: { cert: string; key: string }) {
  const key = join(dir, `${name}.key`);
  const csr = join(dir, `${name}.csr`);
  const cert = join(dir, `${name}.pem`);
  const ext = join(dir, `${name}.ext`);
  writeFileSync(ext, extensions);
  openssl(['req', '-new', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', csr, '-subj', subject]);
  openssl([
    'x509',
    '-req',
    '-in',
    csr,
    '-CA',
    ca.cert,
    '-CAkey',
    ca.key,
    '-CAcreateserial',
    '-days',
    '2',
    '-extfile',
    ext,
    '-out',
    cert,
  ]);
  return { cert, key };
}

export function makeTestCertificates(dir: string): TestCertificates {
  const caKey = join(dir, 'ca.key');
  const caCert = join(dir, 'ca.pem');
  openssl([
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-days',
    '2',
    '-keyout',
    caKey,
    '-out',
    caCert,
    '-subj',
    '/CN=llm-rollout test CA',
  ]);
  return { caCert, ...certificatesSignedBy(dir, { cert: caCert, key: caKey }) };
}

function certificatesSignedBy(dir: string, ca: { cert: string; key: string }) {
  // The server certificate is also the internode client's and the system worker's identity, so it
  // carries both usages.
  const server = issue(
    dir,
    'server',
    `/CN=${SERVER_NAME}`,
    `subjectAltName=DNS:${SERVER_NAME},IP:127.0.0.1\nextendedKeyUsage=serverAuth,clientAuth\n`,
    ca,
  );
  const client = issue(dir, 'client', '/CN=rollout-worker', 'extendedKeyUsage=clientAuth\n', ca);
  return {
    serverCert: server.cert,
    serverKey: server.key,
    clientCert: client.cert,
    clientKey: client.key,
    serverName: SERVER_NAME,
  };
}

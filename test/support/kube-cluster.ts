// A real Kubernetes API server for the Gateway API and Istio router tests: Debian's etcd and the
// apiextensions API server built by scripts/setup-kube.sh (test/support/kube-apiserver), both on
// loopback, with the official CRDs installed from the Go module cache (HTTPRoute from
// sigs.k8s.io/gateway-api, VirtualService and DestinationRule from istio.io/api). The API server
// validates every write with the CRDs' OpenAPI schemas and CEL rules. No data plane acts on the
// objects: the tests read them back.
import { ApiextensionsV1Api, CustomObjectsApi, KubeConfig, loadAllYaml } from '@kubernetes/client-node';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, startManagedProcess, tcpProbe, type ManagedProcess } from '../../stack/managed-process';
import { cacheDir, pinnedVersions } from '../../stack/temporal-binaries';

const versions = pinnedVersions(fileURLToPath(new URL('../../scripts/kube-versions.env', import.meta.url)));
const sourceDir = fileURLToPath(new URL('./kube-apiserver', import.meta.url));

/** The binary scripts/setup-kube.sh builds, keyed like it by version and source hash. */
export function kubeApiServerPath(): string {
  const hash = createHash('sha256');
  for (const file of ['main.go', 'go.mod', 'go.sum']) hash.update(readFileSync(join(sourceDir, file)));
  const path = join(
    cacheDir(),
    `kube-apiserver-${versions.KUBE_APISERVER_VERSION}-${hash.digest('hex').slice(0, 12)}`,
    'bin',
    'kube-apiserver',
  );
  if (!existsSync(path))
    throw new Error(`test API server missing at ${path}; run \`bash scripts/setup-kube.sh\` first`);
  return path;
}

function moduleDir(module: string, version: string | undefined): string {
  const root = execFileSync('go', ['env', 'GOMODCACHE'], { encoding: 'utf8' }).trim();
  const dir = join(root, `${module}@${version}`);
  if (!existsSync(dir))
    throw new Error(`${module}@${version} is not in the Go module cache; run \`bash scripts/setup-kube.sh\``);
  return dir;
}

/** The official CRDs the routers' objects need, read from the module cache (never copied into the project). */
export function officialCrds(): object[] {
  const gatewayApi = moduleDir('sigs.k8s.io/gateway-api', versions.GATEWAY_API_VERSION);
  const istio = moduleDir('istio.io/api', versions.ISTIO_API_VERSION);
  const httpRoute = loadAllYaml(
    readFileSync(join(gatewayApi, 'config/crd/standard/gateway.networking.k8s.io_httproutes.yaml'), 'utf8'),
  );
  const istioCrds = loadAllYaml(readFileSync(join(istio, 'kubernetes/customresourcedefinitions.gen.yaml'), 'utf8'));
  const wanted = new Set(['virtualservices.networking.istio.io', 'destinationrules.networking.istio.io']);
  return [
    ...httpRoute,
    ...istioCrds.filter((crd: { metadata?: { name?: string } } | null) => wanted.has(crd?.metadata?.name ?? '')),
  ].filter(Boolean) as object[];
}

export interface KubeCluster {
  /** A kubeconfig file for the cluster (context "test"), for `router.kubeconfig` in a plan. */
  kubeconfig: string;
  config: KubeConfig;
  objects: CustomObjectsApi;
  stop(): Promise<void>;
}

export async function startKubeCluster(dir: string): Promise<KubeCluster> {
  mkdirSync(dir, { recursive: true });
  const [etcdPort, peerPort, apiPort] = [await freePort(), await freePort(), await freePort()];
  const processes: ManagedProcess[] = [];
  const stop = async () => {
    for (const process of processes.reverse()) await process.stop();
  };
  try {
    processes.push(
      await startManagedProcess({
        name: 'etcd',
        command: 'etcd',
        args: [
          '--data-dir',
          join(dir, 'etcd'),
          '--listen-client-urls',
          `http://127.0.0.1:${etcdPort}`,
          '--advertise-client-urls',
          `http://127.0.0.1:${etcdPort}`,
          '--listen-peer-urls',
          `http://127.0.0.1:${peerPort}`,
          '--initial-advertise-peer-urls',
          `http://127.0.0.1:${peerPort}`,
          '--initial-cluster',
          `default=http://127.0.0.1:${peerPort}`,
        ],
        logFile: join(dir, 'etcd.log'),
        ready: [tcpProbe('127.0.0.1', etcdPort)],
      }),
    );
    const certDir = join(dir, 'certs');
    processes.push(
      await startManagedProcess({
        name: 'kube-apiserver',
        command: kubeApiServerPath(),
        args: [
          '--etcd-servers',
          `http://127.0.0.1:${etcdPort}`,
          '--secure-port',
          String(apiPort),
          '--cert-dir',
          certDir,
        ],
        logFile: join(dir, 'kube-apiserver.log'),
        ready: [tcpProbe('127.0.0.1', apiPort)],
        readyTimeoutMs: 60_000,
      }),
    );
    const kubeconfig = join(dir, 'kubeconfig');
    writeFileSync(
      kubeconfig,
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Config',
        clusters: [
          {
            name: 'test',
            // The server's self-signed certificate file holds its own CA: trusting it is verifying it.
            cluster: {
              server: `https://127.0.0.1:${apiPort}`,
              'certificate-authority': join(certDir, 'apiserver.crt'),
            },
          },
        ],
        users: [{ name: 'test', user: { token: 'unused-authentication-is-off' } }],
        contexts: [{ name: 'test', context: { cluster: 'test', user: 'test' } }],
        'current-context': 'test',
      }),
    );
    const config = new KubeConfig();
    config.loadFromFile(kubeconfig);
    await installCrds(config);
    return { kubeconfig, config, objects: config.makeApiClient(CustomObjectsApi), stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

async function installCrds(config: KubeConfig): Promise<void> {
  const api = config.makeApiClient(ApiextensionsV1Api);
  const crds = officialCrds() as Array<{ metadata: { name: string } }>;
  const deadline = Date.now() + 30_000;
  for (const body of crds) {
    // The port opens before the server's start hooks finish: retry until it accepts the first write.
    for (;;) {
      try {
        await api.createCustomResourceDefinition({ body: body as never });
        break;
      } catch (error) {
        if (Date.now() > deadline) throw error;
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    }
  }
  for (const { metadata } of crds) {
    for (;;) {
      const crd = await api.readCustomResourceDefinition({ name: metadata.name });
      if (crd.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True')) break;
      if (Date.now() > deadline) throw new Error(`CRD ${metadata.name} not established after 30 s`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

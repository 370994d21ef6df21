// A SIMULATED mesh data plane for the Kubernetes suite: no Envoy or Istio proxy runs here, so this
// stands in for one. It reads the real route object from the real API server (an Istio
// VirtualService's destination weights, or a Gateway API HTTPRoute's backendRef weights) every
// `refreshMs`, sends each request to a destination drawn by those weights, and exports what the
// real proxy would for it, under the real series names and labels (plan/series-dialects.ts):
// - istio: istio_requests_total{reporter="destination", destination_version, response_code} and
//   istio_request_duration_milliseconds{reporter="destination", destination_version};
// - envoy: envoy_cluster_upstream_rq_xx{envoy_cluster_name, envoy_response_code_class} and
//   envoy_cluster_upstream_rq_time{envoy_cluster_name} (milliseconds).
// A rollout judged from these series through the real Prometheus then sees the traffic its own
// weight changes sent, as it would behind a real mesh. Mirroring is not simulated.
import {
  createServer,
  request as httpRequest,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import { Counter, Histogram, Registry } from 'prom-client';

export type MeshDialect = 'istio' | 'envoy';

/** One weighted destination as the route object names it: its label value in the series and where it is served. */
export interface MeshDestination {
  /** destination_version (istio) or envoy_cluster_name (envoy). */
  label: string;
  weight: number;
}

export interface MeshDataPlaneOptions {
  dialect: MeshDialect;
  /** The route object's destinations and weights, read from the API server. */
  readDestinations: () => Promise<MeshDestination[]>;
  /** Where each destination label is served: an OpenAI-compatible base URL's origin (http://host:port). */
  upstreams: Record<string, string>;
  refreshMs?: number;
}

export interface MeshDataPlane {
  /** Clients send OpenAI-compatible requests here, as to the mesh's ingress. */
  url: string;
  /** host:port Prometheus scrapes (/metrics). */
  metricsTarget: string;
  /** The weights the last read of the route object found. */
  destinations(): readonly MeshDestination[];
  close(): Promise<void>;
}

const BUCKETS_MS = [5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000];

export async function startMeshDataPlaneSimulator(options: MeshDataPlaneOptions): Promise<MeshDataPlane> {
  const registry = new Registry();
  const labelName = options.dialect === 'istio' ? 'destination_version' : 'envoy_cluster_name';
  const requests: Counter<string> =
    options.dialect === 'istio'
      ? new Counter({
          name: 'istio_requests_total',
          help: 'Requests (simulated sidecar)',
          labelNames: ['reporter', labelName, 'response_code'],
          registers: [registry],
        })
      : new Counter({
          name: 'envoy_cluster_upstream_rq_xx',
          help: 'Upstream responses by class (simulated Envoy)',
          labelNames: [labelName, 'envoy_response_code_class'],
          registers: [registry],
        });
  const duration: Histogram<string> = new Histogram({
    name: options.dialect === 'istio' ? 'istio_request_duration_milliseconds' : 'envoy_cluster_upstream_rq_time',
    help: 'Request duration in ms (simulated)',
    labelNames: options.dialect === 'istio' ? ['reporter', labelName] : [labelName],
    buckets: BUCKETS_MS,
    registers: [registry],
  });
  const observe = (label: string, status: number, ms: number) => {
    if (options.dialect === 'istio') {
      requests.inc({ reporter: 'destination', [labelName]: label, response_code: String(status) });
      duration.observe({ reporter: 'destination', [labelName]: label }, ms);
    } else {
      requests.inc({ [labelName]: label, envoy_response_code_class: String(Math.floor(status / 100)) });
      duration.observe({ [labelName]: label }, ms);
    }
  };

  let current: MeshDestination[] = await options.readDestinations();
  let stopped = false;
  const refresh = async () => {
    while (!stopped) {
      await new Promise((resolve) => setTimeout(resolve, options.refreshMs ?? 200));
      // A failed read keeps the last weights, as a proxy keeps its last configuration.
      current = await options.readDestinations().catch(() => current);
    }
  };
  const refreshing = refresh();

  const pick = (): MeshDestination | null => {
    const total = current.reduce((sum, destination) => sum + destination.weight, 0);
    if (total <= 0) return null;
    let draw = Math.random() * total;
    for (const destination of current) {
      draw -= destination.weight;
      if (draw < 0) return destination;
    }
    return current[current.length - 1] ?? null;
  };

  const forward = (req: IncomingMessage, res: ServerResponse, body: Buffer) => {
    const destination = pick();
    const upstream = destination && options.upstreams[destination.label];
    if (!destination || !upstream) {
      res.writeHead(503, { 'content-type': 'text/plain' }).end('no destination');
      return;
    }
    const started = performance.now();
    const outbound = httpRequest(
      new URL(req.url ?? '/', upstream),
      { method: req.method, headers: { 'content-type': 'application/json', 'content-length': body.length } },
      (answer) => {
        const chunks: Buffer[] = [];
        answer.on('data', (chunk: Buffer) => chunks.push(chunk));
        answer.on('end', () => {
          const status = answer.statusCode ?? 502;
          observe(destination.label, status, performance.now() - started);
          res
            .writeHead(status, { 'content-type': answer.headers['content-type'] ?? 'application/json' })
            .end(Buffer.concat(chunks));
        });
      },
    );
    outbound.on('error', () => {
      observe(destination.label, 503, performance.now() - started);
      if (!res.headersSent) res.writeHead(503).end('upstream connect error');
    });
    outbound.end(body);
  };

  const server: Server = createServer((req, res) => {
    if (req.method === 'GET' && req.url === '/metrics') {
      void registry.metrics().then((text) => res.writeHead(200, { 'content-type': registry.contentType }).end(text));
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => forward(req, res, Buffer.concat(chunks)));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    metricsTarget: `127.0.0.1:${port}`,
    destinations: () => current,
    async close() {
      stopped = true;
      await refreshing;
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

// The route objects the Kubernetes rollout tests hand to a rollout (annotated as managed by it):
// an HTTPRoute with one rule on its baseline backendRef, and a VirtualService over a
// DestinationRule's subsets with one http route. Written to the real API server, which validates
// them with the official CRDs.
import type { CustomObjectsApi } from '@kubernetes/client-node';
import { MANAGED_ANNOTATION } from '../../activities/traffic/kube-route-router';

export const HTTP_ROUTES = { group: 'gateway.networking.k8s.io', version: 'v1', plural: 'httproutes' } as const;
export const VIRTUAL_SERVICES = { group: 'networking.istio.io', version: 'v1', plural: 'virtualservices' } as const;
const DESTINATION_RULES = { group: 'networking.istio.io', version: 'v1', plural: 'destinationrules' } as const;

export interface HttpRouteObject {
  spec: {
    rules: Array<{ backendRefs: Array<{ name: string; weight?: number }>; filters?: unknown[] }>;
  };
}

export interface VirtualServiceObject {
  spec: { http: Array<{ route: Array<{ destination: { subset: string }; weight?: number }>; mirror?: unknown }> };
}

export async function createManagedHttpRoute(
  objects: CustomObjectsApi,
  at: { namespace: string; name: string; baseline: string },
): Promise<void> {
  await objects.createNamespacedCustomObject({
    ...HTTP_ROUTES,
    namespace: at.namespace,
    body: {
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'HTTPRoute',
      metadata: { name: at.name, namespace: at.namespace, annotations: { [MANAGED_ANNOTATION]: 'true' } },
      spec: {
        parentRefs: [{ name: 'inference-gateway' }],
        rules: [{ backendRefs: [{ name: at.baseline, port: 8000 }] }],
      },
    },
  });
}

/** A DestinationRule with subsets v1 and v2 of `host`, and a VirtualService routing to them by `weights`, both named `name`. */
export async function createManagedVirtualService(
  objects: CustomObjectsApi,
  at: { namespace: string; name: string; host: string; weights: Record<string, number> },
): Promise<void> {
  await objects.createNamespacedCustomObject({
    ...DESTINATION_RULES,
    namespace: at.namespace,
    body: {
      apiVersion: 'networking.istio.io/v1',
      kind: 'DestinationRule',
      metadata: { name: at.name, namespace: at.namespace },
      spec: { host: at.host, subsets: [{ name: 'v1' }, { name: 'v2' }] },
    },
  });
  await objects.createNamespacedCustomObject({
    ...VIRTUAL_SERVICES,
    namespace: at.namespace,
    body: {
      apiVersion: 'networking.istio.io/v1',
      kind: 'VirtualService',
      metadata: { name: at.name, namespace: at.namespace, annotations: { [MANAGED_ANNOTATION]: 'true' } },
      spec: {
        hosts: [at.name],
        http: [
          {
            route: Object.entries(at.weights).map(([subset, weight]) => ({
              destination: { host: at.host, subset },
              weight,
            })),
          },
        ],
      },
    },
  });
}

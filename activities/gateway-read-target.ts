// The part of an activity's input that says which gateways it reads a route's traffic from.
/** Which gateways an activity reads a route's traffic from, and where the worker finds their token. */
export interface GatewayReadTarget {
  /** The gateway's admin URL (router.adminUrl). */
  adminUrl: string;
  /** Every gateway serving the route (router.adminUrl and its replicas); default [adminUrl]. */
  replicas?: string[];
  /** router.adminTokenEnv (default GATEWAY_ADMIN_TOKEN): where the worker finds the admin token. */
  adminTokenEnv?: string;
  route: string;
}

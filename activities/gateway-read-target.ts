// Which gateways an activity reads a route's traffic from, and the one way to read all of them.

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

/** Every gateway serving the route, router.adminUrl first. */
export function gatewaysOf(target: GatewayReadTarget): string[] {
  return target.replicas && target.replicas.length > 0 ? target.replicas : [target.adminUrl];
}

/** One gateway's part of a read of them all; `where` names it in a verdict's notes. */
export type GatewayAnswer<T> = { adminUrl: string; where: string } & (
  { ok: true; value: T } | { ok: false; message: string }
);

/**
 * Reads every gateway serving the route at once. Which gateway served a request has nothing to do
 * with how the backends answered it, so the caller judges on those that answered and names the
 * others. Fails only when none answered: with the one gateway's own error when there is one (a
 * missing route stays non-retryable), else naming each.
 */
export async function readEveryGateway<T>(
  target: GatewayReadTarget,
  what: string,
  read: (adminUrl: string) => Promise<T>,
): Promise<Array<GatewayAnswer<T>>> {
  const gateways = gatewaysOf(target);
  const settled = await Promise.allSettled(gateways.map(read));
  const answers = settled.map((result, index): GatewayAnswer<T> => {
    const adminUrl = gateways[index]!;
    const where = gateways.length > 1 ? `gateway ${adminUrl}` : 'the gateway';
    return result.status === 'fulfilled'
      ? { adminUrl, where, ok: true, value: result.value }
      : {
          adminUrl,
          where,
          ok: false,
          message: result.reason instanceof Error ? result.reason.message : String(result.reason),
        };
  });
  if (answers.every((answer) => !answer.ok)) {
    const [only] = settled;
    if (gateways.length === 1 && only?.status === 'rejected') throw only.reason;
    const failures = answers.map((answer) => `${answer.adminUrl}: ${(answer as { message: string }).message}`);
    throw new Error(`no gateway's ${what} could be read: ${failures.join('; ')}`);
  }
  return answers;
}

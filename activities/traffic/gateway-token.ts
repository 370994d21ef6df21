// The gateway admin token for the worker's calls. The plan names the environment variable
// (router.adminTokenEnv, default GATEWAY_ADMIN_TOKEN), never the token, so it stays out of
// workflow history; the value (or the file named by NAME_FILE) is read here, on the worker.
import { ApplicationFailure } from '@temporalio/activity';
import { DEFAULT_ADMIN_TOKEN_ENV, readAdminToken } from '../../gateway/admin-token';
import { FailureType } from '../../workflows/failure-types';

export function resolveGatewayToken(router: { adminTokenEnv?: string }, env: NodeJS.ProcessEnv = process.env): string {
  const name = router.adminTokenEnv ?? DEFAULT_ADMIN_TOKEN_ENV;
  let token: string | null;
  try {
    token = readAdminToken(name, env);
  } catch (error) {
    throw ApplicationFailure.nonRetryable(
      `gateway admin token (${name}_FILE): ${(error as Error).message}`,
      FailureType.MissingAdminToken,
    );
  }
  if (!token) {
    throw ApplicationFailure.nonRetryable(
      `the gateway admin token is not set on the worker: set ${name} (or ${name}_FILE, a file holding it) to the token the gateway was started with`,
      FailureType.MissingAdminToken,
    );
  }
  return token;
}

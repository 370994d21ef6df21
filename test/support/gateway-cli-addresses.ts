// Where a gateway CLI child (stack/gateway-cli.ts) listens in a test: two free ports, the
// arguments that put it there with a state file, and clients for both planes.
import { GatewayAdminClient } from '../../gateway/admin-client';
import { freePort } from '../../stack/free-port';

export interface GatewayCliAddresses {
  /** `--port`, `--admin-port` and `--state-file`; add others (e.g. `--processes 2`) in front. */
  args: string[];
  /** The data plane's origin (the OpenAI API is under /v1). */
  dataUrl: string;
  admin: GatewayAdminClient;
}

export async function gatewayCliAddresses(token: string, stateFile: string): Promise<GatewayCliAddresses> {
  const [dataPort, adminPort] = [await freePort(), await freePort()];
  return {
    args: ['--port', String(dataPort), '--admin-port', String(adminPort), '--state-file', stateFile],
    dataUrl: `http://127.0.0.1:${dataPort}`,
    admin: new GatewayAdminClient({ adminUrl: `http://127.0.0.1:${adminPort}`, token }),
  };
}

// `rollout capture <route> …`: capturing on or off for a route of the gateway, and the captured
// requests written as a dataset for `stages.replay` (client/traffic-capture.ts).
import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { readStackFile } from '../client/stack-file';
import { readCapturedDataset } from '../client/traffic-capture';
import { CAPTURE_MASKS, type CaptureMask, type SetCaptureRequest } from '../gateway/admin-api';
import { GatewayAdminClient } from '../gateway/admin-client';
import { DEFAULT_ADMIN_TOKEN_ENV, readAdminToken, readTokenFile } from '../gateway/admin-token';
import { CliError } from './cli-error';

export interface CaptureOptions {
  out?: string;
  limit?: string;
  enable?: boolean;
  disable?: boolean;
  share?: string;
  mask?: string;
  'admin-url'?: string;
}

/** The gateway's admin plane: --admin-url, else GATEWAY_ADMIN_URL, else the stack `rollout up` runs, else the default. */
function adminClient(options: CaptureOptions): GatewayAdminClient {
  const stack = readStackFile();
  const adminUrl =
    options['admin-url'] ?? process.env.GATEWAY_ADMIN_URL ?? stack?.gatewayAdminUrl ?? 'http://127.0.0.1:8480';
  const token = readAdminToken() ?? (stack ? readTokenFile(stack.gatewayAdminTokenFile) : null);
  if (!token)
    throw new CliError(
      `capture: no admin token: set ${DEFAULT_ADMIN_TOKEN_ENV} or ${DEFAULT_ADMIN_TOKEN_ENV}_FILE (the gateway's admin plane needs it)`,
    );
  return new GatewayAdminClient({ adminUrl, token });
}

function masks(text: string | undefined): CaptureMask[] {
  // Every built-in mask unless told otherwise: a capture should not keep what it need not.
  if (text === undefined || text === 'all') return [...CAPTURE_MASKS];
  if (text === 'none') return [];
  const names = text.split(',').map((name) => name.trim());
  const unknown = names.filter((name) => !(CAPTURE_MASKS as readonly string[]).includes(name));
  if (unknown.length > 0)
    throw new CliError(
      `capture: unknown --mask ${unknown.join(', ')}; one of ${CAPTURE_MASKS.join(', ')}, all or none`,
    );
  return names as CaptureMask[];
}

export async function runCapture(route: string, options: CaptureOptions): Promise<string> {
  if (options.enable && options.disable) throw new CliError('capture: --enable or --disable, not both');
  if (options.enable || options.disable) {
    const share = options.share === undefined ? undefined : Number(options.share);
    if (share !== undefined && !(share > 0 && share <= 1))
      throw new CliError(`capture: --share must be a number above 0 and at most 1, got ${options.share}`);
    const body: SetCaptureRequest = options.enable
      ? { enabled: true, ...(share !== undefined && { share }), redact: { mask: masks(options.mask) } }
      : { enabled: false };
    const state = await adminClient(options).setCapture(route, body);
    return state.capture
      ? `capture on for ${route}: ${Math.round(state.capture.share * 100)}% of live chat requests, masking ${state.capture.redact.mask.join(', ') || 'nothing'}, dropping ${state.capture.redact.dropFields.join(', ') || 'nothing'}`
      : `capture off for ${route}`;
  }
  if (!options.out) throw new CliError('capture: --out FILE (or --enable / --disable) is required');
  const limit = options.limit === undefined ? undefined : Number(options.limit);
  if (limit !== undefined && !(Number.isInteger(limit) && limit > 0))
    throw new CliError(`capture: --limit must be a whole number above 0, got ${options.limit}`);
  const dataset = await readCapturedDataset(adminClient(options), route, limit);
  const out = resolve(options.out);
  await writeFile(out, dataset.lines.map((line) => `${line}\n`).join(''), { mode: 0o600 });
  const notes = [
    ...(dataset.skipped > 0 ? [`${dataset.skipped} without a user message left out`] : []),
    ...(dataset.lost > 0 ? [`${dataset.lost} overwritten before they were read (raise --capture-capacity)`] : []),
  ];
  return `rollout capture: ${dataset.lines.length} requests of ${route} written to ${out}${notes.length ? ` (${notes.join('; ')})` : ''}`;
}

// The admin plane's bearer token: how the gateway, the worker and the CLI find it. One rule for
// all of them: the environment variable NAME (default GATEWAY_ADMIN_TOKEN) holds the token, or
// NAME_FILE names a file holding it (trimmed), the usual shape for container secrets. No
// Temporal imports here, so the CLI can use it without pulling in the activity runtime.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';

export const DEFAULT_ADMIN_TOKEN_ENV = 'GATEWAY_ADMIN_TOKEN';
/** Shorter tokens are refused at start: they could be guessed. */
export const MIN_ADMIN_TOKEN_LENGTH = 16;
export const MAKE_TOKEN_HINT = 'make one with `openssl rand -hex 24`';

/** A fresh random token (32 bytes, hex) for gateways started without one. */
export function generateAdminToken(): string {
  return randomBytes(32).toString('hex');
}

/** The token in a file (trimmed); the error names the file, never its contents. */
export function readTokenFile(path: string): string {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new Error(
      `cannot read the admin token file ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
      { cause: error },
    );
  }
  const token = text.trim();
  if (token === '') throw new Error(`the admin token file ${path} is empty; ${MAKE_TOKEN_HINT}`);
  return token;
}

/**
 * env[NAME] if set and non-empty, else the file named by env[`${NAME}_FILE`], else null.
 * Throws (naming the file) only when a file is named but cannot be read or is empty.
 */
export function readAdminToken(
  envName: string = DEFAULT_ADMIN_TOKEN_ENV,
  env: NodeJS.ProcessEnv = process.env,
): string | null {
  const direct = env[envName]?.trim();
  if (direct) return direct;
  const file = env[`${envName}_FILE`];
  if (file) return readTokenFile(file);
  return null;
}

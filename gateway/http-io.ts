// Small node:http helpers shared by the admin API and the data plane: bounded body reading and
// JSON responses in the OpenAI error shape ({ error: { type, message } }).
import type { IncomingMessage, ServerResponse } from 'node:http';
import { BodyTooLargeError, InvalidRequestError, isGatewayHttpError } from './errors';

export const DEFAULT_MAX_BODY_BYTES = 2 * 1024 * 1024;

/**
 * Reads the whole body, failing (413) as soon as it exceeds `limitBytes`. The rest of an
 * oversized body is drained and discarded rather than the socket destroyed, so the client still
 * receives the 413 instead of a connection reset.
 */
export function readBody(req: IncomingMessage, limitBytes: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > limitBytes) {
      req.resume();
      reject(new BodyTooLargeError(limitBytes));
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (chunk: Buffer) => {
      if (tooLarge) return;
      size += chunk.length;
      if (size > limitBytes) {
        tooLarge = true;
        chunks.length = 0;
        reject(new BodyTooLargeError(limitBytes));
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      // Most bodies arrive in one chunk; concat would copy it for nothing.
      if (!tooLarge) resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks));
    });
    req.on('error', reject);
  });
}

/** Reads and parses a JSON object body; anything else is a 400 naming `body`. */
export async function readJsonObject(req: IncomingMessage, limitBytes: number): Promise<Record<string, unknown>> {
  const raw = await readBody(req, limitBytes);
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw.toString('utf8'));
  } catch {
    throw new InvalidRequestError('body', 'must be valid JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new InvalidRequestError('body', 'must be a JSON object');
  }
  return parsed as Record<string, unknown>;
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

export function sendError(res: ServerResponse, status: number, type: string, message: string): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  sendJson(res, status, { error: { type, message } });
}

/** Maps typed gateway errors to their status; anything else is an internal error (500). */
export function sendCaughtError(res: ServerResponse, error: unknown): void {
  if (isGatewayHttpError(error)) {
    sendError(res, error.status, error.type, error.message);
    return;
  }
  const message = error instanceof Error ? error.message : String(error);
  sendError(res, 500, 'internal_error', message);
}

// Small node:http helpers shared by the admin API and the data plane: bounded body reading and
// JSON responses in the OpenAI error shape ({ error: { type, message } }).
import {
  STATUS_CODES,
  maxHeaderSize,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http';
import type { Duplex } from 'node:stream';
import { requestTargetUrl } from '../lib/request-target';
import { BodyTooLargeError, InvalidRequestError, RequestTimeoutError, isGatewayHttpError } from './errors';

export const DEFAULT_MAX_BODY_BYTES = 2 * 1024 * 1024;

/** A request header's value; the first one when the client repeated the header. */
export function firstHeaderValue(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/**
 * How long a client may take to send its body once the headers are in. node:http's own
 * requestTimeout (300 s, and never below headersTimeout) would let a client that trickles its
 * body hold a connection and a handler for five minutes.
 */
export const DEFAULT_CLIENT_BODY_TIMEOUT_MS = 30_000;

/**
 * Reads the whole body, failing (413) as soon as it exceeds `limitBytes`. The rest of an
 * oversized body is drained and discarded rather than the socket destroyed, so the client still
 * receives the 413 instead of a connection reset. A body still incomplete after `timeoutMs` fails
 * (408); one still being drained then has its connection cut.
 */
export function readBody(
  req: IncomingMessage,
  limitBytes: number,
  timeoutMs = DEFAULT_CLIENT_BODY_TIMEOUT_MS,
): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    let failed = false;
    const fail = (error: Error) => {
      failed = true;
      reject(error);
    };
    const deadline = setTimeout(() => {
      if (failed) req.destroy();
      else fail(new RequestTimeoutError(timeoutMs));
    }, timeoutMs);
    req.once('close', () => clearTimeout(deadline));
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > limitBytes) {
      req.resume();
      fail(new BodyTooLargeError(limitBytes));
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      if (failed) return;
      size += chunk.length;
      if (size > limitBytes) {
        chunks.length = 0;
        fail(new BodyTooLargeError(limitBytes));
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      clearTimeout(deadline);
      // Most bodies arrive in one chunk; concat would copy it for nothing.
      if (!failed) resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks));
    });
    req.on('error', reject);
  });
}

/** The request's target as a URL (lib/request-target.ts); a malformed one is a 400 naming `path`. */
export function requestUrl(req: IncomingMessage): URL {
  const target = req.url ?? '/';
  const url = requestTargetUrl(target);
  if (!url) throw new InvalidRequestError('path', `'${target}' is not a valid request target`);
  return url;
}

/** Reads and parses a JSON object body; anything else is a 400 naming `body`. */
export async function readJsonObject(
  req: IncomingMessage,
  limitBytes: number,
  timeoutMs?: number,
): Promise<Record<string, unknown>> {
  const raw = await readBody(req, limitBytes, timeoutMs);
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
    // The rest of a late body would be read as the next request: the connection ends with this answer.
    if (error instanceof RequestTimeoutError && !res.headersSent) res.setHeader('connection', 'close');
    sendError(res, error.status, error.type, error.message);
    return;
  }
  const message = error instanceof Error ? error.message : String(error);
  sendError(res, 500, 'internal_error', message);
}

/**
 * A server's 'clientError' listener: what node:http's parser refused (malformed request line or
 * headers, CR/LF/NUL in a header value, headers past maxHeaderSize, headers not in by
 * headersTimeout) gets the same OpenAI-style error as everything else; node:http's own answer is
 * a bare status line a client cannot tell apart from a proxy's.
 */
export function answerClientError(error: Error & { code?: string; reason?: string }, socket: Duplex): void {
  // As node:http does: answer only when no response has begun on this connection.
  const inFlight = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
  if (error.code !== 'ECONNRESET' && socket.writable && !inFlight?.headersSent) {
    const [status, type, message] = clientErrorAnswer(error);
    const text = JSON.stringify({ error: { type, message } });
    socket.end(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nconnection: close\r\ncontent-type: application/json\r\n` +
        `content-length: ${Buffer.byteLength(text)}\r\n\r\n${text}`,
    );
  }
  // A client that never reads or closes does not keep the socket.
  setTimeout(() => socket.destroy(), 5_000).unref();
}

function clientErrorAnswer(error: Error & { code?: string; reason?: string }): [number, string, string] {
  if (error.code === 'HPE_HEADER_OVERFLOW')
    return [431, 'request_too_large', `request headers exceed ${maxHeaderSize} bytes`];
  if (error.code === 'ERR_HTTP_REQUEST_TIMEOUT')
    return [408, 'request_timeout', 'request headers not received in time'];
  return [400, 'invalid_request', `malformed HTTP request: ${error.reason ?? error.message}`];
}

// HTTP/1.1 over a bare socket, for requests fetch() refuses to send: CR/LF or NUL in header values,
// headers past the server's limit, bodies that trickle in or never arrive, lying content-lengths.
import { connect } from 'node:net';

export interface RawReply {
  /** 0 when the server closed without a status line. */
  status: number;
  headers: Record<string, string>;
  body: string;
  /** ms from connecting until the server closed the connection. */
  closedAfterMs: number;
}

export interface RawOptions {
  /** Sent after the head, piece by piece, `gapMs` apart; the socket stays open afterwards. */
  trickle?: { pieces: string[]; gapMs: number };
  /** Gives up (and fails) when the server has not closed the connection by then. */
  timeoutMs?: number;
}

/** Sends `head` (and `body`), then reads until the server closes the connection. */
export function rawRequest(
  url: string,
  head: string,
  body: Buffer | string = '',
  options: RawOptions = {},
): Promise<RawReply> {
  const { hostname, port } = new URL(url);
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname);
    const received: Buffer[] = [];
    let timer: NodeJS.Timeout | undefined;
    const giveUp = setTimeout(() => {
      socket.destroy();
      reject(new Error(`server kept the connection open past ${options.timeoutMs ?? 10_000} ms`));
    }, options.timeoutMs ?? 10_000);
    socket.on('data', (chunk: Buffer) => received.push(chunk));
    // A reset after the reply was written still leaves the reply readable.
    socket.on('error', () => {});
    socket.on('close', () => {
      clearTimeout(giveUp);
      clearTimeout(timer);
      resolve({
        ...parseReply(Buffer.concat(received).toString('latin1')),
        closedAfterMs: performance.now() - started,
      });
    });
    socket.on('connect', () => {
      socket.write(head, 'latin1');
      if (body.length > 0) socket.write(body);
      const pieces = [...(options.trickle?.pieces ?? [])];
      const next = () => {
        const piece = pieces.shift();
        if (piece === undefined || socket.destroyed) return;
        socket.write(piece);
        timer = setTimeout(next, options.trickle!.gapMs);
      };
      if (pieces.length > 0) timer = setTimeout(next, options.trickle!.gapMs);
    });
  });
}

function parseReply(text: string): Omit<RawReply, 'closedAfterMs'> {
  const split = text.indexOf('\r\n\r\n');
  if (!text.startsWith('HTTP/1.1 ') || split === -1) return { status: 0, headers: {}, body: text };
  const [statusLine, ...lines] = text.slice(0, split).split('\r\n');
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  const rest = Buffer.from(text.slice(split + 4), 'latin1');
  const body = headers['transfer-encoding'] === 'chunked' ? unchunk(rest) : rest;
  return { status: Number(statusLine!.split(' ')[1]), headers, body: body.toString('utf8') };
}

function unchunk(data: Buffer): Buffer {
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const lineEnd = data.indexOf('\r\n', at);
    if (lineEnd === -1) break;
    const size = parseInt(data.subarray(at, lineEnd).toString('latin1'), 16);
    if (!(size > 0)) break;
    parts.push(data.subarray(lineEnd + 2, lineEnd + 2 + size));
    at = lineEnd + 2 + size + 2;
  }
  return Buffer.concat(parts);
}

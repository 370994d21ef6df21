// A stand-in OpenAI backend whose next answer the test scripts: a JSON completion, an error status,
// no answer at all, or an event stream of arbitrary pieces that ends, is cut mid-event, or never
// ends. Keeps what it was sent.
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import { listenOn } from '../../lib/listen';
import { closeServer } from '../../gateway/data-plane-server';

export type UpstreamScript =
  | { kind: 'json' }
  | { kind: 'status'; status: number }
  | { kind: 'silent' }
  | { kind: 'sse'; pieces: string[]; ending: 'end' | 'truncate' | 'hang' };

export interface ScriptedUpstream {
  /** OpenAI-style base URL (…/v1). */
  baseUrl: string;
  /** What the next requests get (until set again). */
  script: UpstreamScript;
  /** The last request received. */
  last: { headers: IncomingHttpHeaders; body: string } | null;
  /** Every request body received, in order. */
  bodies: string[];
  close(): Promise<void>;
}

export const COMPLETION = {
  id: 'cmpl-stand-in',
  object: 'chat.completion',
  choices: [{ index: 0, message: { role: 'assistant', content: 'fine' }, finish_reason: 'stop' }],
  usage: { prompt_tokens: 3, completion_tokens: 1 },
};

export async function startScriptedUpstream(): Promise<ScriptedUpstream> {
  const hanging = new Set<ServerResponse>();
  const upstream: ScriptedUpstream = {
    baseUrl: '',
    script: { kind: 'json' },
    last: null,
    bodies: [],
    close: () => {
      for (const res of hanging) res.destroy();
      return closeServer(server);
    },
  };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      upstream.last = { headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
      upstream.bodies.push(upstream.last.body);
      const script = upstream.script;
      if (script.kind === 'json') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify(COMPLETION));
        return;
      }
      if (script.kind === 'status') {
        res.writeHead(script.status, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { type: 'scripted', message: `scripted ${script.status}` } }));
        return;
      }
      if (script.kind === 'silent') {
        // Not even a status line: the gateway's deadline runs out before any header.
        hanging.add(res);
        return;
      }
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      // The status reaches the gateway even when no piece follows.
      res.flushHeaders();
      for (const piece of script.pieces) res.write(piece);
      if (script.ending === 'end') res.end();
      else if (script.ending === 'truncate') setTimeout(() => res.destroy(), 20);
      else hanging.add(res);
    });
  });
  const { origin } = await listenOn(server, '127.0.0.1', 0);
  upstream.baseUrl = `${origin}/v1`;
  return upstream;
}

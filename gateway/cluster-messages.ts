// The IPC contract between the multi-process gateway's primary (cluster-primary.ts) and its
// data-plane workers (cluster-worker.ts), over node:cluster's channel (JSON serialization).
//
//   worker  -> primary  { type: 'hello' }                         listening for messages; send me the table
//   primary -> worker   { type: 'routes', version, routes }      the whole route table (StoredRoute[], keys
//                                                                included), at hello and after every change
//   worker  -> primary  { type: 'routes-applied', version }       in force for every request from now on
//   worker  -> primary  { type: 'traffic', exchanges, pairs, samples, captures, feedback }  a batch
//                                                                (traffic-batch.ts; exchanges as exchange-wire.ts
//                                                                arrays; answer samples; captured requests, already
//                                                                redacted; feedback offers, by request id still to be
//                                                                attributed): the primary numbers, stamps and records
//                                                                them, the exchanges before the feedback
//   worker  -> primary  { type: 'failed', message }               cannot serve (e.g. a bad table); exits
//   primary -> worker   { type: 'connection', id } + a socket     a client connection to serve (the primary
//                                                                accepts on the data address and hands each
//                                                                connection to the next worker in turn)
//   worker  -> primary  { type: 'connection-taken', id }          the worker holds it now (serving it or, when
//                                                                it cannot, closed): the primary closes its copy
//   primary -> worker   { type: 'shutdown' }                      stop serving, send the last batch, exit
//   worker  -> primary  { type: 'stopped' }                       the last batch is sent; exiting
//
// `version` counts the primary's table changes (not a route's own version). A worker is given
// connections only after it applied its first table.
// The worker's settings come in the environment variable WORKER_CONFIG_ENV at fork.
import { z } from 'zod';
import type { AnswerSamplingOptions, NewAnswerSample } from './answer-sampler';
import type { NewShadowPair } from './exchange-recorder';
import type { FeedbackOffer } from './feedback-recorder';
import type { NewCaptureEntry } from './request-capture';
import type { WireExchange } from './exchange-wire';
import type { StoredRoute } from './route-table';
import { parseOrThrow } from './zod-errors';

export const WORKER_CONFIG_ENV = 'LLM_GATEWAY_WORKER';

export type PrimaryMessage =
  | { type: 'routes'; version: number; routes: StoredRoute[] }
  | { type: 'connection'; id: number }
  | { type: 'shutdown' };

export type WorkerMessage =
  | { type: 'hello' }
  | { type: 'routes-applied'; version: number }
  | { type: 'connection-taken'; id: number }
  | {
      type: 'traffic';
      exchanges: WireExchange[];
      pairs: NewShadowPair[];
      samples: NewAnswerSample[];
      captures: NewCaptureEntry[];
      feedback: FeedbackOffer[];
    }
  | { type: 'failed'; message: string }
  | { type: 'stopped' };

const version = z.number().int().nonnegative();
const connectionId = z.number().int().positive();

// Only the envelope is checked: the routes are checked by RouteTable.restore in the worker, and
// a batch's items are built by exchangeOf in our own worker code. Checking each item here would
// cost the primary per request, on the path the workers exist to speed up.
const primaryMessageSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('routes'), version, routes: z.array(z.unknown()) }),
  z.object({ type: z.literal('connection'), id: connectionId }),
  z.object({ type: z.literal('shutdown') }),
]);

const workerMessageSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('hello') }),
  z.object({ type: z.literal('routes-applied'), version }),
  z.object({ type: z.literal('connection-taken'), id: connectionId }),
  z.object({
    type: z.literal('traffic'),
    exchanges: z.array(z.unknown()),
    pairs: z.array(z.unknown()),
    // A batch without samples (sampling off) may leave them out.
    samples: z.array(z.unknown()).default([]),
    // Likewise captures (capture off, or a worker that predates them).
    captures: z.array(z.unknown()).default([]),
    // Likewise feedback (none came, or a worker that predates it).
    feedback: z.array(z.unknown()).default([]),
  }),
  z.object({ type: z.literal('failed'), message: z.string() }),
  z.object({ type: z.literal('stopped') }),
]);

/** null for anything that is not one of our messages (node:cluster's own never reach 'message'). */
export function parsePrimaryMessage(raw: unknown): PrimaryMessage | null {
  const parsed = primaryMessageSchema.safeParse(raw);
  return parsed.success ? (parsed.data as PrimaryMessage) : null;
}

export function parseWorkerMessage(raw: unknown): WorkerMessage | null {
  const parsed = workerMessageSchema.safeParse(raw);
  return parsed.success ? (parsed.data as WorkerMessage) : null;
}

/** What a worker needs to serve the data plane; everything else (routes) comes over IPC. */
export interface WorkerConfig {
  upstreamTimeoutMs: number;
  shadowTimeoutMs?: number;
  maxShadowInFlight?: number;
  maxBodyBytes: number;
  clientBodyTimeoutMs?: number;
  /** Answers kept as text and sent with the batches; absent: none. */
  answerSampling?: AnswerSamplingOptions;
  /** Live requests of routes with capture on are kept and sent with the batches; absent: none (--capture-capacity 0). */
  capture?: boolean;
}

const positiveInt = z.number().int().positive();
const workerConfigSchema = z.strictObject({
  upstreamTimeoutMs: positiveInt,
  shadowTimeoutMs: positiveInt.optional(),
  maxShadowInFlight: positiveInt.optional(),
  maxBodyBytes: positiveInt,
  clientBodyTimeoutMs: positiveInt.optional(),
  answerSampling: z
    .strictObject({ every: positiveInt, maxAnswerChars: positiveInt, maxRequestChars: positiveInt })
    .optional(),
  capture: z.boolean().optional(),
}) satisfies z.ZodType<WorkerConfig>;

/** Throws, naming the field, when the environment does not hold a valid config. */
export function parseWorkerConfig(text: string | undefined): WorkerConfig {
  if (text === undefined)
    throw new Error(
      `${WORKER_CONFIG_ENV} is not set: a gateway worker is started by the gateway's primary (--processes N)`,
    );
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new Error(`${WORKER_CONFIG_ENV} is not valid JSON (${(error as Error).message})`, { cause: error });
  }
  return parseOrThrow(workerConfigSchema, raw, WORKER_CONFIG_ENV);
}

// Which answers the gateway keeps as text for the canary's behavioral check: every k-th successful
// chat answer of each backend of each route (counted per route and backend, so a 5 % canary keeps
// as evenly spaced a sample of its answers as the baseline does), the request's last user message
// and the answer cut to character caps. With sampling off the data plane holds no sampler at all,
// so the hot path pays one null check.
import type { AnswerSample } from './admin-api';
import type { InspectedAnswer } from './inspect-outcome';
import type { TrafficMode } from './metrics';
import { requestMessages } from './request-messages';

/** An answer sample before it is numbered and stamped with the epoch. */
export type NewAnswerSample = Omit<AnswerSample, 'seq' | 'epoch'>;

/** Where samples go: the TrafficLog (one process) or the worker's batch to the primary. */
export interface SampleSink {
  addSample(sample: NewAnswerSample): void;
}

export interface AnswerSamplingOptions {
  /** Keep every k-th answer per route and backend (1: all of them). */
  every: number;
  /** Characters of each answer kept (its start and end when longer). */
  maxAnswerChars: number;
  /** Characters of the request's last user message kept. */
  maxRequestChars: number;
}

export const DEFAULT_ANSWER_SAMPLING: Readonly<AnswerSamplingOptions> = Object.freeze({
  every: 1,
  maxAnswerChars: 2_000,
  maxRequestChars: 500,
});

/** Characters of a cut answer's end that are kept (the rest of the cap is its start). */
const TAIL_SHARE = 0.25;
const CUT_MARK = '\n…\n';

export function cutAnswer(text: string, maxChars: number): { text: string; cut: boolean } {
  if (text.length <= maxChars) return { text, cut: false };
  const tail = Math.floor(maxChars * TAIL_SHARE);
  return {
    text: `${text.slice(0, Math.max(0, maxChars - tail - CUT_MARK.length))}${CUT_MARK}${text.slice(-tail)}`,
    cut: true,
  };
}

export interface SampledExchange {
  route: string;
  backend: { name: string; model: string; member?: string };
  mode: TrafficMode;
  requestId: string;
  status: number;
  answer: InspectedAnswer;
  body: Record<string, unknown>;
  at: string;
}

export class AnswerSampler {
  private readonly counts = new Map<string, number>();

  constructor(
    private readonly sink: SampleSink,
    private readonly options: AnswerSamplingOptions,
  ) {
    if (!Number.isInteger(options.every) || options.every < 1)
      throw new Error(`answer sampling: every must be an integer >= 1, got ${options.every}`);
  }

  /** Keeps the answer when it is its backend's k-th on the route; only successful chat answers with text count. */
  offer(exchange: SampledExchange): void {
    const { answer } = exchange;
    if (answer.content === null || answer.content === '' || exchange.status < 200 || exchange.status >= 300) return;
    const key = `${exchange.route}\u0000${exchange.backend.name}`;
    const count = (this.counts.get(key) ?? 0) + 1;
    this.counts.set(key, count === this.options.every ? 0 : count);
    if (count !== this.options.every) return;
    const messages = requestMessages(exchange.body);
    const lastUser = [...messages].reverse().find((m) => m.role === 'user') ?? messages[messages.length - 1];
    const { text, cut } = cutAnswer(answer.content, this.options.maxAnswerChars);
    this.sink.addSample({
      requestId: exchange.requestId,
      route: exchange.route,
      backend: exchange.backend.name,
      model: exchange.backend.model,
      mode: exchange.mode,
      status: exchange.status,
      request: (lastUser?.content ?? '').slice(0, this.options.maxRequestChars),
      answer: text,
      cut,
      ...(exchange.backend.member !== undefined && { member: exchange.backend.member }),
      at: exchange.at,
    });
  }
}

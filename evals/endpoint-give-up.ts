// When to stop calling a scoring endpoint (the LLM judge, the embeddings): one that has failed
// `giveUpAfter` requests in a row without ever answering is treated as unreachable, so a dead
// endpoint costs a handful of timeouts instead of one per item. Once it has answered, failures
// are counted per request and it keeps being asked.
import OpenAI from 'openai';
import { openAiClient } from './openai-client';

export class EndpointGiveUp {
  private consecutiveFailures = 0;
  private everAnswered = false;
  private lastFailure = '';

  constructor(private readonly giveUpAfter: number) {}

  /** Why the endpoint counts as unreachable ("gave up after 5 failed requests; last: …"), or null while it is still worth asking. */
  unreachable(): string | null {
    return !this.everAnswered && this.consecutiveFailures >= this.giveUpAfter
      ? `gave up after ${this.consecutiveFailures} failed requests; last: ${this.lastFailure}`
      : null;
  }

  /** Counts a failed request; returns its short description. */
  failed(error: unknown): string {
    this.consecutiveFailures++;
    this.lastFailure = requestFailure(error);
    return this.lastFailure;
  }

  answered(): void {
    this.everAnswered = true;
    this.consecutiveFailures = 0;
  }
}

/** What a scoring endpoint's client is built from: the judge's and the embeddings' settings alike. */
export interface ScoringEndpoint {
  baseUrl: string;
  apiKey?: string;
  requestTimeoutMs: number;
  retries: number;
  giveUpAfter?: number;
}

/** The OpenAI client for a scoring endpoint (keys are optional for local servers) and its give-up count. */
export function scoringClient(endpoint: ScoringEndpoint): { client: OpenAI; giveUp: EndpointGiveUp } {
  return {
    client: openAiClient(endpoint),
    giveUp: new EndpointGiveUp(endpoint.giveUpAfter ?? 5),
  };
}

/** A short, stable description of a failed request (for counting reasons). */
export function requestFailure(error: unknown): string {
  if (error instanceof OpenAI.APIConnectionTimeoutError) return 'timed out';
  if (error instanceof OpenAI.APIConnectionError)
    return `connection error (${(error.cause as Error | undefined)?.message ?? error.message})`;
  if (error instanceof OpenAI.APIError) return `HTTP ${error.status ?? '?'}: ${error.message.slice(0, 120)}`;
  return (error as Error).message ?? String(error);
}

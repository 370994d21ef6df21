// The one way the evals build an OpenAI-compatible client: the models under test, the LLM judge
// and the embeddings endpoint alike. Local servers take no key, but the SDK insists on one.
import OpenAI from 'openai';

/** Retries per request after the first attempt (the SDK's, with exponential backoff). */
export const DEFAULT_RETRIES = 2;

export interface OpenAiEndpoint {
  baseUrl: string;
  apiKey?: string;
  requestTimeoutMs: number;
  retries?: number;
}

export function openAiClient(endpoint: OpenAiEndpoint): OpenAI {
  return new OpenAI({
    baseURL: endpoint.baseUrl,
    apiKey: endpoint.apiKey ?? 'unused',
    timeout: endpoint.requestTimeoutMs,
    maxRetries: endpoint.retries ?? DEFAULT_RETRIES,
  });
}

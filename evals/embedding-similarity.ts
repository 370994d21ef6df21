// Embedding cosine similarity between the baseline's and the candidate's answers to the same
// input, from any OpenAI-compatible embeddings endpoint (one request embeds both). A failed
// request is a counted "no score" with its reason, never a similarity of 0; an endpoint that fails
// `giveUpAfter` times in a row without ever answering is not called again.
import type OpenAI from 'openai';
import { withLinkedSignal } from './abort-link';
import { scoringClient, type EndpointGiveUp } from './endpoint-give-up';
import type { NoScoreKind } from './llm-judge';

export interface EmbeddingsEndpoint {
  baseUrl: string;
  model: string;
  apiKey?: string;
  requestTimeoutMs: number;
  retries: number;
  giveUpAfter?: number;
}

export type SimilarityResult =
  { status: 'scored'; similarity: number } | { status: 'no_score'; kind: NoScoreKind; reason: string };

export function cosine(a: readonly number[], b: readonly number[]): number {
  if (a.length !== b.length || a.length === 0)
    throw new RangeError(`embeddings of different or zero length: ${a.length} and ${b.length}`);
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i]! * b[i]!;
    na += a[i]! * a[i]!;
    nb += b[i]! * b[i]!;
  }
  if (na === 0 || nb === 0) throw new RangeError('an embedding is the zero vector');
  return dot / Math.sqrt(na * nb);
}

export class EmbeddingSimilarity {
  private readonly client: OpenAI;
  private readonly giveUp: EndpointGiveUp;

  constructor(readonly endpoint: EmbeddingsEndpoint) {
    ({ client: this.client, giveUp: this.giveUp } = scoringClient(endpoint));
  }

  async similarity(baseline: string, candidate: string, signal?: AbortSignal): Promise<SimilarityResult> {
    // Many embedding APIs refuse empty input; an empty answer shares nothing with a non-empty one.
    if (baseline.trim() === '' || candidate.trim() === '')
      return { status: 'scored', similarity: baseline.trim() === candidate.trim() ? 1 : 0 };
    if (baseline === candidate) return { status: 'scored', similarity: 1 };
    const unreachable = this.giveUp.unreachable();
    if (unreachable)
      return { status: 'no_score', kind: 'unreachable', reason: `embeddings unreachable (${unreachable})` };
    let vectors: number[][];
    try {
      const response = await withLinkedSignal(signal, (linked) =>
        this.client.embeddings.create(
          { model: this.endpoint.model, input: [baseline, candidate], encoding_format: 'float' },
          { signal: linked },
        ),
      );
      vectors = [...response.data].sort((x, y) => x.index - y.index).map((d) => d.embedding);
    } catch (error) {
      if (signal?.aborted) throw error;
      return {
        status: 'no_score',
        kind: 'request_failed',
        reason: `embeddings request failed: ${this.giveUp.failed(error)}`,
      };
    }
    this.giveUp.answered();
    try {
      if (vectors.length !== 2) throw new RangeError(`expected 2 embeddings, got ${vectors.length}`);
      return { status: 'scored', similarity: cosine(vectors[0]!, vectors[1]!) };
    } catch (error) {
      return {
        status: 'no_score',
        kind: 'unparseable',
        reason: `embeddings answer unusable: ${(error as Error).message}`,
      };
    }
  }
}

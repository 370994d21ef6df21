// Shadow-comparison activity: reads the route's shadow pairs from the gateway (baseline and
// candidate answers to the same mirrored requests) and compares them (evals/shadow-comparison.ts),
// heartbeating the judge/embedding results so that a retry does not score a pair twice.
import { ApplicationFailure, Context } from '@temporalio/activity';
import type { ShadowPair, ShadowPairsPage } from '../gateway/admin-api';
import { UnknownMetricError } from '../evals/behavioral-settings';
import type { BehavioralVerdict } from '../evals/golden-behavioral-verdict';
import { runShadowComparison, type ShadowRunState } from '../evals/shadow-comparison';
import type { ShadowCompareInput } from './contract';
import { apiKeyFrom } from './evals';

const PAGE = 10_000;
/** The gateway keeps at most a few thousand pairs per route; this bounds the read loop regardless. */
const MAX_PAGES = 100;

export type ShadowPairsReader = (input: { adminUrl: string; route: string; sinceSeq: number }) => Promise<ShadowPair[]>;

export const readShadowPairs: ShadowPairsReader = async ({ adminUrl, route, sinceSeq }) => {
  const pairs: ShadowPair[] = [];
  let since = sinceSeq;
  for (let pages = 0; pages < MAX_PAGES; pages++) {
    const url = `${adminUrl}/admin/routes/${encodeURIComponent(route)}/shadow-pairs?since=${since}&limit=${PAGE}`;
    let response: Response;
    try {
      response = await fetch(url, { signal: AbortSignal.timeout(10_000) });
    } catch (error) {
      throw new Error(`gateway shadow pairs unreachable at ${url}: ${(error as Error).message}`, { cause: error });
    }
    if (response.status === 404) throw ApplicationFailure.nonRetryable(`gateway has no route ${JSON.stringify(route)} (${url} → 404)`, 'InvalidRouterConfig');
    if (!response.ok) throw new Error(`gateway shadow pairs ${url} → ${response.status}: ${(await response.text()).slice(0, 300)}`);
    const page = (await response.json()) as ShadowPairsPage;
    pairs.push(...page.pairs);
    if (page.pairs.length < PAGE || page.nextSince <= since) return pairs;
    since = page.nextSince;
  }
  return pairs;
};

export function createShadowCompareActivities(readPairs: ShadowPairsReader = readShadowPairs) {
  return {
    async compareShadow(input: ShadowCompareInput): Promise<BehavioralVerdict> {
      const context = Context.current();
      const pairs = await readPairs({ adminUrl: input.adminUrl, route: input.route, sinceSeq: 0 });
      const compare = input.config.compare;
      try {
        const { verdict } = await runShadowComparison({
          rolloutId: input.rolloutId,
          stage: input.stage,
          pairs,
          windowStartMs: input.windowStartMs,
          config: input.config,
          guardrails: input.guardrails,
          pricing: input.pricing,
          judgeApiKey: apiKeyFrom(compare?.judge?.apiKeyEnv, 'LLM judge'),
          embeddingsApiKey: apiKeyFrom(compare?.embeddings?.apiKeyEnv, 'embeddings endpoint'),
          resume: context.info.heartbeatDetails as Partial<ShadowRunState> | undefined,
          onProgress: (state) => context.heartbeat(state),
          signal: context.cancellationSignal,
        });
        context.log.info('shadow comparison finished', { rolloutId: input.rolloutId, outcome: verdict.outcome, report: verdict.report });
        return verdict;
      } catch (error) {
        if (error instanceof UnknownMetricError) throw ApplicationFailure.nonRetryable(`stages.shadow.compare.${error.message}`, 'InvalidPlan');
        throw error;
      }
    },
  };
}

// Shadow-comparison activity: reads the route's shadow pairs from the gateway (baseline and
// candidate answers to the same mirrored requests) and compares them (evals/shadow-comparison.ts),
// heartbeating the judge/embedding results so that a retry does not score a pair twice.
import { ApplicationFailure, Context } from '@temporalio/activity';
import type { ShadowPair } from '../lib/shadow-pair';
import { GatewayAdminClient } from '../gateway/admin-client';
import { UnknownMetricError } from '../evals/behavioral-settings';
import type { BehavioralVerdict } from '../evals/metric-judgement';
import { runShadowComparison, type ShadowRunState } from '../evals/shadow-comparison';
import type { ShadowCompareInput } from './contract';
import { apiKeyFrom } from './api-key';
import { readEveryGateway } from './gateway-read-target';
import { gatewayReadFailure, readAllPages } from './gateway-pages';
import { resolveGatewayToken } from './traffic/gateway-token';
import { FailureType } from '../workflows/failure-types';

const PAGE = 10_000;
/** The gateway keeps at most a few thousand pairs per route; this bounds the read loop regardless. */
const MAX_PAGES = 100;

export type ShadowPairsReader = (input: {
  adminUrl: string;
  route: string;
  sinceSeq: number;
  adminTokenEnv?: string;
}) => Promise<ShadowPair[]>;

export const readShadowPairs: ShadowPairsReader = async ({ adminUrl, route, sinceSeq, adminTokenEnv }) => {
  const client = new GatewayAdminClient({ adminUrl, token: resolveGatewayToken({ adminTokenEnv }), timeoutMs: 10_000 });
  const { items } = await readAllPages({
    sinceSeq,
    pageSize: PAGE,
    maxPages: MAX_PAGES,
    // A restart between pages: what the earlier pages read belongs to a process that is gone.
    dropOnRestart: true,
    page: async (since, epoch) => {
      try {
        const page = await client.shadowPairs(route, { since, epoch, limit: PAGE });
        return { ...page, items: page.pairs };
      } catch (error) {
        throw gatewayReadFailure(error, route, 'shadow pairs');
      }
    },
  });
  return items;
};

/** The shadow pairs of every gateway serving the route; the unreadable ones are named in the verdict. */
async function readEveryGatewaysPairs(
  readPairs: ShadowPairsReader,
  input: ShadowCompareInput,
): Promise<{ pairs: ShadowPair[]; unreadable: string[] }> {
  const answers = await readEveryGateway(input, 'shadow pairs', (adminUrl) =>
    readPairs({ adminUrl, route: input.route, sinceSeq: 0, adminTokenEnv: input.adminTokenEnv }),
  );
  return {
    pairs: answers.flatMap((answer) => (answer.ok ? answer.value : [])),
    unreadable: answers.flatMap((answer) => (answer.ok ? [] : [`${answer.adminUrl} (${answer.message})`])),
  };
}

export function createShadowCompareActivities(readPairs: ShadowPairsReader = readShadowPairs) {
  return {
    async compareShadow(input: ShadowCompareInput): Promise<BehavioralVerdict> {
      const context = Context.current();
      const { pairs, unreadable } = await readEveryGatewaysPairs(readPairs, input);
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
          judgeApiKey: apiKeyFrom(compare?.judge?.apiKeyEnv, 'the LLM judge'),
          embeddingsApiKey: apiKeyFrom(compare?.embeddings?.apiKeyEnv, 'the embeddings endpoint'),
          resume: context.info.heartbeatDetails as Partial<ShadowRunState> | undefined,
          onProgress: (state) => context.heartbeat(state),
          signal: context.cancellationSignal,
        });
        if (unreadable.length > 0)
          verdict.reason += `; compared on the other gateways' pairs: ${unreadable.join('; ')} could not be read`;
        context.log.info('shadow comparison finished', {
          rolloutId: input.rolloutId,
          outcome: verdict.outcome,
          report: verdict.report,
        });
        return verdict;
      } catch (error) {
        if (error instanceof UnknownMetricError)
          throw ApplicationFailure.nonRetryable(`stages.shadow.compare.${error.message}`, FailureType.InvalidPlan);
        throw error;
      }
    },
  };
}

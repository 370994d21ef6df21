// The canary's behavioral-check activity, at every check of a canary step (and the bake): reads
// the window's answer samples from every gateway serving the route, judges phrasing on all of them
// and, when the plan configures an LLM judge, scores this look's new answers (at most
// judgeCallsPerCheck calls), then hands back the running state and the cursors for the next look
// (evals/canary-behavior.ts). Idempotent: the same input reads the same samples and gives the same
// verdict (bar a judge that answers differently when asked again).
import { setMaxListeners } from 'node:events';
import { Context } from '@temporalio/activity';
import { readEveryGateway, type GatewayReadTarget } from './gateway-read-target';
import type { AnswerSample } from '../lib/answer-sample';
import { GatewayAdminClient } from '../gateway/admin-client';
import { DEFAULT_REQUEST_RETRIES } from '../evals/behavioral-settings';
import {
  initialCanaryBehaviorState,
  judgeCanaryBehavior,
  type CanaryBehaviorConfig,
  type CanaryBehaviorState,
  type CanaryBehaviorVerdict,
} from '../evals/canary-behavior';
import { Limiter } from '../evals/limiter';
import { judgeOrder, LlmJudge, type LlmJudgeVerdict } from '../evals/llm-judge';
import type { MetricEvidence } from '../judge/verdict';
import type { RolloutPlan } from '../plan/schema';
import { apiKeyFrom } from './api-key';
import { gatewayReadFailure, readAllPages } from './gateway-pages';
import { whileHeartbeating } from './heartbeat';
import { resolveGatewayToken } from './traffic/gateway-token';

const PAGE = 10_000;
const MAX_PAGES = 100;

/** Where one gateway's samples of the current window begin, and how far this window's judge got. */
export interface SamplesCursor {
  epoch: string;
  /** Just before the window's first sample (the next look reads the window again from here). */
  sinceSeq: number;
  /** The newest sample a look has read: the judge scores only samples after it. */
  readThrough: number;
}

export interface CanaryBehaviorInput extends GatewayReadTarget {
  rolloutId: string;
  stage: string;
  /** Epoch ms: only samples from here on (the window's start, after any warm-up). */
  windowStartMs: number;
  config: CanaryBehaviorConfig;
  guardrails: RolloutPlan['guardrails'];
  /** Looks the window is planned for: its length over the check interval (twice, when it may be extended). */
  plannedLooks: number;
  state: CanaryBehaviorState | null;
  /** Per gateway admin URL; null at the window's first look. */
  cursors: Record<string, SamplesCursor> | null;
  /** The canary judge's evidence on refusals, JSON and length at this check, shown beside the findings. */
  alongside: MetricEvidence[];
}

export interface CanaryBehaviorResult {
  verdict: CanaryBehaviorVerdict;
  state: CanaryBehaviorState;
  cursors: Record<string, SamplesCursor>;
}

export interface SamplesRead {
  samples: AnswerSample[];
  epoch: string;
  restarted: boolean;
  lost: number;
  lastSeq: number;
}

export type AnswerSamplesReader = (input: {
  adminUrl: string;
  route: string;
  sinceSeq: number;
  epoch?: string;
  adminTokenEnv?: string;
}) => Promise<SamplesRead>;

export const readAnswerSamples: AnswerSamplesReader = async ({ adminUrl, route, sinceSeq, epoch, adminTokenEnv }) => {
  const client = new GatewayAdminClient({ adminUrl, token: resolveGatewayToken({ adminTokenEnv }), timeoutMs: 10_000 });
  const { items: samples, ...cursor } = await readAllPages({
    sinceSeq,
    epoch,
    pageSize: PAGE,
    maxPages: MAX_PAGES,
    dropOnRestart: true,
    page: async (since, current) => {
      try {
        const page = await client.answerSamples(route, { since, epoch: current, limit: PAGE });
        return { ...page, items: page.samples };
      } catch (error) {
        throw gatewayReadFailure(error, route, 'answer samples');
      }
    },
  });
  return { samples, ...cursor };
};

/** `count` items of `items`, evenly spaced. */
function spread<T>(items: readonly T[], count: number): T[] {
  if (items.length <= count) return [...items];
  return Array.from({ length: count }, (_, i) => items[Math.floor((i * items.length) / count)]!);
}

async function readWindowSamples(
  read: AnswerSamplesReader,
  input: CanaryBehaviorInput,
): Promise<{ window: AnswerSample[]; fresh: AnswerSample[]; cursors: Record<string, SamplesCursor>; notes: string[] }> {
  const answers = await readEveryGateway(input, 'answer samples', (adminUrl) => {
    const cursor = input.cursors?.[adminUrl];
    return read({
      adminUrl,
      route: input.route,
      sinceSeq: cursor?.sinceSeq ?? 0,
      epoch: cursor?.epoch || undefined,
      adminTokenEnv: input.adminTokenEnv,
    });
  });
  const window: AnswerSample[] = [];
  const fresh: AnswerSample[] = [];
  const cursors: Record<string, SamplesCursor> = {};
  const notes: string[] = [];
  for (const answer of answers) {
    const { adminUrl, where } = answer;
    const previous = input.cursors?.[adminUrl];
    if (!answer.ok) {
      notes.push(`${where}'s answer samples could not be read (${answer.message}); judged on the others`);
      if (previous) cursors[adminUrl] = previous;
      continue;
    }
    const { value } = answer;
    const inWindow = value.samples.filter((s) => Date.parse(s.at) >= input.windowStartMs);
    if (value.restarted) notes.push(`${where} restarted: its answer samples from before the restart are gone`);
    if (value.lost > 0)
      notes.push(
        `${where} had overwritten ${value.lost} answer samples before they were read (raise --answer-samples-capacity)`,
      );
    const readThrough = value.restarted || !previous ? 0 : previous.readThrough;
    window.push(...inWindow);
    fresh.push(...inWindow.filter((s) => s.seq > readThrough));
    const first = inWindow[0]?.seq;
    cursors[adminUrl] = {
      epoch: value.epoch,
      sinceSeq: first !== undefined ? first - 1 : value.restarted ? 0 : (previous?.sinceSeq ?? 0),
      readThrough: Math.max(readThrough, value.lastSeq),
    };
  }
  return { window, fresh, cursors, notes };
}

const side = (samples: AnswerSample[], backend: 'baseline' | 'candidate') =>
  samples.filter((s) => s.backend === backend).sort((a, b) => a.at.localeCompare(b.at) || a.seq - b.seq);

/**
 * One answer per distinct request on each side, for the phrasing check: a request asked again
 * (retries, popular prompts) gets a near-identical answer, and counting it each time would make
 * the words of one answer look like a habit of the model (the test counts answers as independent).
 */
function onePerRequest(samples: AnswerSample[]): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const sample of samples) {
    if (seen.has(sample.request)) continue;
    seen.add(sample.request);
    out.push(sample.answer);
  }
  return out;
}

/** Scores new candidate and baseline answers in pairs, each answer against its own request. */
async function judgeFresh(
  config: CanaryBehaviorConfig,
  fresh: AnswerSample[],
  signal: AbortSignal,
): Promise<LlmJudgeVerdict[]> {
  const settings = config.judge;
  if (!settings) return [];
  const candidates = side(fresh, 'candidate');
  const baselines = side(fresh, 'baseline');
  const calls = Math.min(config.judgeCallsPerCheck, candidates.length, baselines.length);
  if (calls === 0) return [];
  const judge = new LlmJudge({
    baseUrl: settings.baseUrl,
    model: settings.model,
    apiKey: apiKeyFrom(settings.apiKeyEnv, 'the LLM judge'),
    criteria: settings.criteria,
    requestTimeoutMs: settings.requestTimeout,
    retries: DEFAULT_REQUEST_RETRIES,
    orderSeed: settings.orderSeed,
  });
  const limiter = new Limiter(settings.concurrency);
  setMaxListeners(settings.concurrency + 64, signal);
  const pairs = spread(candidates, calls).map((candidate, i) => ({
    candidate,
    baseline: spread(baselines, calls)[i]!,
  }));
  return Promise.all(
    pairs.map(({ candidate, baseline }) => {
      const key = `${candidate.requestId}|${baseline.requestId}`;
      const [a, b] =
        judgeOrder(settings.orderSeed, key) === 'baseline_first' ? [baseline, candidate] : [candidate, baseline];
      const request = [
        'Two requests from live traffic; answer A replies to request A and answer B to request B. Score each answer against its own request.',
        `[request A]\n${a.request}`,
        `[request B]\n${b.request}`,
      ].join('\n\n');
      return limiter.run(() =>
        judge.judge({
          key,
          messages: [{ role: 'user', content: request }],
          baseline: baseline.answer,
          candidate: candidate.answer,
          signal,
        }),
      );
    }),
  );
}

export function createCanaryBehaviorActivities(read: AnswerSamplesReader = readAnswerSamples) {
  return {
    async checkCanaryBehavior(input: CanaryBehaviorInput): Promise<CanaryBehaviorResult> {
      // Heartbeating: the judge calls can take minutes; a lost worker must not hold the check that long.
      return whileHeartbeating(async () => {
        const context = Context.current();
        const { window, fresh, cursors, notes } = await readWindowSamples(read, input);
        const judged = await judgeFresh(input.config, fresh, context.cancellationSignal);
        const { verdict, state } = judgeCanaryBehavior({
          stage: input.stage,
          at: new Date().toISOString(),
          config: input.config,
          guardrails: input.guardrails,
          plannedLooks: input.plannedLooks,
          answers: {
            baseline: onePerRequest(side(window, 'baseline')),
            candidate: onePerRequest(side(window, 'candidate')),
          },
          judged,
          alongside: input.alongside,
          state: input.state ?? initialCanaryBehaviorState(),
          notes,
        });
        return { verdict, state, cursors };
      });
    },
  };
}

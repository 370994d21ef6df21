// The golden eval end to end, without Temporal: run the pipeline (both backends, judge,
// embeddings), judge every metric, decide, write the report. The activity (activities/evals.ts)
// adds heartbeats and resumption; the benchmark and tests call this directly too.
import type { RolloutPlan } from '../plan/schema';
import { DEFAULT_REQUEST_RETRIES, goldenMetricSpecs, goldenPolicy } from './behavioral-settings';
import { EmbeddingSimilarity } from './embedding-similarity';
import { writeReport } from './eval-report';
import type { GoldenItem } from './golden-dataset';
import { behavioralGoldenVerdict, itemPairs } from './golden-behavioral-verdict';
import { runGoldenPipeline, type GoldenRunState } from './golden-pipeline';
import { goldenReportRows } from './golden-report';
import { LlmJudge } from './llm-judge';
import type { BehavioralVerdict } from './metric-judgement';

export interface Endpoint {
  baseUrl: string;
  model: string;
  apiKey?: string;
}

export interface GoldenEvalRun {
  rolloutId: string;
  stage: string;
  items: GoldenItem[];
  /** Shown in the report. */
  datasetName?: string;
  config: RolloutPlan['stages']['goldenEval'];
  guardrails: RolloutPlan['guardrails'];
  baseline: Endpoint;
  candidate: Endpoint;
  /** API keys of the judge and embeddings endpoints (the plan names environment variables). */
  judgeApiKey?: string;
  embeddingsApiKey?: string;
  resume?: Partial<GoldenRunState>;
  onProgress?: (state: GoldenRunState) => void;
  signal?: AbortSignal;
  /** Where reports go (default: $ROLLOUT_REPORTS_DIR or .rollout/reports); null writes none. */
  reportsDir?: string | null;
  now?: () => Date;
}

export async function runBehavioralGoldenEval(
  run: GoldenEvalRun,
): Promise<{ verdict: BehavioralVerdict; state: GoldenRunState }> {
  const { config } = run;
  // Unknown metric names in the plan's policy are found before any request is sent.
  goldenMetricSpecs(config, run.guardrails);
  const retries = config.retries ?? DEFAULT_REQUEST_RETRIES;
  const judge = config.judge
    ? new LlmJudge({
        baseUrl: config.judge.baseUrl,
        model: config.judge.model,
        apiKey: run.judgeApiKey,
        criteria: config.judge.criteria,
        requestTimeoutMs: config.judge.requestTimeout,
        retries,
        orderSeed: config.judge.orderSeed,
      })
    : null;
  const embeddings = config.embeddings
    ? new EmbeddingSimilarity({
        baseUrl: config.embeddings.baseUrl,
        model: config.embeddings.model,
        apiKey: run.embeddingsApiKey,
        requestTimeoutMs: config.embeddings.requestTimeout,
        retries,
      })
    : null;
  const state = await runGoldenPipeline({
    items: run.items,
    baseline: run.baseline,
    candidate: run.candidate,
    concurrency: config.concurrency,
    requestTimeoutMs: config.requestTimeout,
    retries,
    ...(judge ? { judge: { scorer: judge, concurrency: config.judge!.concurrency } } : {}),
    ...(embeddings ? { embeddings: { scorer: embeddings, concurrency: config.embeddings!.concurrency } } : {}),
    resume: run.resume,
    onProgress: run.onProgress,
    signal: run.signal,
  });
  const at = (run.now ?? (() => new Date()))().toISOString();
  const verdict: BehavioralVerdict = behavioralGoldenVerdict({
    stage: run.stage,
    items: run.items,
    state,
    config,
    guardrails: run.guardrails,
    at,
  });
  if (run.reportsDir !== null) {
    const judged = state.judgements.filter((j) => j.judge);
    verdict.report = await writeReport(
      {
        kind: run.stage === 'replay' ? 'replay of captured traffic' : 'golden eval',
        rolloutId: run.rolloutId,
        verdict,
        facts: {
          dataset: run.datasetName ?? '(in memory)',
          items: run.items.length,
          baseline: `${run.baseline.model} at ${run.baseline.baseUrl}`,
          candidate: `${run.candidate.model} at ${run.candidate.baseUrl}`,
          'LLM judge': config.judge
            ? `${config.judge.model} at ${config.judge.baseUrl}; ${judged.filter((j) => j.judge?.order === 'baseline_first').length} items shown baseline first, ${judged.filter((j) => j.judge?.order === 'candidate_first').length} candidate first`
            : 'off',
          embeddings: config.embeddings ? `${config.embeddings.model} at ${config.embeddings.baseUrl}` : 'off',
          intervals: `paired bootstrap percentile intervals at 1 − α/m (α ${run.guardrails.alpha}, Bonferroni over the metrics)`,
          'min pairs per metric': goldenPolicy(config).minPairs,
        },
        settings: { config, guardrails: run.guardrails },
        rows: goldenReportRows(itemPairs(run.items, state), config.embeddings?.minSimilarity ?? null),
      },
      run.reportsDir,
    );
  }
  return { verdict, state };
}

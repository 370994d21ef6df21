// The A/B experiment's look at its primary metric (stages.experiment): the trials and successes of
// each arm since the experiment began, then judge/experiment-verdict.ts on them.
// - Feedback (the gateway's POST /v1/feedback): counted incrementally. Each look reads every
//   gateway's feedback (and, for conversions, its answers served) after the cursor the workflow
//   handed back, and adds it to the running tally; an experiment lasts days, longer than any
//   gateway keeps records. A gateway that restarted is read from its new process's first entry, and
//   the look says what could not be counted.
// - Prometheus: the plan's two queries per arm over the experiment's age, read whole at every look.
// Idempotent: the same input reads the same entries and returns the same tally.
import type { RequestRecord } from '../../gateway/admin-api';
import { GatewayAdminClient } from '../../gateway/admin-client';
import { experimentSamplePlan } from '../../judge/experiment-plan';
import { lookAtExperiment, type ExperimentLook, type ExperimentTally } from '../../judge/experiment-verdict';
import type { FeedbackEvent } from '../../lib/feedback-event';
import {
  ARM_PLACEHOLDER,
  WINDOW_PLACEHOLDER,
  experimentMetricName,
  type ExperimentMetric,
  type ExperimentStage,
} from '../../plan/experiment-schema';
import { readAllPages } from '../gateway-pages';
import { readEveryGateway, type GatewayReadTarget } from '../gateway-read-target';
import { resolveGatewayToken } from '../traffic/gateway-token';
import type { RecordsReader } from './gateway-records';
import { queryInstant, singleValue } from './prometheus-client';

const ARMS = ['baseline', 'candidate'] as const;
const PAGE = 10_000;
const MAX_PAGES = 100;

/** Where one gateway's uncounted entries begin. */
export interface ExperimentCursor {
  feedback: { epoch: string; sinceSeq: number };
  /** Answers served (conversion trials); absent for the other metrics. */
  records?: { epoch: string; sinceSeq: number };
}

export interface JudgeExperimentInput extends GatewayReadTarget {
  rolloutId: string;
  stage: string;
  prometheusUrl: string;
  experiment: ExperimentStage;
  /** The guardrails' alpha: the experiment's when it sets none. */
  guardrailAlpha: number;
  /** Epoch ms the experiment's traffic split began (after any warm-up). */
  windowStartMs: number;
  /** The tally so far (feedback metrics); zero at the first look. */
  tally: ExperimentTally;
  /** Per gateway admin URL; null at the first look. */
  cursors: Record<string, ExperimentCursor> | null;
  alwaysValidP: number;
  outOfTime: boolean;
}

export interface JudgeExperimentResult {
  look: ExperimentLook;
  tally: ExperimentTally;
  cursors: Record<string, ExperimentCursor> | null;
}

export interface FeedbackRead {
  feedback: FeedbackEvent[];
  epoch: string;
  restarted: boolean;
  lost: number;
  lastSeq: number;
}

export type FeedbackReader = (input: {
  adminUrl: string;
  route: string;
  sinceSeq: number;
  epoch?: string;
  adminTokenEnv?: string;
}) => Promise<FeedbackRead>;

export const readGatewayFeedback: FeedbackReader = async ({ adminUrl, route, sinceSeq, epoch, adminTokenEnv }) => {
  const client = new GatewayAdminClient({ adminUrl, token: resolveGatewayToken({ adminTokenEnv }), timeoutMs: 10_000 });
  const { items: feedback, ...cursor } = await readAllPages({
    sinceSeq,
    epoch,
    pageSize: PAGE,
    maxPages: MAX_PAGES,
    page: async (since, current) => {
      try {
        const page = await client.feedback(route, { since, epoch: current, limit: PAGE });
        return { ...page, items: page.feedback };
      } catch (error) {
        throw new Error(`gateway feedback: ${(error as Error).message}`, { cause: error });
      }
    },
  });
  return { feedback, ...cursor };
};

export function createExperimentActivities(
  readFeedback: FeedbackReader,
  readRecords: RecordsReader,
  clock: () => number = Date.now,
) {
  return {
    async judgeExperiment(input: JudgeExperimentInput): Promise<JudgeExperimentResult> {
      const { experiment } = input;
      const metric = experiment.metric;
      const plan = experimentSamplePlan(experiment, input.guardrailAlpha);
      if (!metric || !plan) throw new Error('the plan has no experiment metric or sample-size plan');
      const now = clock();
      const read =
        metric.source === 'prometheus'
          ? { tally: await prometheusTally(input, metric, now), cursors: null, notes: [] }
          : await feedbackTally(readFeedback, readRecords, input, metric);
      const look = lookAtExperiment({
        stage: input.stage,
        metric: experimentMetricName(metric),
        direction: experiment.direction,
        minTrials: experiment.minTrials,
        plan,
        tally: read.tally,
        alwaysValidP: input.alwaysValidP,
        outOfTime: input.outOfTime,
        at: new Date(now).toISOString(),
      });
      if (read.notes.length > 0) look.verdict.notes = [...(look.verdict.notes ?? []), ...read.notes];
      return { look, tally: read.tally, cursors: read.cursors };
    },
  };
}

/** Whether one feedback event is a trial of the metric, and a success. */
function scored(metric: Extract<ExperimentMetric, { source: 'feedback' }>, event: FeedbackEvent): boolean | null {
  if (event.kind !== metric.kind) return null;
  if (metric.kind === 'thumbs') return event.value === 1;
  if (metric.kind === 'score') return event.value >= metric.threshold!;
  return true;
}

function isArm(backend: string): backend is (typeof ARMS)[number] {
  return backend === 'baseline' || backend === 'candidate';
}

/** An answer the client got from that arm: a live exchange that succeeded (a fallback's answer is the fallback's). */
function served(record: RequestRecord): boolean {
  return record.mode === 'live' && record.status >= 200 && record.status < 300 && record.fallbackFor === undefined;
}

async function feedbackTally(
  readFeedback: FeedbackReader,
  readRecords: RecordsReader,
  input: JudgeExperimentInput,
  metric: Extract<ExperimentMetric, { source: 'feedback' }>,
): Promise<{ tally: ExperimentTally; cursors: Record<string, ExperimentCursor>; notes: string[] }> {
  const conversion = metric.kind === 'conversion';
  const answers = await readEveryGateway(input, 'feedback', async (adminUrl) => {
    const cursor = input.cursors?.[adminUrl];
    const feedback = await readFeedback({
      adminUrl,
      route: input.route,
      sinceSeq: cursor?.feedback.sinceSeq ?? 0,
      epoch: cursor?.feedback.epoch || undefined,
      adminTokenEnv: input.adminTokenEnv,
    });
    const records = conversion
      ? await readRecords({
          adminUrl,
          route: input.route,
          sinceSeq: cursor?.records?.sinceSeq ?? 0,
          epoch: cursor?.records?.epoch || undefined,
          adminTokenEnv: input.adminTokenEnv,
        })
      : null;
    return { feedback, records };
  });
  const tally: ExperimentTally = {
    baseline: { ...input.tally.baseline },
    candidate: { ...input.tally.candidate },
  };
  const cursors: Record<string, ExperimentCursor> = {};
  const notes: string[] = [];
  for (const answer of answers) {
    const { adminUrl, where } = answer;
    const previous = input.cursors?.[adminUrl];
    if (!answer.ok) {
      // Nothing of it is counted, and its cursor stays: the next look counts what this one missed.
      notes.push(`${where} could not be read (${answer.message}); its feedback is counted at the next look`);
      if (previous) cursors[adminUrl] = previous;
      continue;
    }
    const { feedback, records } = answer.value;
    if ((feedback.restarted && previous) || (records?.restarted && previous?.records))
      notes.push(
        `${where} restarted: what it recorded after the last look and before the restart was not counted; counting from its new process's first entry`,
      );
    const lost = feedback.lost + (records?.lost ?? 0);
    if (lost > 0)
      notes.push(
        `${where} had overwritten ${lost} entries (all routes) before they were counted: raise --feedback-capacity / --records-capacity or look more often`,
      );
    for (const event of feedback.feedback) {
      if (!isArm(event.backend) || Date.parse(event.at) < input.windowStartMs) continue;
      const success = scored(metric, event);
      if (success === null) continue;
      if (success) tally[event.backend].successes += 1;
      // A conversion's trials are the answers served, counted from the records below.
      if (!conversion) tally[event.backend].trials += 1;
    }
    for (const record of records?.records ?? []) {
      if (!isArm(record.backend) || !served(record) || Date.parse(record.at) < input.windowStartMs) continue;
      tally[record.backend].trials += 1;
    }
    cursors[adminUrl] = {
      feedback: { epoch: feedback.epoch, sinceSeq: feedback.lastSeq },
      ...(records && { records: { epoch: records.epoch, sinceSeq: records.lastSeq } }),
    };
  }
  // A conversion for an answer served before the experiment began, or counted before a restart, is
  // still one success: never more successes than trials.
  for (const arm of ARMS) tally[arm].successes = Math.min(tally[arm].successes, tally[arm].trials);
  return { tally, cursors, notes };
}

/** The two queries for one arm, over the experiment's age. */
export function armQuery(query: string, arm: string, windowSeconds: number): string {
  return query.split(ARM_PLACEHOLDER).join(arm).split(WINDOW_PLACEHOLDER).join(`${windowSeconds}s`);
}

async function prometheusTally(
  input: JudgeExperimentInput,
  metric: Extract<ExperimentMetric, { source: 'prometheus' }>,
  now: number,
): Promise<ExperimentTally> {
  const windowSeconds = Math.max(1, Math.round((now - input.windowStartMs) / 1_000));
  const count = async (query: string, arm: string): Promise<number> => {
    const text = armQuery(query, arm, windowSeconds);
    const value = singleValue(text, await queryInstant({ baseUrl: input.prometheusUrl, query: text, timeMs: now }));
    // No series yet (nothing counted): zero. A negative or infinite figure is the query's fault.
    if (value === null) return 0;
    if (!Number.isFinite(value) || value < 0)
      throw new Error(`experiment query for ${arm} gave ${value}, not a count: ${text}`);
    return Math.round(value);
  };
  const [baseline, candidate] = await Promise.all(
    ARMS.map(async (arm) => {
      const [successes, trials] = await Promise.all([count(metric.successes, arm), count(metric.trials, arm)]);
      if (successes > trials)
        throw new Error(
          `experiment queries for ${arm} counted ${successes} successes in ${trials} trials: the successes must be a subset of the trials`,
        );
      return { successes, trials };
    }),
  );
  return { baseline: baseline!, candidate: candidate! };
}

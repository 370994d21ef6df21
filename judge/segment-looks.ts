// The canary judged per live segment (stages.canary.segments): each segment the gateway tagged its
// records with (a tenant header, a metadata tag, a language) gets the same always-valid tests as
// the whole, on its own requests, so a regression confined to one tenant or one language fails the
// verdict even when the whole dilutes it below the tolerances. Pure.
//
// Multiplicity: the segments are their own family at the plan's α. Each tracked segment's judge
// runs at α / maxSegments (Bonferroni; it splits that again over its metrics, as the whole does),
// and maxSegments is fixed by the plan before any data is seen, so the bound holds however many
// segments turn up. A segment is tracked from the first look at which both arms have minRequests
// of its requests, in order of its traffic, until maxSegments are tracked; from then on it keeps its
// own sequential state across looks. The others are said to have too little data, or to be beyond
// the plan's maxSegments.
import type { RequestRecord } from '../lib/request-record';
import { initialJudgeState, judgeCanary, type JudgeConfig, type JudgeState } from './canary-judge';
import type { JudgeMetricEvidence, JudgeVerdict } from './judge-evidence';
import { armTraffic, metricData, type ArmSelector, type Pricing, type TailReferences } from './traffic-window';

export interface SegmentSettings {
  maxSegments: number;
  /** Requests per arm before a segment is tracked. */
  minRequests: number;
  /** The rule in a few words (lib/segment-rule.ts describeSegmentRule). */
  describe: string;
}

export interface SegmentLooksInput {
  stage: string;
  at: string;
  records: readonly RequestRecord[];
  sides: { baseline: ArmSelector; candidate: ArmSelector };
  windowStartMs: number;
  pricing: { baseline: Pricing; candidate: Pricing };
  references: TailReferences;
  /** The whole window's judge configuration; each segment's runs at its α / maxSegments. */
  config: JudgeConfig;
  settings: SegmentSettings;
  /** The tracked segments' sequential states from the previous look (null at a window's first). */
  states: Record<string, JudgeState> | null;
}

export interface SegmentLooks {
  states: Record<string, JudgeState>;
  notes: string[];
  /** The first tracked segment whose own verdict failed, with its failing evidence. */
  failed: { segment: string; reason: string; metrics: JudgeMetricEvidence[] } | null;
}

/** Untracked segments listed by name in the notes; the rest are counted. */
const MAX_LISTED_UNTRACKED = 5;

export function segmentLooks(input: SegmentLooksInput): SegmentLooks {
  const { settings, sides } = input;
  const bySegment = new Map<string, RequestRecord[]>();
  for (const record of input.records) {
    if (record.segment === undefined) continue;
    const list = bySegment.get(record.segment);
    if (list) list.push(record);
    else bySegment.set(record.segment, [record]);
  }
  const arms = new Map(
    [...bySegment].map(([segment, records]) => [
      segment,
      {
        baseline: armTraffic(records, sides.baseline, input.windowStartMs, input.pricing.baseline),
        candidate: armTraffic(records, sides.candidate, input.windowStartMs, input.pricing.candidate),
      },
    ]),
  );
  const tracked = Object.keys(input.states ?? {});
  const candidates = [...arms]
    .filter(([segment]) => !tracked.includes(segment))
    .sort(
      ([a, x], [b, y]) =>
        y.baseline.requests + y.candidate.requests - (x.baseline.requests + x.candidate.requests) || a.localeCompare(b),
    );
  const untracked: string[] = [];
  let beyond = 0;
  for (const [segment, traffic] of candidates) {
    const enough =
      traffic.baseline.requests >= settings.minRequests && traffic.candidate.requests >= settings.minRequests;
    if (enough && tracked.length < settings.maxSegments) tracked.push(segment);
    else if (enough) beyond += 1;
    else
      untracked.push(
        `${segment} (${traffic.baseline.requests} baseline, ${traffic.candidate.requests} candidate requests)`,
      );
  }

  const config: JudgeConfig = { ...input.config, alpha: input.config.alpha / settings.maxSegments };
  const states: Record<string, JudgeState> = {};
  const notes: string[] = [];
  let failed: SegmentLooks['failed'] = null;
  for (const segment of tracked) {
    const traffic = arms.get(segment) ?? {
      baseline: armTraffic([], sides.baseline, input.windowStartMs, input.pricing.baseline),
      candidate: armTraffic([], sides.candidate, input.windowStartMs, input.pricing.candidate),
    };
    const { verdict, state } = judgeCanary({
      stage: input.stage,
      at: input.at,
      config,
      data: metricData(traffic.baseline, traffic.candidate, input.references),
      state: input.states?.[segment] ?? initialJudgeState(),
    });
    states[segment] = state;
    notes.push(
      `segment ${segment}: ${verdict.outcome} (${traffic.baseline.requests} baseline, ${traffic.candidate.requests} candidate requests)${verdict.outcome === 'pass' ? '' : `: ${verdict.reason}`}`,
    );
    if (verdict.outcome === 'fail' && !failed)
      failed = { segment, reason: verdict.reason, metrics: failingEvidence(verdict, segment) };
  }
  if (untracked.length > 0) {
    const listed = untracked.slice(0, MAX_LISTED_UNTRACKED).join('; ');
    const more = untracked.length - MAX_LISTED_UNTRACKED;
    notes.push(
      `too little data to judge apart (fewer than ${settings.minRequests} requests on an arm): ${listed}${more > 0 ? `; and ${more} more segments` : ''}`,
    );
  }
  if (beyond > 0)
    notes.push(
      `${beyond} more segment${beyond === 1 ? '' : 's'} not judged apart: the plan's maxSegments (${settings.maxSegments}) are tracked`,
    );
  notes.unshift(
    `per segment of ${settings.describe}: ${tracked.length} judged apart at α/${settings.maxSegments} each (of ${bySegment.size} seen)`,
  );
  return { states, notes, failed };
}

/** The segment's metrics that failed it, named `metric@segment` beside the whole's. */
function failingEvidence(verdict: JudgeVerdict, segment: string): JudgeMetricEvidence[] {
  return verdict.metrics
    .filter((metric) => metric.classification === 'high' || metric.classification === 'low')
    .map((metric) => ({ ...metric, metric: `${metric.metric}@${segment}` }));
}

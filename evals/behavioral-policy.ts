// The behavioral gates' policy, in one place:
//
// Golden eval
//   fail          a regression on any blocking metric (or the plan's pass-rate floor broken);
//   inconclusive  a blocking metric could not be judged (too few pairs, too many items without a
//                 judge/embedding score) — "not enough evidence; needs review"; or no blocking
//                 regression but a detectable difference (an improvement, or a regression on a
//                 non-blocking metric) — "differs from the baseline; needs review";
//   pass          every metric unchanged.
// Shadow comparison (the seeds' rule)
//   fail          `failAtBreaches` (2) or more breached thresholds, or one on a blocking metric;
//   inconclusive  exactly one breach — "needs review"; or too few pairs, or a scorer that left too
//                 many pairs unscored;
//   pass          no breach (improvements are listed in the reason).
// The workflow maps fail → roll back, inconclusive → a 'needs_review' human gate, pass → continue.
import type { VerdictOutcome } from '../judge/verdict';
import { formatDelta, type BehavioralMetricEvidence } from './metric-judgement';

export interface Decision {
  outcome: VerdictOutcome;
  reason: string;
}

export function shortEvidence(m: BehavioralMetricEvidence): string {
  if (m.change === 'no_data') {
    if (m.status === 'incomplete')
      return `${m.metric} no score on ${m.noScore}/${m.expected}${
        m.noScoreReasons
          ? ` (${Object.entries(m.noScoreReasons)
              .map(([reason, count]) => `${count}× ${reason}`)
              .join('; ')})`
          : ''
      }`;
    if (m.status === 'insufficient') return `${m.metric} has ${m.samples.baseline} pairs (needs more)`;
    return `${m.metric} not applicable`;
  }
  if (m.summary) return `${m.metric}: ${m.summary}`;
  const interval = m.interval ? ` [${formatDelta(m.interval[0], m)} … ${formatDelta(m.interval[1], m)}]` : '';
  return `${m.metric} ${formatDelta(m.delta, m)}${interval} vs tolerance ${formatDelta(m.tolerance, m).replace(/^\+/, '±')}`;
}

const list = (metrics: BehavioralMetricEvidence[]) => metrics.map(shortEvidence).join('; ');

export function goldenDecision(
  metrics: BehavioralMetricEvidence[],
  passRate?: { failed: boolean; reason: string },
): Decision {
  const regressions = metrics.filter((m) => m.change === 'regression');
  const blockingRegressions = regressions.filter((m) => m.blocking);
  if (blockingRegressions.length > 0 || passRate?.failed) {
    const parts = [
      ...(blockingRegressions.length > 0 ? [`regression on blocking metric(s): ${list(blockingRegressions)}`] : []),
      ...(passRate?.failed ? [passRate.reason] : []),
    ];
    return { outcome: 'fail', reason: parts.join('; ') };
  }
  const unjudged = metrics.filter(
    (m) => m.change === 'no_data' && (m.status === 'incomplete' || (m.status === 'insufficient' && m.blocking)),
  );
  const improvements = metrics.filter((m) => m.change === 'improvement');
  const nonBlocking = regressions.filter((m) => !m.blocking);
  if (unjudged.length > 0) {
    const differs = [...improvements, ...nonBlocking];
    return {
      outcome: 'inconclusive',
      reason: `not enough evidence; needs review: ${list(unjudged)}${differs.length > 0 ? `; also differs from the baseline: ${list(differs)}` : ''}`,
    };
  }
  if (improvements.length > 0 || nonBlocking.length > 0) {
    const parts = [
      ...(improvements.length > 0 ? [`improvement: ${list(improvements)}`] : []),
      ...(nonBlocking.length > 0 ? [`non-blocking change: ${list(nonBlocking)}`] : []),
    ];
    return { outcome: 'inconclusive', reason: `differs from the baseline; needs review: ${parts.join('; ')}` };
  }
  const judged = metrics.filter((m) => m.change === 'none').length;
  return {
    outcome: 'pass',
    reason: `no detectable change on ${judged} metric${judged === 1 ? '' : 's'}${passRate ? ` (${passRate.reason})` : ''}`,
  };
}

export function shadowDecision(
  metrics: BehavioralMetricEvidence[],
  options: { pairs: number; minPairs: number; failAtBreaches: number },
): Decision {
  const breaches = metrics.filter((m) => m.change === 'regression');
  const improvements = metrics.filter((m) => m.change === 'improvement');
  const also = improvements.length > 0 ? `; improvement: ${list(improvements)}` : '';
  if (breaches.length >= options.failAtBreaches || breaches.some((m) => m.blocking)) {
    return {
      outcome: 'fail',
      reason: `${breaches.length} breached threshold${breaches.length === 1 ? '' : 's'} on ${options.pairs} shadow pairs: ${list(breaches)}`,
    };
  }
  if (breaches.length > 0) {
    return {
      outcome: 'inconclusive',
      reason: `1 breached threshold on ${options.pairs} shadow pairs; differs from the baseline; needs review: ${list(breaches)}${also}`,
    };
  }
  if (options.pairs < options.minPairs)
    return {
      outcome: 'inconclusive',
      reason: `only ${options.pairs} shadow pairs (needs ${options.minPairs}); not enough evidence; needs review`,
    };
  const unjudged = metrics.filter((m) => m.status === 'incomplete');
  if (unjudged.length > 0)
    return { outcome: 'inconclusive', reason: `not enough evidence; needs review: ${list(unjudged)}${also}` };
  const judged = metrics.filter((m) => m.change === 'none' || m.change === 'improvement').length;
  return {
    outcome: 'pass',
    reason: `no breached threshold on ${options.pairs} shadow pairs (${judged} metrics)${also}`,
  };
}

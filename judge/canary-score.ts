// Score and outcome of one look, from the metrics' evidence.
//
// Score (0–100), Kayenta's weighted groups with per-metric weights inside a group:
//   score = 100 · Σ_g W_g · s_g / Σ_g W_g  over groups with a classified metric, where
//   s_g = Σ_{m∈g, classified} w_m · [class_m = pass] / Σ_{m∈g, classified} w_m,
//   "classified" = pass/high/low of a blocking metric; W_g = groupWeights[g] (default 1),
//   w_m = metric weight (default 1). bestCase = the same with every no_data blocking metric
//   counted as pass.
// Outcome:
//   fail          a critical blocking metric is High/Low, or bestCase < marginal;
//   inconclusive  a blocking metric has no data / too few samples, or score < pass, or
//                 (requireWithinTolerance) a critical metric's interval still allows a
//                 regression of its tolerance;
//   pass          enough samples everywhere and score ≥ pass.
import type { JudgeConfig } from './canary-input';
import type { JudgeMetricEvidence, ScoreBreakdown } from './judge-evidence';
import type { VerdictOutcome } from './verdict';

export function scoreOf(metrics: JudgeMetricEvidence[], config: JudgeConfig): ScoreBreakdown {
  const groups = new Map<string, JudgeMetricEvidence[]>();
  for (const m of metrics) {
    if (!m.blocking) continue;
    const list = groups.get(m.group) ?? [];
    list.push(m);
    groups.set(m.group, list);
  }
  const groupRows: ScoreBreakdown['groups'] = [];
  let num = 0;
  let den = 0;
  let bestNum = 0;
  let bestDen = 0;
  for (const [group, list] of groups) {
    const W = config.groupWeights?.[group] ?? 1;
    let passW = 0;
    let classifiedW = 0;
    let unclassifiedW = 0;
    for (const m of list) {
      if (m.classification === 'no_data') unclassifiedW += m.weight;
      else {
        classifiedW += m.weight;
        if (m.classification === 'pass') passW += m.weight;
      }
    }
    const groupScore = classifiedW > 0 ? passW / classifiedW : null;
    groupRows.push({
      group,
      weight: W,
      score: groupScore === null ? null : round1(100 * groupScore),
      metrics: list.map((m) => m.metric),
    });
    if (groupScore !== null) {
      num += W * groupScore;
      den += W;
    }
    const totalW = classifiedW + unclassifiedW;
    if (totalW > 0) {
      bestNum += (W * (passW + unclassifiedW)) / totalW;
      bestDen += W;
    }
  }
  return {
    score: den > 0 ? round1((100 * num) / den) : null,
    bestCase: bestDen > 0 ? round1((100 * bestNum) / bestDen) : null,
    groups: groupRows,
    thresholds: { ...config.scoreThresholds },
  };
}

function round1(x: number): number {
  return Math.round(x * 10) / 10;
}

export function decide(
  metrics: JudgeMetricEvidence[],
  score: ScoreBreakdown,
  config: JudgeConfig,
): { outcome: VerdictOutcome; reason: string } {
  const blocking = metrics.filter((m) => m.blocking);
  const breached = blocking.filter((m) => m.classification === 'high' || m.classification === 'low');
  const criticalBreaches = breached.filter((m) => m.critical);
  const { pass, marginal } = config.scoreThresholds;
  if (criticalBreaches.length > 0) {
    return { outcome: 'fail', reason: `critical regression: ${criticalBreaches.map((m) => m.message).join('; ')}` };
  }
  if (score.bestCase !== null && score.bestCase < marginal && breached.length > 0) {
    return {
      outcome: 'fail',
      reason: `score ${score.score ?? '—'} (at best ${score.bestCase}) below the marginal threshold ${marginal}: ${breached.map((m) => m.message).join('; ')}`,
    };
  }
  if (blocking.length === 0) return { outcome: 'inconclusive', reason: 'no blocking metrics configured' };
  const missing = blocking.filter((m) => m.classification === 'no_data');
  if (missing.length > 0) {
    const parts = missing.map((m) =>
      m.status === 'insufficient'
        ? `${m.metric} (${m.samples.candidate}/${m.samples.baseline} requests, needs ${m.minSamples} each)`
        : `${m.metric} (no data)`,
    );
    return { outcome: 'inconclusive', reason: `not enough evidence yet: ${parts.join(', ')}` };
  }
  const s = score.score ?? 0;
  if (s < marginal)
    return {
      outcome: 'fail',
      reason: `score ${s} below the marginal threshold ${marginal}: ${breached.map((m) => m.message).join('; ')}`,
    };
  if (s < pass)
    return {
      outcome: 'inconclusive',
      reason: `marginal score ${s} (pass needs ${pass}): ${breached.map((m) => m.message).join('; ')}`,
    };
  if (config.requireWithinTolerance) {
    const open = blocking.filter((m) => m.critical && m.withinTolerance !== true);
    if (open.length > 0)
      return {
        outcome: 'inconclusive',
        reason: `no regression found, but not yet shown within tolerance: ${open.map((m) => m.metric).join(', ')}`,
      };
  }
  const n = Math.min(...blocking.map((m) => m.samples.candidate));
  return {
    outcome: 'pass',
    reason: `score ${s}: ${blocking.length} metrics without a regression (at least ${n} candidate requests each)`,
  };
}

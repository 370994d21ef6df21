// `rollout plan check`: what a plan will do, before it does it.
import { configurationLines } from '../plan/backend-config-schema';
import { formatDuration } from '../plan/duration';
import { goldenSegmentsSchema } from '../plan/golden-eval-schema';
import { resolveMetrics } from '../plan/metrics-schema';
import { enabledDistribution, enabledGuardrail, routeOf, routerLocationOf, type RolloutPlan } from '../plan/schema';
import { describeSelector, DIALECTS } from '../plan/series-dialects';
import { unjudgedFromSeries } from '../judge/series-window';
import { canaryPower } from '../judge/plan-power';
import { experimentSamplePlan } from '../judge/experiment-plan';
import { experimentMetricName } from '../plan/experiment-schema';
import { unjudgedByPlan } from '../judge/plan-judge-config';
import { COHORT_JUDGING_TEXT, describeCohort } from '../lib/cohort-match';
import { describeSegmentRule } from '../lib/segment-rule';
import { cohortJudging, stagesOf, type StageSpec } from '../workflows/rollout-stages';
import { goldenMetricSpecs, shadowCompare, shadowMetricSpecs, UnknownMetricError } from '../evals/behavioral-settings';
import type { MetricSpec } from '../evals/metric-judgement';
import { PHRASING_METRIC } from '../evals/phrasing-metric';

export function describePlan(plan: RolloutPlan): string {
  const stages = stagesOf(plan);
  const lines = [
    `plan ok: ${plan.rollout.id}${plan.rollout.name ? ` (${plan.rollout.name})` : ''}`,
    `  baseline  ${plan.backends.baseline.model} at ${plan.backends.baseline.baseUrl}`,
    `  candidate ${plan.backends.candidate.model} at ${plan.backends.candidate.baseUrl}`,
    ...poolLines(plan),
    ...configurationLines(plan.backends).map((line) => `  ${line}`),
    ...(plan.stages.canary.cohort ? [`  cohort    ${describeCohort(plan.stages.canary.cohort.match)}`] : []),
    `  router    ${plan.router.kind} ${routerLocationOf(plan.router)}, route ${routeOf(plan)}`,
    ...(plan.router.kind === 'gateway' && plan.router.fallback
      ? [
          `  fallback  ${plan.router.fallback.model} at ${plan.router.fallback.baseUrl}: live requests failing before the first byte retried there (up to ${plan.router.fallback.maxAttempts} attempt${plan.router.fallback.maxAttempts === 1 ? '' : 's'}), its answers counted apart`,
        ]
      : []),
    `  metrics   Prometheus at ${plan.prometheus.url}, checked every ${formatDuration(plan.stages.canary.checkInterval)}`,
    '  stages',
  ];
  for (const stage of stages) {
    const gate = stage.approvalBefore ? '  [approval first]' : '';
    const what =
      stage.kind === 'shadow'
        ? `mirror ${Math.round(plan.stages.shadow.share * 100)}% of live traffic for ${formatDuration(stage.windowMs)}`
        : stage.id === 'replay'
          ? `captured traffic ${plan.stages.replay.dataset} sent to both backends, judged like the golden eval${segmentsText(plan.stages.replay)}`
          : stage.kind === 'golden_eval'
            ? `golden dataset ${plan.stages.goldenEval.dataset} (pass rate ≥ ${plan.stages.goldenEval.minPassRate}, drop ≤ ${plan.stages.goldenEval.maxRegression}${segmentsText(plan.stages.goldenEval)})`
            : stage.kind === 'canary'
              ? canaryText(stage)
              : stage.kind === 'experiment'
                ? experimentText(plan, stage)
                : `100% with a ${formatDuration(stage.windowMs)} bake, ${plan.stages.shadow.enabled ? 'baseline kept warm on mirrored traffic' : 'no live baseline to compare (no mirroring): a human signs off the bake'}${plan.stages.cutover.retireBaseline ? ', then retired' : ''}`;
    lines.push(`    ${stage.id.padEnd(12)} ${what}${gate}`);
  }
  if (plan.approvals.requiredBefore.includes('retire')) lines.push('    retire       [approval first]');
  const { revertWindow } = plan.stages.cutover;
  lines.push(
    `    revert       ${revertWindow > 0 ? `for ${formatDuration(revertWindow)} after promotion: \`rollout revert <id> --reason\` puts ${plan.backends.baseline.model} back at once` : 'none (stages.cutover.revertWindow is 0): the rollout ends at promotion'}`,
  );
  const observedStages = stages.filter((stage) => stage.kind !== 'golden_eval');
  // The experiment's window is its longest duration; it ends at its planned size (below).
  const observed = observedStages
    .filter((stage) => stage.kind !== 'experiment')
    .reduce((total, stage) => total + stage.windowMs, 0);
  const warmUpMs = plan.guardrails.warmUp ?? 0;
  if (warmUpMs > 0)
    lines.push(
      `  warm-up   ${formatDuration(warmUpMs)} after each traffic change left out of judging, before each window starts`,
    );
  const warmUps = warmUpMs > 0 ? `, ${formatDuration(warmUpMs * observedStages.length)} of warm-up` : '';
  lines.push(
    `  time      at least ${formatDuration(observed)} of observation${warmUps}, plus the golden eval${plan.stages.experiment?.enabled ? ', the experiment' : ''} and approvals`,
  );
  lines.push(
    `  approvals ${plan.approvals.required > 1 ? `${plan.approvals.required} distinct of ` : ''}${plan.approvals.approvers.join(', ') || '(none)'}; timeout ${formatDuration(plan.approvals.timeout)} → ${plan.approvals.onTimeout}${plan.approvals.allowSelfApproval ? '' : '; requester may not approve'}`,
  );
  const rails = (
    [
      'errorRate',
      'p99Latency',
      'timeToFirstToken',
      'costPerRequest',
      'refusalRate',
      'schemaAdherence',
      'length',
      'judgeScore',
    ] as const
  )
    .filter((name) => plan.guardrails[name].enabled)
    .map((name) => `${name}${plan.guardrails[name].critical ? '*' : ''} ±${plan.guardrails[name].tolerance}`);
  lines.push(
    `  guards    ${rails.join(', ')}  (* critical); ≥ ${plan.guardrails.minRequests} requests per side before a pass`,
  );
  const distribution = enabledDistribution(plan.guardrails);
  if (distribution)
    lines.push(
      `            latencyDistribution${distribution.critical ? '*' : ''} +${distribution.tolerance} at ${distribution.quantiles.map((q) => `p${+(q * 100).toFixed(1)}`).join('/')} of latency${enabledGuardrail(plan.guardrails, 'timeToFirstToken') ? ' and time to first token' : ''}: one always-valid test across them (baseline quantiles from the shadow soak${plan.stages.shadow.enabled ? '' : ', which this plan has not: never judged'})`,
    );
  lines.push(...unmeasuredLines(plan));
  lines.push(...judgeLines(plan));
  lines.push(...behavioralLines(plan));
  lines.push(...segmentLines(plan));
  lines.push(...experimentLines(plan));
  const power = canaryPower(plan);
  if (!power) {
    lines.push('  power     set stages.canary.expected.requestsPerMinute to see how long each window must be');
  } else {
    lines.push(
      `  power     windows needed at ${plan.stages.canary.expected!.requestsPerMinute} requests/min to catch twice the tolerances (80% power):`,
    );
    if (plan.stages.canary.cohort)
      lines.push("    (the cohort's steps are not planned: the cohort's share of the route's traffic is not known)");
    for (const step of power) {
      const needed = Number.isFinite(step.neededMinutes) ? `${step.neededMinutes.toFixed(1)} min` : 'cannot be planned';
      const verdict = step.neededMinutes <= step.plannedMinutes ? 'ok' : 'TOO SHORT';
      lines.push(
        `    ${step.stage.padEnd(12)} ${String(step.weight).padStart(3)}%: needs ${needed} (limited by ${step.limitingMetric}); planned ${step.plannedMinutes.toFixed(1)} min  ${verdict}`,
      );
    }
  }
  return lines.join('\n');
}

function experimentText(plan: RolloutPlan, stage: StageSpec): string {
  const metric = plan.stages.experiment.metric!;
  return `A/B experiment: ${stage.candidateWeight}% on the candidate (sticky per user) until the planned sample, at most ${formatDuration(stage.windowMs)}; decides on ${experimentMetricName(metric)}, guardrails judged throughout; ends at a gate (ship or keep the baseline)`;
}

/** Live segments: who is judged apart, at what level, from how many requests. */
function segmentLines(plan: RolloutPlan): string[] {
  const segments = plan.stages.canary.segments;
  if (!segments) return [];
  const minRequests = segments.minRequests ?? plan.guardrails.minRequests;
  return [
    `  segments  per ${describeSegmentRule(segments.by)}, at every check of each canary step: the first ${segments.maxSegments} segments with ${minRequests} requests on each arm are judged apart at α/${segments.maxSegments} each (their own family at α ${plan.guardrails.alpha}); a regression in one fails the window; smaller ones are said to have too little data`,
  ];
}

/** The experiment's sample-size plan: what the fixed-horizon test needs, and how long that takes. */
function experimentLines(plan: RolloutPlan): string[] {
  const stage = plan.stages.experiment;
  const sample = stage?.enabled ? experimentSamplePlan(stage, plan.guardrails.alpha) : null;
  if (!stage?.enabled || !sample || !stage.metric) return [];
  const metric = stage.metric;
  const unit =
    metric.source === 'prometheus'
      ? `trials (${metric.trials})`
      : metric.kind === 'conversion'
        ? 'answers served'
        : metric.kind === 'thumbs'
          ? 'rated answers (thumbs)'
          : 'scored answers';
  const pct = (x: number) => `${+(x * 100).toFixed(2)}%`;
  const lines = [
    `  experiment ${experimentMetricName(metric)} (${stage.direction.replace(/_/g, ' ')}): baseline ${pct(sample.baselineRate)}, detect ${pct(sample.targetRate)} (±${pct(sample.minimumDetectableEffect)}) with ${Math.round(sample.power * 100)}% power`,
    `            needs ${sample.candidate.toLocaleString('en-US')} candidate and ${sample.baseline.toLocaleString('en-US')} baseline ${unit} at a ${stage.share}/${100 - stage.share} split`,
    `            two-proportion z test (χ²) at α ${+sample.levels.final.toFixed(4)} at that size; always-valid early looks at α ${+sample.levels.early.toFixed(4)} from ${stage.minTrials} trials per arm (together α ${sample.levels.alpha}): a harm rolls back, a clear win ends it early`,
  ];
  if (sample.expectedMinutes !== null) {
    const fits = sample.expectedMinutes <= stage.maxDuration / 60_000;
    lines.push(
      `            at ${stage.expectedTrialsPerMinute} trials/min: about ${formatDuration(Math.ceil(sample.expectedMinutes) * 60_000)}; longest ${formatDuration(stage.maxDuration)}  ${fits ? 'ok' : 'TOO SHORT: the experiment would end short of its sample'}`,
    );
  } else {
    lines.push('            set stages.experiment.expectedTrialsPerMinute to see how long that takes');
  }
  return lines;
}

/** Guardrails with nothing to measure: left out of every verdict (the plan), or of a window (the traffic). */
function unmeasuredLines(plan: RolloutPlan): string[] {
  const lines = Object.entries(
    unjudgedByPlan(plan.guardrails, {
      baseline: plan.backends.baseline.pricing,
      candidate: plan.backends.candidate.pricing,
    }),
  ).map(([name, why]) => `            ${name} not judged: ${why}; it never blocks`);
  const byTraffic = [
    enabledGuardrail(plan.guardrails, 'schemaAdherence') ? 'schemaAdherence (JSON-mode requests)' : null,
    enabledGuardrail(plan.guardrails, 'timeToFirstToken') ? 'timeToFirstToken (streamed answers)' : null,
  ].filter((rail): rail is string => rail !== null);
  if (byTraffic.length > 0)
    lines.push(
      `            ${byTraffic.join(', ')}: not applicable in a window where neither arm has any, never blocking`,
    );
  return lines;
}

/** Which judge really decides, and on which data: the records, which series, or the gateway's figures. */
/** The behavioral gates' metric tables (blocking ones starred), and what the phrasing check looks for. */
function behavioralLines(plan: RolloutPlan): string[] {
  const names = (specs: MetricSpec[]) => specs.map((s) => `${s.metric}${s.blocking ? '*' : ''}`).join(', ');
  const lines: string[] = [];
  const phrasing: MetricSpec[] = [];
  try {
    if (plan.stages.goldenEval.enabled) {
      const specs = goldenMetricSpecs(plan.stages.goldenEval, plan.guardrails);
      phrasing.push(...specs.filter((s) => s.metric === PHRASING_METRIC));
      lines.push(`  behavior  golden eval: ${names(specs)}  (* a regression fails the eval)`);
    }
    if (plan.stages.shadow.enabled && plan.router.kind !== 'gateway') {
      lines.push(
        `  ${lines.length === 0 ? 'behavior ' : '         '} shadow soak: answers not compared: the mirrored answer pairs are the llm-rollout gateway's, and ${plan.router.kind} keeps none`,
      );
    } else if (plan.stages.shadow.enabled) {
      const compare = shadowCompare(plan.stages.shadow);
      const { baseline, candidate } = plan.backends;
      const priced = [baseline.pricing, candidate.pricing].some((p) => p.inputPer1k > 0 || p.outputPer1k > 0);
      const specs = shadowMetricSpecs(compare, plan.guardrails, priced);
      phrasing.push(...specs.filter((s) => s.metric === PHRASING_METRIC));
      lines.push(
        `  ${lines.length === 0 ? 'behavior ' : '         '} shadow soak: ${names(specs)}  (* rolls back alone; ${compare.failAtBreaches}+ breaches roll back, fewer ask a human)`,
      );
    }
  } catch (error) {
    if (error instanceof UnknownMetricError) return [`  behavior  ${error.message}`];
    throw error;
  }
  lines.push(...canaryBehaviorLines(plan, lines.length === 0));
  const tolerances = [...new Set(phrasing.map((s) => `±${(s.tolerance * 100).toFixed(0)} pts`))].join(' / ');
  if (phrasing.length > 0)
    lines.push(
      `            phrasing: a phrase (2–4 word run, opening or closing) the candidate adds to more answers than the baseline, beyond ${tolerances}; no judge needed`,
    );
  return lines;
}

/** The canary's behavioral check on live answers (stages.canary.behavioral), or that it is off. */
function canaryBehaviorLines(plan: RolloutPlan, first: boolean): string[] {
  const lead = first ? '  behavior ' : '           ';
  const config = plan.stages.canary.behavioral;
  if (!config?.enabled || plan.router.kind !== 'gateway')
    return [
      `${lead} canary live answers: off (stages.canary.behavioral enables phrasing and judge checks at every check)`,
    ];
  const metrics = [
    ...(config.phrasing.enabled
      ? [`phrasing${config.phrasing.blocking ? '*' : ''} (±${(config.phrasing.tolerance * 100).toFixed(0)} pts)`]
      : []),
    ...(config.judge
      ? config.judge.criteria.map((c) => `judge.${c.name}${plan.guardrails.judgeScore.critical ? '*' : ''}`)
      : []),
  ];
  const where = config.bake ? 'every check of each canary step and the bake' : 'every check of each canary step';
  return [
    `${lead} canary live answers, at ${where}: ${metrics.join(', ') || 'nothing enabled'}  (* rolls back; otherwise asks a person)`,
    `            phrasing: α spent over the window's looks (union bound)${config.judge ? `; judge: always-valid mean test, at most ${config.judgeCallsPerCheck} calls per check` : ''}; refusals, JSON and length are the canary judge's`,
  ];
}

function judgeLines(plan: RolloutPlan): string[] {
  const { guardrails } = plan;
  if (guardrails.judge === 'threshold') {
    const note =
      plan.router.kind === 'gateway'
        ? ''
        : ' — only the llm-rollout gateway exports them, so behind this router it has no data';
    return [`  judge     threshold, on the gateway's llm_gateway_* series in Prometheus${note}`];
  }
  const head = `  judge     statistical (always-valid, alpha ${guardrails.alpha} over each window; score pass ${guardrails.score.pass}, marginal ${guardrails.score.marginal})`;
  const resolved = resolveMetrics(plan);
  if (resolved.source === 'records') return [head, "            on the gateway's per-request records"];
  const { traffic, latency, referenceLookbackMs } = resolved.selection;
  const responses = DIALECTS[traffic.dialect].responses!;
  const lines = [head, `            on Prometheus series, differenced at each check:`];
  lines.push(
    `            requests/errors (${traffic.dialect}): ${describeSelector(responses.metric, traffic.baseline)} vs ${describeSelector(responses.metric, traffic.candidate)}, errors ${responses.statusLabel}=~"${responses.errorStatus}"`,
  );
  const histogram = latency.dialect === 'none' ? undefined : DIALECTS[latency.dialect].latency;
  if (histogram) {
    lines.push(
      `            latency (${latency.dialect}): ${describeSelector(`${histogram.metric}_bucket`, latency.baseline)} vs ${describeSelector(`${histogram.metric}_bucket`, latency.candidate)}`,
    );
    const firstToken = latency.dialect === 'none' ? undefined : DIALECTS[latency.dialect].firstToken;
    if (firstToken)
      lines.push(
        `            time to first token (${latency.dialect}, when the traffic streams): ${describeSelector(`${firstToken.metric}_bucket`, latency.candidate)} vs the baseline's`,
      );
    lines.push(
      `            latency reference: an earlier stage's, else the baseline's histogram in the ${formatDuration(referenceLookbackMs)} before the window`,
    );
  }
  const unjudged = Object.entries(unjudgedFromSeries(resolved.selection)).filter(
    ([name]) => (guardrails as unknown as Record<string, { enabled?: boolean } | undefined>)[name]?.enabled,
  );
  if (unjudged.length > 0)
    lines.push(
      `            not judged from these series: ${unjudged.map(([name, why]) => `${name} (${why})`).join('; ')}`,
    );
  return lines;
}

/** A canary step's share and, in a cohort plan, whose traffic it is and what it is judged against. */
function canaryText(stage: StageSpec): string {
  const window = formatDuration(stage.windowMs);
  const judging = cohortJudging(stage);
  if (!judging) return `${stage.candidateWeight}% for ${window}`;
  const share =
    stage.candidateWeight === 0
      ? `${stage.cohortWeight}% of the cohort for ${window}, everyone else on the baseline`
      : `${stage.candidateWeight}% of the rest for ${window}, the cohort kept at ${stage.cohortWeight}%`;
  return `${share}; ${COHORT_JUDGING_TEXT[judging]}`;
}

/** The golden eval's per-segment verdicts, as the eval will apply them (evals/golden-segments.ts). */
function segmentsText(stage: RolloutPlan['stages']['goldenEval']): string {
  const segments = stage.segments ?? goldenSegmentsSchema.parse({});
  return segments.enabled ? `; each tag with ≥ ${segments.minItems} items judged on its own` : '';
}

/** A pooled side's members with their weights: the gateway splits that side's traffic over them. */
function poolLines(plan: RolloutPlan): string[] {
  return (['baseline', 'candidate'] as const).flatMap((side) => {
    const pool = plan.backends[side].pool;
    if (!pool) return [];
    const total = pool.reduce((sum, member) => sum + member.weight, 0);
    const members = pool.map(
      (m) =>
        `${m.name} ${Math.round((100 * m.weight) / total)}% (${m.model ?? plan.backends[side].model} at ${m.baseUrl})`,
    );
    return [`  ${side} pool: ${members.join(', ')}; judged as one side, each member shown in the verdicts`];
  });
}

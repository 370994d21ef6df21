// `rollout plan check`: what a plan will do, before it does it.
import { formatDuration } from '../plan/duration';
import { routeOf, type RolloutPlan } from '../plan/schema';
import { canaryPower } from '../judge/plan-power';
import { stagesOf } from '../workflows/rollout-stages';

export function describePlan(plan: RolloutPlan): string {
  const stages = stagesOf(plan);
  const lines = [
    `plan ok: ${plan.rollout.id}${plan.rollout.name ? ` (${plan.rollout.name})` : ''}`,
    `  baseline  ${plan.backends.baseline.model} at ${plan.backends.baseline.baseUrl}`,
    `  candidate ${plan.backends.candidate.model} at ${plan.backends.candidate.baseUrl}`,
    `  router    ${plan.router.kind} ${plan.router.kind === 'gateway' ? plan.router.adminUrl : plan.router.statsSocket}, route ${routeOf(plan)}`,
    `  metrics   Prometheus at ${plan.prometheus.url}, checked every ${formatDuration(plan.stages.canary.checkInterval)}`,
    '  stages',
  ];
  for (const stage of stages) {
    const gate = stage.approvalBefore ? '  [approval first]' : '';
    const what =
      stage.kind === 'shadow'
        ? `mirror ${Math.round(plan.stages.shadow.share * 100)}% of live traffic for ${formatDuration(stage.windowMs)}`
        : stage.kind === 'golden_eval'
          ? `golden dataset ${plan.stages.goldenEval.dataset} (pass rate ≥ ${plan.stages.goldenEval.minPassRate}, drop ≤ ${plan.stages.goldenEval.maxRegression})`
          : stage.kind === 'canary'
            ? `${stage.candidateWeight}% for ${formatDuration(stage.windowMs)}`
            : `100% with a ${formatDuration(stage.windowMs)} bake, ${plan.stages.shadow.enabled ? 'baseline kept warm on mirrored traffic' : 'no live baseline to compare (no mirroring): a human signs off the bake'}${plan.stages.cutover.retireBaseline ? ', then retired' : ''}`;
    lines.push(`    ${stage.id.padEnd(12)} ${what}${gate}`);
  }
  if (plan.approvals.requiredBefore.includes('retire')) lines.push('    retire       [approval first]');
  const observed = stages.reduce((total, stage) => total + stage.windowMs, 0);
  lines.push(`  time      at least ${formatDuration(observed)} of observation, plus the golden eval and approvals`);
  lines.push(`  approvals ${plan.approvals.approvers.join(', ') || '(none)'}; timeout ${formatDuration(plan.approvals.timeout)} → ${plan.approvals.onTimeout}${plan.approvals.allowSelfApproval ? '' : '; requester may not approve'}`);
  const rails = (['errorRate', 'p99Latency', 'timeToFirstToken', 'costPerRequest', 'refusalRate', 'schemaAdherence', 'length', 'judgeScore'] as const)
    .filter((name) => plan.guardrails[name].enabled)
    .map((name) => `${name}${plan.guardrails[name].critical ? '*' : ''} ±${plan.guardrails[name].tolerance}`);
  lines.push(`  guards    ${rails.join(', ')}  (* critical); ≥ ${plan.guardrails.minRequests} requests per side before a pass`);
  lines.push(`  judge     ${plan.guardrails.judge}${plan.guardrails.judge === 'statistical' ? ` (always-valid, alpha ${plan.guardrails.alpha} over each window; score pass ${plan.guardrails.score.pass}, marginal ${plan.guardrails.score.marginal})` : ''}`);
  const power = canaryPower(plan);
  if (!power) {
    lines.push('  power     set stages.canary.expected.requestsPerMinute to see how long each window must be');
  } else {
    lines.push(`  power     windows needed at ${plan.stages.canary.expected!.requestsPerMinute} requests/min to detect the tolerances (80% power):`);
    for (const step of power) {
      const needed = Number.isFinite(step.neededMinutes) ? `${step.neededMinutes.toFixed(1)} min` : 'cannot be planned';
      const verdict = step.neededMinutes <= step.plannedMinutes ? 'ok' : 'TOO SHORT';
      lines.push(`    ${step.stage.padEnd(12)} ${String(step.weight).padStart(3)}%: needs ${needed} (limited by ${step.limitingMetric}); planned ${step.plannedMinutes.toFixed(1)} min  ${verdict}`);
    }
  }
  return lines.join('\n');
}

// What every traffic-window judge is given. Its own module so that the activity contract and the
// judges that extend this input both import it, without importing each other.
import type { RolloutPlan } from '../../plan/schema';

type Pricing = RolloutPlan['backends']['baseline']['pricing'];

export interface JudgeTrafficWindowInput {
  rolloutId: string;
  stage: string;
  /** 'shadow': candidate answers mirrored traffic; 'canary': both serve live traffic; 'bake': the baseline answers mirrored traffic. */
  mode: 'shadow' | 'canary' | 'bake';
  prometheusUrl: string;
  route: string;
  /** The window judged runs from here to the activity's own clock. */
  windowStartMs: number;
  guardrails: RolloutPlan['guardrails'];
  pricing: { baseline: Pricing; candidate: Pricing };
}

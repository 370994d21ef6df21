// The PromQL selectors behind the series judge: one plain selector per family and arm, read at
// an instant (raw cumulative values; the differencing happens in judge/series-counters.ts, so no
// rate() or increase() extrapolation enters the counts).
import { DIALECTS, type LabelSet, type SeriesSelection } from '../../plan/series-dialects';
import type { Arm, Family } from '../../judge/series-window';
import { familiesOf } from '../../judge/series-window';
import type { JudgeTrafficWindowInput } from './judge-window-input';
import { sidesFor } from './judge-window';
import { selector, type Matcher } from './promql';

function matchers(...sets: Array<LabelSet | undefined>): Matcher[] {
  const merged: LabelSet = Object.assign({}, ...sets.filter(Boolean)) as LabelSet;
  return Object.entries(merged).map(([name, value]) => [name, '=', value]);
}

/** Each family's selector for one arm; families the selection does not read are absent. */
export function seriesQueries(
  selection: SeriesSelection,
  arm: Arm,
  mode: JudgeTrafficWindowInput['mode'],
): Partial<Record<Family, string>> {
  const traffic = DIALECTS[selection.traffic.dialect];
  // Only the gateway tells live from mirrored traffic; elsewhere a model server that receives
  // mirrored copies (vLLM in a shadow soak) simply counts them as its own requests.
  const trafficMode = traffic.modeLabel ? { [traffic.modeLabel]: sidesFor(mode)[arm].mode } : undefined;
  const trafficLabels = selection.traffic[arm];
  const queries: Partial<Record<Family, string>> = {};
  const { read } = familiesOf(selection);
  if (read.includes('responses') && traffic.responses)
    queries.responses = selector(
      traffic.responses.metric,
      matchers(traffic.responses.matchers, trafficLabels, trafficMode),
    );
  if (traffic.flags) {
    queries.refusals = selector(
      traffic.flags.refusals.metric,
      matchers(traffic.flags.refusals.matchers, trafficLabels, trafficMode),
    );
    queries.jsonRequests = selector(
      traffic.flags.jsonRequests.metric,
      matchers(traffic.flags.jsonRequests.matchers, trafficLabels, trafficMode),
    );
    queries.invalidJson = selector(
      traffic.flags.invalidJson.metric,
      matchers(traffic.flags.invalidJson.matchers, trafficLabels, trafficMode),
    );
  }
  if (selection.latency.dialect !== 'none') {
    const latency = DIALECTS[selection.latency.dialect];
    const latencyMode = latency.modeLabel ? { [latency.modeLabel]: sidesFor(mode)[arm].mode } : undefined;
    const labels = selection.latency[arm];
    if (latency.latency)
      queries.latency = selector(
        `${latency.latency.metric}_bucket`,
        matchers(latency.latency.matchers, labels, latencyMode),
      );
    if (latency.firstToken)
      queries.firstToken = selector(
        `${latency.firstToken.metric}_bucket`,
        matchers(latency.firstToken.matchers, labels, latencyMode),
      );
  }
  return queries;
}

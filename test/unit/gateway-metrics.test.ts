import { describe, it, expect } from 'vitest';
import { GatewayMetrics } from '../../gateway/metrics';
import type { Observation } from '../../gateway/metrics';
import { RouteTable } from '../../gateway/route-table';

const BASE: Observation = {
  route: 'chat',
  backend: 'candidate',
  model: 'sim-b',
  mode: 'live',
  status: 200,
  latencyMs: 120,
  ttftMs: null,
  promptTokens: 10,
  completionTokens: 20,
  refusal: false,
  validJson: null,
  cohort: false,
};
const LABELS = 'route="chat",backend="candidate",model="sim-b",mode="live"';

async function text(metrics: GatewayMetrics): Promise<string> {
  return (await metrics.render()).body;
}

describe('GatewayMetrics', () => {
  it("counts a fallback's answers under its own backend and each attempt in llm_gateway_fallbacks_total", async () => {
    const metrics = new GatewayMetrics({ defaultMetrics: false });
    metrics.observe({ ...BASE, status: 503, fallbackTo: 'spare' });
    metrics.observe({ ...BASE, backend: 'spare', model: 'sim-s', status: 502, fallbackFor: 'candidate' });
    metrics.observe({ ...BASE, backend: 'spare', model: 'sim-s', fallbackFor: 'candidate' });
    metrics.observe(BASE);
    const out = await text(metrics);
    expect(out).toContain(`llm_gateway_requests_total{${LABELS},code="503"} 1`);
    expect(out).toContain(`llm_gateway_requests_total{${LABELS},code="200"} 1`);
    const spare = 'route="chat",backend="spare",model="sim-s",mode="live"';
    expect(out).toContain(`llm_gateway_requests_total{${spare},code="502"} 1`);
    expect(out).toContain(`llm_gateway_requests_total{${spare},code="200"} 1`);
    expect(out).toContain('llm_gateway_fallbacks_total{route="chat",from="candidate",to="spare"} 2');
    metrics.observe({ ...BASE, backend: 'spare', model: 'sim-s', fallbackFor: 'candidate' });
    expect(await text(metrics)).toContain('llm_gateway_fallbacks_total{route="chat",from="candidate",to="spare"} 3');
  });

  it('counts pool members in series of their own and leaves the backend series as they are', async () => {
    const metrics = new GatewayMetrics({ defaultMetrics: false });
    metrics.observe(BASE);
    const unpooled = await text(metrics);
    expect(unpooled).not.toMatch(/^llm_gateway_member_\w+\{/m);
    metrics.observe({ ...BASE, member: 'gpu-a' });
    metrics.observe({ ...BASE, member: 'gpu-b', status: 503, latencyMs: 40 });
    metrics.observe({ ...BASE, member: 'gpu-b' });
    const out = await text(metrics);
    expect(out).toContain(`llm_gateway_requests_total{${LABELS},code="200"} 3`);
    expect(out).toContain(`llm_gateway_requests_total{${LABELS},code="503"} 1`);
    const a = 'route="chat",backend="candidate",member="gpu-a",mode="live"';
    const b = 'route="chat",backend="candidate",member="gpu-b",mode="live"';
    expect(out).toContain(`llm_gateway_member_requests_total{${a},code="200"} 1`);
    expect(out).toContain(`llm_gateway_member_requests_total{${b},code="200"} 1`);
    expect(out).toContain(`llm_gateway_member_requests_total{${b},code="503"} 1`);
    expect(out).toContain(`llm_gateway_member_request_duration_seconds_count{${b}} 2`);
    expect(out).toContain(`llm_gateway_member_request_duration_seconds_bucket{le="0.05",${b}} 1`);
    expect(out.match(/^llm_gateway_requests_total\{.*member=/m)).toBeNull();
  });

  it('counts requests, tokens, durations and flags with the contract labels', async () => {
    const metrics = new GatewayMetrics({ defaultMetrics: false });
    metrics.observe({ ...BASE, refusal: true, validJson: false });
    metrics.observe({ ...BASE, validJson: true });
    metrics.observe({ ...BASE, status: 503, refusal: true, validJson: false, promptTokens: 0, completionTokens: 0 });
    const out = await text(metrics);
    expect(out).toContain(`llm_gateway_requests_total{${LABELS},code="200"} 2`);
    expect(out).toContain(`llm_gateway_requests_total{${LABELS},code="503"} 1`);
    expect(out).toContain(`llm_gateway_tokens_total{${LABELS},kind="prompt"} 20`);
    expect(out).toContain(`llm_gateway_tokens_total{${LABELS},kind="completion"} 40`);
    // Flags and the JSON denominator only count successful responses.
    expect(out).toContain(`llm_gateway_responses_flagged_total{${LABELS},flag="refusal"} 1`);
    expect(out).toContain(`llm_gateway_responses_flagged_total{${LABELS},flag="invalid_json"} 1`);
    expect(out).toContain(`llm_gateway_json_requests_total{${LABELS}} 2`);
    expect(out).toContain(`llm_gateway_request_duration_seconds_bucket{le="0.2",${LABELS}} 3`);
    expect(out).toContain(`llm_gateway_request_duration_seconds_bucket{le="0.1",${LABELS}} 0`);
  });

  it('observes time to first token for streamed answers only', async () => {
    const metrics = new GatewayMetrics({ defaultMetrics: false });
    metrics.observe({ ...BASE, ttftMs: 40 });
    metrics.observe({ ...BASE, ttftMs: 400 });
    metrics.observe(BASE);
    const out = await text(metrics);
    expect(out).toContain(`llm_gateway_time_to_first_token_seconds_count{${LABELS}} 2`);
    expect(out).toContain(`llm_gateway_time_to_first_token_seconds_bucket{le="0.05",${LABELS}} 1`);
    expect(out).toContain(`llm_gateway_time_to_first_token_seconds_bucket{le="0.5",${LABELS}} 2`);
    expect(out).toContain(`llm_gateway_request_duration_seconds_count{${LABELS}} 3`);
  });

  it('mirrors route weights and shadow share, and drops series of deleted routes', async () => {
    const metrics = new GatewayMetrics({ defaultMetrics: false });
    const table = new RouteTable();
    table.onChange((route, state, previous) => metrics.reflectRoute(route, state, previous));
    table.define('chat', {
      backends: [
        { name: 'baseline', baseUrl: 'http://127.0.0.1:1/v1', model: 'sim-a' },
        { name: 'candidate', baseUrl: 'http://127.0.0.1:2/v1', model: 'sim-b' },
      ],
    });
    table.setWeights('chat', { weights: { baseline: 75, candidate: 25 } });
    table.setShadow('chat', { enabled: true, target: 'candidate', share: 0.4 });
    let out = await text(metrics);
    expect(out).toContain('llm_gateway_backend_weight{route="chat",backend="baseline"} 75');
    expect(out).toContain('llm_gateway_backend_weight{route="chat",backend="candidate"} 25');
    expect(out).toContain('llm_gateway_shadow_share{route="chat"} 0.4');

    table.setShadow('chat', { enabled: false });
    expect(await text(metrics)).toContain('llm_gateway_shadow_share{route="chat"} 0');

    table.setWeights('chat', { weights: { baseline: 100 } });
    table.define('chat', { backends: [{ name: 'baseline', baseUrl: 'http://127.0.0.1:1/v1', model: 'sim-a' }] });
    out = await text(metrics);
    expect(out).not.toContain('backend="candidate"');

    table.remove('chat');
    out = await text(metrics);
    expect(out).not.toContain('route="chat"');
  });

  it('counts spend at the pricing the route gives each backend, and nothing for an unpriced one', async () => {
    const metrics = new GatewayMetrics({ defaultMetrics: false });
    const table = new RouteTable();
    table.onChange((route, state, previous) => metrics.reflectRoute(route, state, previous));
    table.define('chat', {
      backends: [
        { name: 'baseline', baseUrl: 'http://127.0.0.1:1/v1', model: 'sim-a' },
        {
          name: 'candidate',
          baseUrl: 'http://127.0.0.1:2/v1',
          model: 'sim-b',
          pricing: { inputPer1k: 1, outputPer1k: 3 },
        },
      ],
    });
    metrics.observe(BASE);
    metrics.observe({ ...BASE, mode: 'shadow' });
    metrics.observe({ ...BASE, backend: 'baseline', model: 'sim-a' });
    const out = await text(metrics);
    // (10 × 1 + 20 × 3) / 1000 per request.
    expect(out).toContain(`llm_gateway_cost_usd_total{${LABELS}} 0.07`);
    expect(out).toContain(
      'llm_gateway_cost_usd_total{route="chat",backend="candidate",model="sim-b",mode="shadow"} 0.07',
    );
    expect(out).not.toMatch(/llm_gateway_cost_usd_total\{[^}]*backend="baseline"/);
  });

  it('exports the rollout marked on a route, replacing the previous stage', async () => {
    const metrics = new GatewayMetrics({ defaultMetrics: false });
    const table = new RouteTable();
    table.onChange((route, state, previous) => metrics.reflectRoute(route, state, previous));
    table.define('chat', { backends: [{ name: 'baseline', baseUrl: 'http://127.0.0.1:1/v1', model: 'sim-a' }] });
    expect(await text(metrics)).not.toContain('llm_gateway_rollout_stage{');
    table.markRollout('chat', { rollout: 'r1', stage: 'shadow' });
    table.markRollout('chat', { rollout: 'r1', stage: 'canary-1' });
    let out = await text(metrics);
    expect(out).toContain('llm_gateway_rollout_stage{route="chat",rollout="r1",stage="canary-1"} 1');
    expect(out).not.toContain('stage="shadow"');
    table.remove('chat');
    out = await text(metrics);
    expect(out).not.toContain('llm_gateway_rollout_stage{');
  });
});

// What a check finds different between a gateway route and the plan's definition of it, part by
// part, and that it finds nothing in a route the gateway shows as it was defined.
import { describe, expect, it } from 'vitest';
import { definitionDrift } from '../../activities/traffic/gateway-definition-drift';
import type { RouteDefinition, RouteState } from '../../gateway/admin-api';
import { configDigest, type ConfigBundle } from '../../lib/config-bundle';

const bundle: ConfigBundle = { systemPrompt: 'Be brief.', systemPromptMode: 'prepend' };
const wanted: RouteDefinition = {
  backends: [
    {
      name: 'baseline',
      baseUrl: 'http://a:1/v1',
      model: 'a',
      apiKey: 'sk-a',
      pricing: { inputPer1k: 1, outputPer1k: 2 },
    },
    {
      name: 'candidate',
      baseUrl: 'http://b:1/v1',
      model: 'b',
      config: bundle,
      members: [
        { name: 'east', baseUrl: 'http://b:1/v1', weight: 1, apiKey: 'sk-east' },
        { name: 'west', baseUrl: 'http://b:2/v1', model: 'b-eu', weight: 3 },
      ],
    },
  ],
  fallback: { backend: { name: 'fallback', baseUrl: 'http://f:1/v1', model: 'f' }, timeoutMs: 5_000 },
  segmentation: { header: 'x-tenant' },
};

/** The route as the gateway shows the definition above: no keys, the bundle's digest, maxAttempts filled in. */
function shownAsDefined(): RouteState {
  return {
    route: 'r',
    backends: [
      { name: 'baseline', baseUrl: 'http://a:1/v1', model: 'a', pricing: { inputPer1k: 1, outputPer1k: 2 } },
      {
        name: 'candidate',
        baseUrl: 'http://b:1/v1',
        model: 'b',
        config: bundle,
        configDigest: configDigest(bundle)!,
        members: [
          { name: 'east', baseUrl: 'http://b:1/v1', weight: 1 },
          { name: 'west', baseUrl: 'http://b:2/v1', model: 'b-eu', weight: 3 },
        ],
      },
    ],
    weights: { baseline: 90, candidate: 10 },
    shadow: { enabled: false, target: null, share: 0 },
    rollout: null,
    cohort: null,
    fallback: { backend: { name: 'fallback', baseUrl: 'http://f:1/v1', model: 'f' }, maxAttempts: 1, timeoutMs: 5_000 },
    capture: null,
    segmentation: { header: 'x-tenant' },
    version: 3,
    updatedAt: '2026-12-07T00:00:00.000Z',
  };
}

describe('definitionDrift', () => {
  it('finds nothing in a route shown as it was defined (keys unseen, maxAttempts filled in)', () => {
    expect(definitionDrift(shownAsDefined(), wanted)).toEqual([]);
  });

  it('names each part that differs, and no value', () => {
    const shown = shownAsDefined();
    shown.backends[1] = { name: 'candidate', baseUrl: 'http://stale:1/v1', model: 'b' };
    shown.fallback = { ...shown.fallback!, maxAttempts: 2, timeoutMs: undefined };
    shown.segmentation = { language: true };
    const drift = definitionDrift(shown, wanted);
    expect(drift).toEqual([
      "the candidate backend's baseUrl, configuration bundle, pool members",
      "the fallback's maxAttempts, timeoutMs",
      'the segment rule',
    ]);
    expect(drift.join(' ')).not.toContain('stale');
  });

  it('sees a member weight moved, a price gone, a backend, fallback or rule missing, and ones the plan does not name', () => {
    const shown = shownAsDefined();
    shown.backends[0] = { name: 'baseline', baseUrl: 'http://a:1/v1', model: 'a' };
    shown.backends[1]!.members![1] = { ...shown.backends[1]!.members![1]!, weight: 1 };
    expect(definitionDrift(shown, wanted)).toEqual([
      "the baseline backend's pricing",
      "the candidate backend's pool members",
    ]);
    const bare = {
      ...shownAsDefined(),
      backends: shownAsDefined().backends.slice(0, 1),
      fallback: null,
      segmentation: null,
    };
    expect(definitionDrift(bare, wanted)).toEqual([
      'the candidate backend: gone',
      'the fallback: gone',
      'the segment rule: gone',
    ]);
    const { fallback: _fallback, segmentation: _segmentation, ...withoutExtras } = wanted;
    expect(definitionDrift(shownAsDefined(), withoutExtras)).toEqual([
      'a fallback the plan does not name',
      'a segment rule the plan does not name',
    ]);
  });
});

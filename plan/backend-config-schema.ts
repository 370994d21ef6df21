// A backend's configuration bundle as a plan writes it (lib/config-bundle.ts): the bundle's fields,
// plus `systemPromptFile`, a file next to the plan that loading reads into `systemPrompt` (and
// keeps the name, so the record says where the text came from).
import { z } from 'zod';
import {
  configBundleProblems,
  configBundleShape,
  configDigest,
  describeConfigBundle,
  shortDigest,
  type ConfigBundle,
} from '../lib/config-bundle';

export const backendConfigSchema = z
  .strictObject({
    ...configBundleShape,
    /** Read when the plan file is loaded; a plan handed over as JSON must carry `systemPrompt` itself. */
    systemPromptFile: z.string().min(1, 'must name a file').optional(),
  })
  .superRefine((config, ctx) => {
    if (config.systemPromptFile !== undefined && config.systemPrompt === undefined)
      ctx.addIssue({
        code: 'custom',
        path: ['systemPromptFile'],
        message:
          'systemPromptFile is read when a plan file is loaded (`rollout start`, `rollout plan check`); a plan started another way must carry systemPrompt inline',
      });
    for (const [path, message] of configBundleProblems(bundleOf(config)))
      ctx.addIssue({ code: 'custom', path, message });
  });

export type BackendConfigPlan = z.output<typeof backendConfigSchema>;

/** The bundle the gateway applies and the digest covers: without where the prompt was read from. */
export function bundleOf(config: BackendConfigPlan): ConfigBundle;
export function bundleOf(config: BackendConfigPlan | undefined): ConfigBundle | undefined;
export function bundleOf(config: BackendConfigPlan | undefined): ConfigBundle | undefined {
  if (!config) return undefined;
  const { systemPromptFile: _source, ...bundle } = config;
  return bundle;
}

/** Each side's bundle as the record names it: short digest and what it sets; empty when neither has one. */
export function configurationLines(backends: {
  baseline: { config?: BackendConfigPlan | undefined };
  candidate: { config?: BackendConfigPlan | undefined };
}): string[] {
  return (['baseline', 'candidate'] as const).flatMap((side) => {
    const config = backends[side].config;
    if (!config) return [];
    const bundle = bundleOf(config);
    return [
      `${side} configuration ${shortDigest(configDigest(bundle)!)}: ${describeConfigBundle(bundle, config.systemPromptFile)}`,
    ];
  });
}

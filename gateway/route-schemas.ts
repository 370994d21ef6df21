// Validation of admin API bodies. Shapes come from admin-api.ts; zod adds the constraints the
// types cannot express (non-empty names, http(s) URLs, integer weights, shares in 0..1). Bodies
// are strict: an unknown field is a 400 rather than silently ignored, since a typo such as
// `wieghts` would otherwise be a no-op the caller believes succeeded.
import { z } from 'zod';
import { cohortMatchSchema } from '../lib/cohort-match';
import { configBundleSchema } from '../lib/config-bundle';
import { segmentRuleSchema } from '../lib/segment-rule';
import { CAPTURE_MASKS } from './admin-api';
import type {
  BackendSpec,
  CaptureRedaction,
  CohortRule,
  PoolMember,
  RolloutMarker,
  RouteDefinition,
  RouteFallback,
  SetCaptureRequest,
  SetShadowRequest,
  SetWeightsRequest,
} from './admin-api';
import { InvalidRequestError } from './errors';

/** Route names are public model names; kept to characters safe in URLs, headers and labels. */
export const ROUTE_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:@/-]{0,127}$/;
/** Backend names are roles within a route (baseline, candidate, ...), used as metric labels. */
export const BACKEND_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export function assertRouteName(route: string): void {
  if (!ROUTE_NAME_PATTERN.test(route)) {
    throw new InvalidRequestError('route', `'${route}' must match ${ROUTE_NAME_PATTERN.source}`);
  }
}

/** More members would make a pool a fleet the gateway's admin API is not meant to manage. */
export const MAX_POOL_MEMBERS = 16;

const poolMemberSchema = z.strictObject({
  name: z.string().regex(BACKEND_NAME_PATTERN, `must match ${BACKEND_NAME_PATTERN.source}`),
  baseUrl: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }),
  model: z.string().min(1, 'must be a non-empty string when given').optional(),
  apiKey: z.string().min(1, 'must be a non-empty string when given').optional(),
  weight: z.int('must be an integer').min(0, 'must be >= 0'),
}) satisfies z.ZodType<PoolMember>;

const poolMembersSchema = z
  .array(poolMemberSchema)
  .min(1, 'must list at least one member when given')
  .max(MAX_POOL_MEMBERS, `must list at most ${MAX_POOL_MEMBERS} members`)
  .superRefine((members, ctx) => {
    const seen = new Set<string>();
    members.forEach((member, index) => {
      if (seen.has(member.name))
        ctx.addIssue({ code: 'custom', path: [index, 'name'], message: `duplicate member name '${member.name}'` });
      seen.add(member.name);
    });
    if (!members.some((member) => member.weight > 0))
      ctx.addIssue({ code: 'custom', message: 'at least one member must have a weight > 0' });
  });

const backendSpecSchema = z.strictObject({
  name: z.string().regex(BACKEND_NAME_PATTERN, `must match ${BACKEND_NAME_PATTERN.source}`),
  baseUrl: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }),
  model: z.string().min(1, 'must be a non-empty string'),
  apiKey: z.string().min(1, 'must be a non-empty string when given').optional(),
  pricing: z
    .strictObject({
      inputPer1k: z.number('must be a number').min(0, 'must be >= 0'),
      outputPer1k: z.number('must be a number').min(0, 'must be >= 0'),
    })
    .optional(),
  config: configBundleSchema.optional(),
  members: poolMembersSchema.optional(),
}) satisfies z.ZodType<BackendSpec>;

/** More than three fallback attempts per request would turn a failing backend into a request storm. */
export const MAX_FALLBACK_ATTEMPTS = 3;

const routeFallbackSchema = z.strictObject({
  backend: backendSpecSchema,
  maxAttempts: z
    .int('must be an integer')
    .min(1, 'must be >= 1')
    .max(MAX_FALLBACK_ATTEMPTS, `must be <= ${MAX_FALLBACK_ATTEMPTS}`)
    .optional(),
  timeoutMs: z.int('must be an integer').min(1, 'must be >= 1').optional(),
}) satisfies z.ZodType<RouteFallback>;

export const routeDefinitionSchema = z
  .strictObject({
    backends: z.array(backendSpecSchema).min(1, 'must list at least one backend'),
    fallback: routeFallbackSchema.optional(),
    segmentation: segmentRuleSchema.nullable().optional(),
  })
  .superRefine((definition, ctx) => {
    const seen = new Set<string>();
    definition.backends.forEach((backend, index) => {
      if (seen.has(backend.name)) {
        ctx.addIssue({
          code: 'custom',
          path: ['backends', index, 'name'],
          message: `duplicate backend name '${backend.name}'`,
        });
      }
      seen.add(backend.name);
    });
    // Records and series are told apart by backend name alone: a fallback named like one of the
    // route's backends would count its answers as that backend's.
    const fallbackName = definition.fallback?.backend.name;
    if (fallbackName !== undefined && seen.has(fallbackName)) {
      ctx.addIssue({
        code: 'custom',
        path: ['fallback', 'backend', 'name'],
        message: `'${fallbackName}' is already a backend of the route; the fallback needs a name of its own`,
      });
    }
  }) satisfies z.ZodType<RouteDefinition>;

/** Per backend name; which names the route has and the sum of 100 are checked by the route table. */
const weightsSchema = z.record(
  z.string(),
  z.int('must be an integer').min(0, 'must be >= 0').max(100, 'must be <= 100'),
);

export const cohortRuleSchema = z.strictObject({
  match: cohortMatchSchema,
  weights: weightsSchema,
}) satisfies z.ZodType<CohortRule>;

export const setWeightsSchema = z.strictObject({
  weights: weightsSchema,
  cohort: cohortRuleSchema.nullable().optional(),
}) satisfies z.ZodType<SetWeightsRequest>;

export const setShadowSchema = z.strictObject({
  enabled: z.boolean('must be a boolean'),
  target: z.string().min(1, 'must be a non-empty string').optional(),
  share: z.number('must be a number').min(0, 'must be >= 0').max(1, 'must be <= 1').optional(),
}) satisfies z.ZodType<SetShadowRequest>;

/** Rollout ids and stage names become metric labels: kept to the characters route names allow. */
const MARKER_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:@/-]{0,199}$/;

export const rolloutMarkerSchema = z.strictObject({
  rollout: z.string().regex(MARKER_PATTERN, `must match ${MARKER_PATTERN.source}`),
  stage: z.string().regex(MARKER_PATTERN, `must match ${MARKER_PATTERN.source}`),
}) satisfies z.ZodType<RolloutMarker>;

/** Compiled once per route change and run on every captured request: bounded in number and length. */
export const MAX_CAPTURE_PATTERNS = 20;
export const MAX_CAPTURE_PATTERN_CHARS = 200;
const MAX_DROP_FIELDS = 50;
const FIELD_NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

const captureRedactionSchema = z.strictObject({
  dropFields: z
    .array(z.string().regex(FIELD_NAME_PATTERN, `must match ${FIELD_NAME_PATTERN.source}`))
    .max(MAX_DROP_FIELDS, `must list at most ${MAX_DROP_FIELDS} fields`)
    .optional(),
  mask: z.array(z.enum(CAPTURE_MASKS, `must be one of ${CAPTURE_MASKS.join(', ')}`)).optional(),
  patterns: z
    .array(
      z.strictObject({
        regex: z
          .string('must be a string')
          .min(1, 'must be a non-empty string')
          .max(MAX_CAPTURE_PATTERN_CHARS, `must be at most ${MAX_CAPTURE_PATTERN_CHARS} characters`),
        replacement: z.string('must be a string').max(200, 'must be at most 200 characters').optional(),
      }),
    )
    .max(MAX_CAPTURE_PATTERNS, `must list at most ${MAX_CAPTURE_PATTERNS} patterns`)
    .optional(),
}) satisfies z.ZodType<CaptureRedaction>;

export const setCaptureSchema = z
  .strictObject({
    enabled: z.boolean('must be a boolean'),
    share: z.number('must be a number').gt(0, 'must be > 0').max(1, 'must be <= 1').optional(),
    redact: captureRedactionSchema.optional(),
  })
  .superRefine((request, ctx) => {
    // Settings that would be dropped by enabled: false are refused, not silently forgotten.
    if (!request.enabled) {
      for (const field of ['share', 'redact'] as const) {
        if (request[field] !== undefined)
          ctx.addIssue({ code: 'custom', path: [field], message: 'is only allowed with enabled: true' });
      }
    }
    request.redact?.dropFields?.forEach((field, index) => {
      if (field === 'messages')
        ctx.addIssue({
          code: 'custom',
          path: ['redact', 'dropFields', index],
          message: "'messages' is what a capture keeps and cannot be dropped",
        });
    });
    request.redact?.patterns?.forEach(({ regex }, index) => {
      const problem = regexProblem(regex);
      if (problem !== null)
        ctx.addIssue({ code: 'custom', path: ['redact', 'patterns', index, 'regex'], message: problem });
    });
  }) satisfies z.ZodType<SetCaptureRequest>;

/** Why `source` cannot be a capture pattern, or null when it can. */
function regexProblem(source: string): string | null {
  let regex: RegExp;
  try {
    regex = new RegExp(source, 'g');
  } catch (error) {
    return `is not a valid regular expression (${(error as Error).message})`;
  }
  // A pattern matching nothing at all would put its replacement between every two characters.
  return regex.test('') ? 'must not match the empty string' : null;
}

// How a route's capture setting redacts a request before it is kept (request-capture.ts): fields
// dropped, built-in patterns masked, custom patterns replaced. The rules are compiled once per route
// change (route-table.ts), never per request, and a request is redacted before anything of it is
// stored, so the ring buffer, the admin API and a worker's batch never hold the unredacted text.
import { CAPTURE_MASKS, type CaptureMask, type CaptureSetting, type SetCaptureRequest } from './admin-api';

/**
 * Dropped unless the operator lists dropFields: `user` is the client's end-user id (often an email
 * or an account id) and `metadata` carries the client's own tags. Neither is needed to replay a
 * request, and a dataset that outlives the gateway should not identify who asked.
 */
export const DEFAULT_DROP_FIELDS: readonly string[] = Object.freeze(['user', 'metadata']);
export const DEFAULT_PATTERN_REPLACEMENT = '[redacted]';

/**
 * Applied in this order whatever order the setting lists them: keys and emails before card and
 * phone numbers, so the digits inside a key or an address are not half-masked as a number first.
 */
const BUILT_IN_MASKS: ReadonlyArray<[CaptureMask, RegExp]> = [
  [
    'apiKey',
    /\b(?:sk|pk|rk)-[A-Za-z0-9_-]{16,}|\bAKIA[0-9A-Z]{16}\b|\bgh[pousr]_[A-Za-z0-9]{30,}|\bxox[abpr]-[A-Za-z0-9-]{10,}|\bBearer\s+[A-Za-z0-9._~+/-]{16,}=*/g,
  ],
  ['email', /[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}/g],
  // 13–19 digits, optionally grouped by spaces or dashes (no Luhn check: masking a few extra
  // numbers is the safe way to be wrong).
  ['card', /(?<![\d-])\d(?:[ -]?\d){12,18}(?![\d-])/g],
  ['ipv4', /(?<![\d.])(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?![\d.])/g],
  // An optional +country code, an area code (bracketed or not), then 3–4 and 3–4 digits; a date
  // (2026-12-04) or a version number has too few digits in its groups to match.
  ['phone', /(?<![\w+])(?:\+\d{1,3}[ .-]?)?(?:\(\d{2,4}\)[ .-]?|\d{2,4}[ .-])\d{3,4}[ .-]?\d{3,4}(?!\w)/g],
];

export interface CompiledCapture {
  share: number;
  drop: ReadonlySet<string>;
  /** Built-in masks in their fixed order, then the custom patterns in the setting's order. */
  replacers: ReadonlyArray<readonly [RegExp, string]>;
}

/** The setting a request asks for, every default filled in; null when it turns capture off. */
export function captureSettingOf(request: SetCaptureRequest): CaptureSetting | null {
  if (!request.enabled) return null;
  const redact = request.redact ?? {};
  return {
    share: request.share ?? 1,
    redact: {
      dropFields: [...new Set(redact.dropFields ?? DEFAULT_DROP_FIELDS)],
      mask: CAPTURE_MASKS.filter((name) => redact.mask?.includes(name)),
      patterns: (redact.patterns ?? []).map((p) => ({
        regex: p.regex,
        replacement: p.replacement ?? DEFAULT_PATTERN_REPLACEMENT,
      })),
    },
  };
}

/** The setting's rules, compiled; its patterns were checked by setCaptureSchema. */
export function compileCapture(setting: Readonly<CaptureSetting>): CompiledCapture {
  const builtIn = BUILT_IN_MASKS.filter(([name]) => setting.redact.mask.includes(name)).map(
    ([name, regex]) => [regex, `[${name}]`] as const,
  );
  const custom = setting.redact.patterns.map((p) => [new RegExp(p.regex, 'g'), p.replacement] as const);
  return { share: setting.share, drop: new Set(setting.redact.dropFields), replacers: [...builtIn, ...custom] };
}

/** `text` with every mask and pattern of the capture replaced. */
export function redactText(text: string, capture: CompiledCapture): string {
  let out = text;
  // String.prototype.replace with a global regex starts at 0 and resets lastIndex: safe to share.
  for (const [regex, replacement] of capture.replacers) out = out.replace(regex, replacement);
  return out;
}

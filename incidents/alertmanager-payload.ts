// Alertmanager's webhook payload, version 4 (https://prometheus.io/docs/alerting/latest/configuration/#webhook_config).
// Objects are not strict: Alertmanager may add fields, and extra fields harm nothing here.
import { z } from 'zod';
import { formatIssueProblem, issueProblems, safeParseReportingInput } from '../lib/zod-issues';

const labelSet = z.record(z.string(), z.string());

export const alertSchema = z.object({
  status: z.enum(['firing', 'resolved']),
  labels: labelSet,
  annotations: labelSet.default({}),
  startsAt: z.string(),
  endsAt: z.string().optional(),
  generatorURL: z.string().optional(),
  fingerprint: z.string().optional(),
});

export const alertmanagerPayloadSchema = z.object({
  version: z.literal('4', { error: 'only Alertmanager webhook payload version "4" is understood' }),
  groupKey: z.string(),
  truncatedAlerts: z.number().optional(),
  status: z.enum(['firing', 'resolved']),
  receiver: z.string(),
  groupLabels: labelSet.default({}),
  commonLabels: labelSet.default({}),
  commonAnnotations: labelSet.default({}),
  externalURL: z.string().default(''),
  alerts: z.array(alertSchema),
});

export type Alert = z.output<typeof alertSchema>;
export type AlertmanagerPayload = z.output<typeof alertmanagerPayloadSchema>;

/** Validates a parsed body; the error names the first bad fields. */
export function parseAlertmanagerPayload(
  body: unknown,
): { ok: true; payload: AlertmanagerPayload } | { ok: false; message: string } {
  const result = safeParseReportingInput(alertmanagerPayloadSchema, body);
  if (result.success) return { ok: true, payload: result.data };
  const problems = issueProblems(result.error, '(body)').slice(0, 5).map(formatIssueProblem);
  return { ok: false, message: `not an Alertmanager webhook payload: ${problems.join('; ')}` };
}
